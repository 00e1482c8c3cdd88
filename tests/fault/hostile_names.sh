#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile process data: a python script whose file name holds an ANSI escape,
# ` :: `, BEL and invalid UTF-8, started with 4 KiB of argv full of the same,
# (alive while the outputs are read, so its /proc/PID/cmdline is used) renames its comm to "a\e[2J::\n\xff" and makes a loopback connection.
# Outcome: text, JSON and Lua outputs are valid UTF-8 without control
# characters, the line keeps the field structure of an ordinary line, and its
# length stays bounded.
. "$(dirname "$0")/common.sh"
fault_load
dir=$SVC_TMP/h
mkdir -p "$dir"
script=$dir/$'ev\e[31mil :: \xff\xfe\a.py'
cat >"$script" <<'PY'
import os, socket, sys
if os.environ.get("RENAME"):
    open("/proc/self/comm", "wb").write(b"a\x1b[2J::\n\xff")
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b"x" * 4321); a.recv(8192)
print(s.getsockname()[1], flush=True)
sys.stdin.read()  # stay alive (so /proc/PID/cmdline is read) until the test is done
PY
junk=$'A :: \e[1;31m\xff\xc3\x28\a\n\t'
args=()
while [ "$(printf '%s' "${args[*]}" | wc -c)" -lt 4096 ]; do args+=("$junk"); done
coproc HOSTILE { RENAME=1 exec "$SVC_PY" "$script" "${args[@]}"; }
fault_pids+=("$HOSTILE_PID")
read -r -t 20 hport <&"${HOSTILE[0]}"
t_check "hostile comm process ran (port $hport)" test -n "$hport"
# same script, comm left alone: its name comes from the hostile argv (script path)
coproc HOSTILE2 { exec "$SVC_PY" "$script" "${args[@]}"; }
fault_pids+=("$HOSTILE2_PID")
read -r -t 20 hport2 <&"${HOSTILE2[0]}"
t_check "hostile script-name process ran (port $hport2)" test -n "$hport2"
pair 4321 0
ref=$port

# --- text ---------------------------------------------------------------------
line_for() { grep -a -E "127\.0\.0\.1 $1(/tcp)? ::" "$SVC_TMP/t.out" | head -1; }
got_both() {
	"$LECO_BIN/leco" lines --raw -p "$pin" >"$SVC_TMP/t.out" 2>"$SVC_TMP/t.err" &&
		[ -n "$(line_for "$hport")" ] && [ -n "$(line_for "$hport2")" ] && [ -n "$(line_for "$ref")" ]
}
t_check "text: both lines shown" t_wait_for 10 got_both
t_check "text: valid UTF-8 without control characters" "$SVC_PY" - "$SVC_TMP/t.out" <<'PY'
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8")  # strict: raises on invalid UTF-8
bad = [c for c in t if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
sys.exit("control characters: %r" % bad[:10] if bad else 0)
PY
rl=$(line_for "$ref")
seps() { grep -o ' :: ' <<<"$1" | wc -l; }
for hp in "$hport" "$hport2"; do
	hl=$(line_for "$hp")
	t_check "text: hostile line has the field structure of an ordinary one ($(seps "$hl") vs $(seps "$rl") separators): $hl" \
		test "$(seps "$hl")" = "$(seps "$rl")"
	t_check "text: hostile line is bounded (${#hl} chars)" test "${#hl}" -le 512
done

# --- JSON ---------------------------------------------------------------------
"$LECO_BIN/leco" lines --json --raw -p "$pin" >"$SVC_TMP/j.out" 2>"$SVC_TMP/j.err"
t_check "JSON: exit 0" test $? = 0
t_check "JSON: raw output has no control bytes at all" "$SVC_PY" - "$SVC_TMP/j.out" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
bad = [x for x in b if (x < 0x20 and x != 0x0a) or x == 0x7f]
sys.exit("raw control bytes: %r" % bad[:10] if bad else 0)
PY
for hp in "$hport" "$hport2"; do
t_check "JSON: strict parse; strings of the hostile line (port $hp) are clean and bounded" \
	"$SVC_PY" - "$SVC_TMP/j.out" "$hp" <<'PY'
import json, sys
port = int(sys.argv[2])
found = False
for raw in open(sys.argv[1], "rb"):
    L = json.loads(raw.decode("utf-8"))
    if L.get("rport") != port:
        continue
    found = True
    for k in ("text", "raw", "comm", "cmd", "exe", "group", "unit", "user"):
        v = L.get(k) or ""
        bad = [c for c in v if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0]
        if bad or len(v) > 512:
            sys.exit("field %s unsafe: %r" % (k, v[:120]))
sys.exit(0 if found else "hostile line missing")
PY
done

# --- Lua ----------------------------------------------------------------------
for v in $LECO_LUA_VERS; do
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
	res=$(LUA_CPATH="$LECO_LUA_DIR/$v/?.so" "lua$v" -e "
		local r = assert(require('leco').open{pin = '$pin', raw = true})
		local ls, e = assert(r:lines())
		local n = 0
		for _, l in ipairs(ls) do
			if l.rport == $hport or l.rport == $hport2 then
				for _, k in ipairs{'text', 'raw', 'comm', 'cmd', 'group'} do
					local s = l[k] or ''
					if s:find('%c') or s:find('\127') or not utf8.len(s) or #s > 512 then
						print('BAD ' .. k) os.exit(1)
					end
				end
				n = n + 1
			end
		end
		print('CLEAN ' .. n)" 2>&1)
	t_check "Lua $v: hostile line's strings are UTF-8 without control characters ($res)" \
		bash -c "grep -qE '^CLEAN [2-9]' <<<'$res'"
done
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# valgrind (memcheck, full leak check) over the CLI and Lua paths: with a missing
# pin dir, and — as root — with real probes and traffic. Any memcheck error or a
# definite/indirect leak fails; the program's own exit status must be the
# expected one (2 for the missing pins, 0 otherwise).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
command -v valgrind >/dev/null || t_skip "valgrind missing"
svc_need_bins leco
SVC_TMP=$(mktemp -d /tmp/leco-vg.XXXXXX)
pin=""
trap '[ -n "$pin" ] && svc_unload "$pin"; rm -rf "$SVC_TMP"' EXIT
VG=(valgrind -q --error-exitcode=99 --suppressions="$here/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --track-origins=yes)

vg() { # vg NAME WANT_RC cmd...: run under memcheck, check rc and the log
	local name=$1 want=$2 rc; shift 2
	"${VG[@]}" --log-file="$SVC_TMP/vg.log" "$@" >"$SVC_TMP/vg.out" 2>"$SVC_TMP/vg.err"
	rc=$?
	# valgrind 3.19 does not know BPF_MAP_LOOKUP_BATCH (24) and says so: not an error
	grep -vE '^--[0-9]+-- WARNING: unhandled eBPF command' "$SVC_TMP/vg.log" >"$SVC_TMP/vg.err2"
	mv "$SVC_TMP/vg.err2" "$SVC_TMP/vg.log"
	if [ "$rc" = "$want" ] && [ ! -s "$SVC_TMP/vg.log" ]; then
		t_check "valgrind clean: $name" true
	else
		echo "--- rc=$rc (want $want); stderr:" >&2; head -c 2000 "$SVC_TMP/vg.err" >&2
		echo "--- valgrind log:" >&2; head -c 6000 "$SVC_TMP/vg.log" >&2
		t_check "valgrind clean: $name" false
	fi
}

missing=/sys/fs/bpf/leco-test-$$-missing
vg "leco lines -p <missing pin dir>" 2 "$LECO_BIN/leco" lines -p "$missing"
vg "leco lines --json -p <missing pin dir>" 2 "$LECO_BIN/leco" lines --json -p "$missing"
vg "leco status -p <missing pin dir> (1: not loaded)" 1 "$LECO_BIN/leco" status -p "$missing"
vg "leco top --once -p <missing pin dir>" 2 "$LECO_BIN/leco" top --once -p "$missing"
if [ -f "$LECO_SRC/examples/leco.ini" ]; then
	vg "leco rx-test -c examples/leco.ini" 0 "$LECO_BIN/leco" rx-test -c "$LECO_SRC/examples/leco.ini" \
		"18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^"
fi
for v in $LECO_LUA_VERS; do
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
	export LUA_CPATH="$LECO_LUA_DIR/$v/?.so" # not through env(1): valgrind must see lua itself
	vg "lua$v: open/lines/close with missing pins" 0 "lua$v" -e "
		local leco = require 'leco'
		local r = assert(leco.open{pin = '$missing'})
		for i = 1, 3 do local l, e = r:lines() end
		r:close()
		local r2 = leco.open{pin = '$missing'} -- left to __gc
		collectgarbage()"
done

if [ "$(id -u)" = 0 ] && [ -x "$LECO_BIN/leco-load" ]; then
	svc_need_bpffs
	pin=/sys/fs/bpf/leco-test-$$-vg
	if svc_load "$pin"; then
		"$SVC_PY" "$here/../service/traffic.py" pair 6000 7000 >/dev/null
		vg "leco lines --json -p <real pins>" 0 "$LECO_BIN/leco" lines --json -p "$pin"
		vg "leco status -p <real pins>" 0 "$LECO_BIN/leco" status -p "$pin"
		vg "leco conns --json -p <real pins>" 0 "$LECO_BIN/leco" conns --json -p "$pin"
		vg "leco top --once --json -p <real pins>" 0 "$LECO_BIN/leco" top --once --json \
			-i 0.2 --by user -p "$pin"
		if [ -f "$LECO_SRC/examples/leco.ini" ]; then
			vg "leco lines -c examples/leco.ini -p <real pins>" 0 \
				"$LECO_BIN/leco" lines -c "$LECO_SRC/examples/leco.ini" -p "$pin"
		fi
		for v in $LECO_LUA_VERS; do
			[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
			export LUA_CPATH="$LECO_LUA_DIR/$v/?.so"
			vg "lua$v: lines from real pins" 0 "lua$v" -e "
				local r = assert(require('leco').open{pin = '$pin'})
				for i = 1, 3 do assert(r:lines()) end
				for i = 1, 3 do assert(r:top{by = 'program', n = 5}) assert(r:conns()) end
				r:close()"
		done
	else
		cat "$SVC_TMP/load.log" >&2
		t_check "leco-load for the valgrind run" false
	fi
fi
t_done

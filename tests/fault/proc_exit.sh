#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Processes that exit while the reader annotates them: 200 short-lived bash
# processes each open a loopback connection and exit at once, while `leco watch`
# polls every 0.2 s. Outcome: no reader error or crash; every connection is shown
# with its pid and a non-empty cmd (the kernel's comm when /proc/PID is gone).
. "$(dirname "$0")/common.sh"
fault_load
# A listener that accepts and drops connections.
"$SVC_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(512)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.recv(64); c.close()' >"$SVC_TMP/port" &
fault_pids+=($!)
t_wait_for 10 test -s "$SVC_TMP/port"
lport=$(cat "$SVC_TMP/port")
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err"
batch=()
for i in $(seq 1 200); do
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$lport"'; printf x >&3; exec 3>&-' 2>/dev/null &
	batch+=($!)
	if [ ${#batch[@]} = 20 ]; then wait "${batch[@]}"; batch=(); fi
done
wait_n() { [ "$("$SVC_PY" - "$SVC_TMP/w.out" "$lport" <<'PY'
import json, sys
seen = set()
for raw in open(sys.argv[1]):
    L = json.loads(raw)
    if L.get("rport") == int(sys.argv[2]) and L.get("dir") == "out":
        seen.add(L["lport"])
print(len(seen))
PY
)" -ge 200 ]; }
t_check "watch shows all 200 connections of exited processes" t_wait_for 20 wait_n
t_check "each has a pid and a non-empty cmd" "$SVC_PY" - "$SVC_TMP/w.out" "$lport" <<'PY'
import json, sys
bad = [L for L in map(json.loads, open(sys.argv[1]))
       if L.get("rport") == int(sys.argv[2]) and L.get("dir") == "out"
       and (not L.get("pid") or not L.get("cmd"))]
sys.exit("lines without pid/cmd: %r" % bad[:3] if bad else 0)
PY
t_check "watch still running" alive "$wpid"
t_check "no errors from watch" bash -c "! grep -qiE 'error|fail|segmentation|sanitizer' '$SVC_TMP/w.err'"
t_done

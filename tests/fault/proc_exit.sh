#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Processes that exit while the reader annotates them: 200 short-lived bash
# processes each open a loopback connection and exit at once, while `leco watch`
# polls every 0.2 s. Outcome: no reader error or crash; every connection is shown
# with its pid and a non-empty cmd (the kernel's comm when /proc/PID is gone).
. "$(dirname "$0")/common.sh"
fault_load
# 200 listeners (distinct remote ports: lines with the same text share a view
# slot) that accept and drop connections.
"$SVC_PY" -c '
import selectors, socket
sel = selectors.DefaultSelector()
ports = []
for i in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ); ports.append(s.getsockname()[1])
print(" ".join(map(str, ports)), flush=True)
while True:
    for k, _ in sel.select():
        try:
            c, _ = k.fileobj.accept(); c.close()
        except BlockingIOError:
            pass' >"$SVC_TMP/ports" &
fault_pids+=($!)
t_wait_for 10 test -s "$SVC_TMP/ports"
read -ra ports <"$SVC_TMP/ports"
t_check "200 listeners up" test ${#ports[@]} = 200
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err"
batch=()
for p in "${ports[@]}"; do
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$p"'; printf x >&3; exec 3>&-' 2>/dev/null &
	batch+=($!)
	if [ ${#batch[@]} = 20 ]; then wait "${batch[@]}"; batch=(); fi
done
[ ${#batch[@]} = 0 ] || wait "${batch[@]}"
count() {
	"$SVC_PY" - "$SVC_TMP/w.out" "${ports[*]}" <<'PY'
import json, sys
ports = set(map(int, sys.argv[2].split()))
seen = set()
bad = []
for raw in open(sys.argv[1]):
    L = json.loads(raw)
    if L.get("rport") in ports and L.get("dir") == "out":
        seen.add(L["rport"])
        if not L.get("pid") or not L.get("cmd"):
            bad.append(L)
print(len(seen), len(bad))
PY
}
all_seen() { read -r n _ <<<"$(count)"; [ "$n" = 200 ]; }
t_check "watch shows all 200 connections of exited processes (saw $(count | cut -d' ' -f1) at first look)" \
	t_wait_for 20 all_seen
read -r n nbad <<<"$(count)"
t_check "each has a pid and a non-empty cmd ($nbad without)" test "$nbad" = 0
t_check "watch still running" alive "$wpid"
t_check "no errors from watch" bash -c "! grep -qiE 'error|fail|segmentation|sanitizer' '$SVC_TMP/w.err'"
t_done

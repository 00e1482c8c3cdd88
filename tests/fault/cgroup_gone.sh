#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cgroups removed while a reader annotates their connections: 30 times, a child
# cgroup is created, a process in it makes a connection and exits, and the cgroup
# is removed at once — while `leco watch` polls every 0.2 s. Outcome: the reader
# never fails or crashes; every connection is shown, with the cgroup's label
# when it was seen alive and "" otherwise, never a stale label of another cgroup.
. "$(dirname "$0")/common.sh"
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || t_skip "no cgroup2 mount"
base=$cg2/leco-test-$$
mkdir "$base" || t_skip "cannot create a cgroup under $cg2"
fault_cleanup_extra='for d in "$base"/*/; do rmdir "$d" 2>/dev/null; done; rmdir "$base" 2>/dev/null'
fault_load
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err"
ports=()
for i in $(seq 1 30); do
	d=$base/c$i
	mkdir "$d"
	tr=$(bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" pair 100 '"$i" _ "$d" "$SVC_PY" "$TRAFFIC")
	rmdir "$d"
	ports+=("$("$SVC_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$tr")")
done
t_check "30 cgroups created, used and removed" test ${#ports[@]} = 30
last=${ports[29]}
t_check "watch shows the last connection" \
	t_wait_for 15 svc_json_has "$SVC_TMP/w.out" "L['rport']==$last and L['rx']==30"
missing=0
for p in "${ports[@]}"; do
	svc_json_has "$SVC_TMP/w.out" "L['rport']==$p and L['dir']=='out'" || missing=$((missing + 1))
done
t_check "every connection of a removed cgroup is shown ($missing missing)" test "$missing" = 0
t_check "labels are the connection's own cgroup or empty, never another's" \
	"$SVC_PY" - "$SVC_TMP/w.out" "${ports[*]}" <<'PY'
import json, sys
ports = [int(p) for p in sys.argv[2].split()]
bad = []
for raw in open(sys.argv[1]):
    L = json.loads(raw)
    if L.get("rport") in ports and L.get("dir") == "out":
        i = ports.index(L["rport"]) + 1
        cg = L.get("cgroup") or ""
        if cg and not cg.endswith("/c%d" % i) and cg not in ("", "/"):
            bad.append((L["rport"], cg))
sys.exit("stale labels: %r" % bad[:5] if bad else 0)
PY
t_check "watch still running" alive "$wpid"
"$LECO_BIN/leco" lines --json -p "$pin" >"$SVC_TMP/l.out" 2>"$SVC_TMP/l.err"; rc=$?
t_check "leco lines after the cgroups are gone exits 0 (got $rc)" test "$rc" = 0
t_check "no errors on stderr from watch" bash -c "! grep -qiE 'error|fail|segmentation|sanitizer' '$SVC_TMP/w.err'"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bounded load: 10,000 concurrent loopback connections held open, plus a churn of
# LECO_LOAD_RATE (1000) new connections per second for LECO_LOAD_SECS (60) s, with
# a `leco watch` reader polling every second throughout. Outcome: the connection
# table stays within its capacity, the probes record no failed map updates, the
# reader's resident memory stays bounded (and stops growing once the table is
# full), nothing crashes, and 20 sample connections show their exact byte counts.
. "$(dirname "$0")/common.sh"
conc=${LECO_LOAD_CONC:-10000} rate=${LECO_LOAD_RATE:-1000} secs=${LECO_LOAD_SECS:-60}
# fds for this test only: the client and server halves each hold CONC sockets
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((conc + 1024)) ] ||
	ulimit -n $((conc + 1024)) 2>/dev/null || t_skip "fd limit $(ulimit -n) < $((conc + 1024))"
fault_load
# Under the sanitizers freed memory sits in ASan's quarantine (256 MiB by default), so the
# reader's RSS would grow with the total churn, not with what it holds: bound the quarantine
# for every process this test starts from here on (the reader is the one measured), so the
# RSS check below still measures the reader.
[ "${LECO_SANITIZE:-}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"
watch_start /dev/null "$SVC_TMP/w.err" -i 1
: >"$SVC_TMP/status"
coproc LOAD { exec "$SVC_PY" "$here/load.py" "$conc" "$rate" "$secs" 20 "$SVC_TMP/status"; }
lpid=$LOAD_PID
fault_pids+=("$lpid")

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
status_json() { "$LECO_BIN/leco" status --json -p "$pin" 2>/dev/null; }
# the churn has passed a third of its target (load.py reports every multiple of 1000)
mid_reached() {
	awk -v t=$((rate * secs / 3)) '$1 == "churn" && $2 + 0 >= t { f = 1 } END { exit !f }' \
		"$SVC_TMP/status"
}
maxrss=0 midrss=0 maxconns=0 cap=0 t0=$(date +%s)
limit=$((secs + 240)) # held, churn, up to 120 s for the server to close the churned, samples
while ! grep -q 'sample done' "$SVC_TMP/status"; do
	alive "$lpid" || break
	[ $(( $(date +%s) - t0 )) -lt "$limit" ] || break
	r=$(rss "$wpid"); [ "${r:-0}" -gt "$maxrss" ] && maxrss=$r
	[ "$midrss" = 0 ] && mid_reached && midrss=$maxrss
	read -r c m <<<"$(status_json | "$SVC_PY" -c '
import json, sys
d = json.load(sys.stdin)
flat = {}
def walk(o, p=""):
    if isinstance(o, dict):
        for k, v in o.items(): walk(v, k)
    else: flat[p] = o
walk(d)
print(flat.get("conns", 0), flat.get("conns_max", 0))' 2>/dev/null)"
	[ "${c:-0}" -gt "$maxconns" ] && maxconns=$c
	[ "${m:-0}" -gt 0 ] && cap=$m
	sleep 1
done
read -r samples <&"${LOAD[0]}"
churned=$(sed -n 's/^churn \([0-9]*\) done$/\1/p' "$SVC_TMP/status")
drained=$(sed -n 's/^drained //p' "$SVC_TMP/status")
echo "load: held $conc, churn $churned, reader max RSS ${maxrss} KiB" \
	"(at 1/3 of the churn ${midrss} KiB), max table ${maxconns}/${cap}"
t_check "load ran to the end" grep -q 'sample done' "$SVC_TMP/status"
t_check "the server closed every churned connection before the samples ($drained of $churned)" \
	test -n "$churned" -a "$drained" = "$churned"
t_check "reader survived the load" alive "$wpid"
t_check "connection table within its capacity ($maxconns <= $cap)" \
	test "$cap" -gt 0 -a "$maxconns" -le "$cap"
t_check "reader RSS bounded (${maxrss} KiB <= 65536)" test "$maxrss" -le 65536
t_check "the churn passed 1/3 of its target ($((rate * secs / 3)))" mid_reached
t_check "reader RSS stops growing after 1/3 of the churn (${midrss} -> ${maxrss} KiB, <= +16 MiB)" \
	test "$midrss" -gt 0 -a $((maxrss - midrss)) -le 16384
status_json >"$SVC_TMP/st.json"
t_check "probe health: no failed map updates ($(tr -d '\n' <"$SVC_TMP/st.json" | head -c 400))" \
	"$SVC_PY" - "$SVC_TMP/st.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def find(o, key):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key or k.endswith("_" + key):
                return v
            r = find(v, key)
            if r is not None:
                return r
    return None
sys.exit(0 if find(d, "update_fail") == 0 else 1)
PY
# the view keeps max-lines slots (default 40) and the server's late closes of churned
# connections are newer than the samples: look at the largest view allowed
printf '[view]\nmax-lines = 10000\n' >"$SVC_TMP/big.ini"
"$LECO_BIN/leco" lines --json --raw -c "$SVC_TMP/big.ini" -p "$pin" >"$SVC_TMP/l.out" 2>"$SVC_TMP/l.err"
t_check "leco lines under load exits 0" test $? = 0
t_check "20 sample connections shown with exact bytes" \
	"$SVC_PY" - "$SVC_TMP/l.out" "$samples" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bad = []
for s in json.loads(sys.argv[2]):
    if not any(L.get("rport") == s["port"] and L.get("dir") == "out" and L.get("tx") == s["tx"]
               and L.get("rx") == s["rx"] for L in lines):
        bad.append(s)
if bad:
    near = [{k: L.get(k) for k in ("rport", "lport", "dir", "tx", "rx", "state")}
            for L in lines if L.get("rport") == bad[0]["port"] or L.get("lport") == bad[0]["port"]]
    sys.exit("missing or inexact: %r; %d lines; lines for port %d: %r"
             % (bad[:3], len(lines), bad[0]["port"], near))
PY
fd=${LOAD[1]}; exec {fd}>&-
t_done

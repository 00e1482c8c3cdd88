#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# leco serve for real: probes loaded for group leco, the server run by a user in that group
# with no capabilities, checked over HTTP (api_check.py: token, Host, limits, the JSON API
# against the CLI's JSON, exact /metrics counts, /api/history and /api/new on a database that
# `leco record` wrote of the test's traffic, against `leco report --json`), promtool on
# /metrics, and a user outside group leco who gets nothing: not the token file, not data.
# Environment: LECO_BIN LECO_SRC
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
"$LECO_BIN/leco" serve --help >/dev/null 2>&1 || t_skip "leco serve not built (libmicrohttpd-dev)"
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) missing"
command -v promtool >/dev/null || t_skip "promtool missing (Debian: prometheus)"

SVC_TMP=$(mktemp -d /tmp/leco-web-test.XXXXXX)
chmod 755 "$SVC_TMP"
pin=/sys/fs/bpf/leco-test-$$-web
ua=lecow$$a ub=lecow$$b
spid= rpid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	svc_unload "$pin"
	svc_users_gone
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

svc_user_add "$ua" member
svc_user_add "$ub" outsider
t_check "leco, libleco and the test scripts staged for other users" \
	svc_stage "$SVC_TMP/stage"
mkdir -m 0755 "$SVC_TMP/py"
cp "$here/webcheck.py" "$here/api_check.py" "$LECO_SRC/tests/service/traffic.py" "$SVC_TMP/py/"
chmod a+rX -R "$SVC_TMP/py"
as() {
	local u=$1; shift
	setpriv --reuid="$u" --regid=nogroup --init-groups --inh-caps=-all --ambient-caps=-all \
		--bounding-set=-all --no-new-privs -- "$@"
}
t_check "probes loaded for group leco" svc_load "$pin" --group leco || { cat "$SVC_TMP/load.log"; t_done; exit; }

# The state directory as systemd's StateDirectory= makes it: the service user's, group leco.
state=$SVC_TMP/state
install -d -m 0750 -o "$ua" -g leco "$state"
log=$SVC_TMP/serve.err
: >"$log" && chmod 0600 "$log"
# The history of this test's traffic: `leco record` as the same user, into the state directory
# (a fresh database: nothing in it is older than the test).
hist=$state/history.db
since=$(( $(date +%s) - 60 ))
setpriv --reuid="$ua" --regid=nogroup --init-groups --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all --no-new-privs -- "$RD_BIN/leco" record -p "$pin" --db "$hist" -i 1 \
	--status-file "$state/record.status" 2>"$SVC_TMP/record.err" &
rpid=$!
t_check "leco record writes the history of the test" t_wait_for 10 test -s "$state/record.status"
[ -s "$state/record.status" ] || head -c 2000 "$SVC_TMP/record.err"
# (not through the function: $! must be the server itself, for the SIGTERM below)
setpriv --reuid="$ua" --regid=nogroup --init-groups --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all --no-new-privs -- "$RD_BIN/leco" serve -p "$pin" \
	--listen 127.0.0.1:0 --token-file "$state/token" --max-streams 3 -i 0.5 \
	--metrics-remote 1000 --db "$hist" 2>>"$log" &
spid=$!
started() { grep -q '^leco: serving on http://127.0.0.1:[0-9]*/?token=[0-9a-f]\{64\}$' "$log"; }
t_check "leco serve starts and prints the one line with the URL and token" t_wait_for 10 started
url=$(grep -o 'http://[^ ]*' "$log" | head -n 1)
base=${url%%/?token=*} token=${url##*token=}
t_check "the token file is the token, mode 0640, owner $ua, group leco" \
	bash -c "[ \"\$(head -n 1 '$state/token')\" = '$token' ] &&
		[ \"\$(stat -c '%a %U %G' '$state/token')\" = '640 $ua leco' ]"
t_check "the token is not on the server's command line" \
	bash -c "! tr '\0' ' ' </proc/$spid/cmdline | grep -q '$token'"

# Known traffic, and what the CLI says about it (same JSON names as the API).
tr=$("$SVC_PY" "$SVC_TMP/py/traffic.py" pair 7000 9000)
t_check "loopback traffic ran ($tr)" test -n "$tr"
as "$ua" "$RD_BIN/leco" conns -p "$pin" --json >"$SVC_TMP/conns.json" 2>/dev/null
as "$ua" "$RD_BIN/leco" top -p "$pin" --json --once -i 0.2 >"$SVC_TMP/top.json" 2>/dev/null
as "$ua" "$RD_BIN/leco" status -p "$pin" --json >"$SVC_TMP/status.json"
t_check "leco conns/top/status --json ran for the comparison" \
	bash -c "[ -s '$SVC_TMP/conns.json' ] && [ -s '$SVC_TMP/top.json' ] && [ -s '$SVC_TMP/status.json' ]"
mkdir -m 0755 "$SVC_TMP/cli" && mv "$SVC_TMP"/{conns,top,status}.json "$SVC_TMP/cli/"

# The recorder has the traffic (both ends are traffic.py's: 16000 bytes each way), then stops
# (one last interval), so that the database holds still while the API and the CLI read it.
recorded() {
	as "$ua" "$RD_BIN/leco" report --db "$hist" --json --since "@$since" 2>/dev/null |
		"$SVC_PY" -c 'import json,sys
rows = [json.loads(l) for l in sys.stdin]
sys.exit(0 if any(r["key"] == "traffic.py" and r["rx"] == 16000 and r["tx"] == 16000
	for r in rows) else 1)'
}
t_check "leco record: traffic.py's 16000 bytes each way are in the history" t_wait_for 20 recorded
kill -TERM "$rpid" && wait "$rpid"
rc=$? rpid=
t_check "leco record stops on SIGTERM, exit 0 (got $rc)" test "$rc" = 0
until=$(( $(date +%s) + 60 ))
as "$ua" "$RD_BIN/leco" report --db "$hist" --json --since "@$since" --until "@$until" --top 50 \
	>"$SVC_TMP/cli/history.json"
as "$ua" "$RD_BIN/leco" report --db "$hist" --new --json --since "@$since" --until "@$until" \
	>"$SVC_TMP/cli/new.json"
echo "{\"since\": $since, \"until\": $until}" >"$SVC_TMP/cli/range.json"
t_check "leco report --json and --new --json ran for the comparison" \
	bash -c "[ -s '$SVC_TMP/cli/history.json' ] && [ -s '$SVC_TMP/cli/new.json' ]"
chmod a+r "$SVC_TMP"/cli/*

as "$ua" "$SVC_PY" "$SVC_TMP/py/api_check.py" "$base" "$token" "$tr" "$SVC_TMP/cli" 3 \
	>"$SVC_TMP/api.log" 2>&1
rc=$?
cat "$SVC_TMP/api.log"
t_check "HTTP checks as a user in group leco (api_check.py)" test "$rc" = 0

"$SVC_PY" "$SVC_TMP/py/webcheck.py" get "$base/metrics" --bearer "$token" |
	"$SVC_PY" -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["body"])' >"$SVC_TMP/metrics.txt"
promtool check metrics <"$SVC_TMP/metrics.txt" >"$SVC_TMP/promtool.log" 2>&1
rc=$?
t_check "promtool check metrics passes ($(head -c 300 "$SVC_TMP/promtool.log"))" test "$rc" = 0
t_check "/metrics has every family of the contract" bash -c "
	for f in leco_received_bytes_total leco_sent_bytes_total leco_connections_total \
		leco_connections_failed_total leco_connections_blocked_total leco_connections_open \
		leco_series_dropped_total leco_probe_events_total leco_up; do
		grep -q \"^# TYPE \$f \" '$SVC_TMP/metrics.txt' || { echo missing \$f; exit 1; }
	done"

port=$("$SVC_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$tr")
t_check "--metrics-remote: the test's endpoint with the bytes sent to it (7000)" \
	grep -q "^leco_remote_sent_bytes_total{remote=\"127.0.0.1\",port=\"$port\",proto=\"tcp\"} 7000\$" \
	"$SVC_TMP/metrics.txt"

# The series cap: one label set, the rest in program="_overflow", the refused ones counted.
setpriv --reuid="$ua" --regid=nogroup --init-groups --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all --no-new-privs -- "$RD_BIN/leco" serve -p "$pin" \
	--listen 127.0.0.1:0 --token-file "$state/token" --metrics-series 1 2>"$SVC_TMP/cap.err" &
cpid=$!
capped() { grep -q '^leco: serving on' "$SVC_TMP/cap.err" &&
	"$SVC_PY" "$SVC_TMP/py/webcheck.py" get "$(grep -o 'http://[^/]*' "$SVC_TMP/cap.err")/metrics" \
		--bearer "$token" >"$SVC_TMP/cap.json" &&
	grep -q 'leco_series_dropped_total [1-9]' "$SVC_TMP/cap.json"; }
t_check "--metrics-series 1: label sets beyond it are refused and counted" t_wait_for 10 capped
t_check "--metrics-series 1: one label set and the overflow set" "$SVC_PY" -c '
import json, re, sys
body = json.load(open(sys.argv[1]))["body"]
sets = {m for m in re.findall(r"^leco_sent_bytes_total(\{[^}]*\})", body, re.M)}
sys.exit(0 if len(sets) == 2 and any("_overflow" in x for x in sets) else 1)' "$SVC_TMP/cap.json"
kill "$cpid"; wait "$cpid" 2>/dev/null

# --- a user outside group leco --------------------------------------------------------
t_check "outside group leco: the token file cannot be read" \
	bash -c "$(declare -f as); ! as '$ub' cat '$state/token' 2>/dev/null"
t_check "outside group leco: the state directory cannot be listed" \
	bash -c "$(declare -f as); ! as '$ub' ls '$state' >/dev/null 2>&1"
t_check "outside group leco: the server's environment and stderr cannot be read" \
	bash -c "$(declare -f as); ! as '$ub' cat /proc/$spid/environ >/dev/null 2>&1 &&
		! as '$ub' cat '$log' >/dev/null 2>&1"
out=$(as "$ub" "$SVC_PY" "$SVC_TMP/py/webcheck.py" get "$base/api/conns" 2>&1)
t_check "outside group leco: HTTP without the token gets 401 and no data" \
	bash -c "grep -q '\"status\": 401' <<<'${out//\'/}' && ! grep -q rport <<<'${out//\'/}'"
out=$(as "$ub" "$SVC_PY" "$SVC_TMP/py/webcheck.py" get "$base/metrics?token=$(head -c 64 /dev/zero | tr '\0' 0)" 2>&1)
t_check "outside group leco: a guessed token gets 401" grep -q '"status": 401' <<<"$out"

# --- start-up errors ------------------------------------------------------------------
install -m 0644 -o "$ua" -g leco "$state/token" "$SVC_TMP/open.token"
chmod 0644 "$SVC_TMP/open.token"
out=$(as "$ua" "$RD_BIN/leco" serve -p "$pin" --listen 127.0.0.1:0 --token-file "$SVC_TMP/open.token" 2>&1)
rc=$?
t_check "a token file others may read is refused, naming it (rc $rc: $out)" \
	bash -c "[ $rc = 2 ] && grep -q 'open.token: readable by others' <<<'$out'"
out=$("$RD_BIN/leco" serve --listen 127.0.0.1:99999 2>&1)
t_check "a bad --listen is refused ($out)" grep -q "bad --listen '127.0.0.1:99999'" <<<"$out"
busy=${base##*:}
out=$(as "$ua" "$RD_BIN/leco" serve -p "$pin" --listen "127.0.0.1:$busy" --token-file "$state/token" 2>&1)
t_check "a port in use is refused, naming it ($out)" grep -q "cannot listen on 127.0.0.1:$busy" <<<"$out"

kill -TERM "$spid"
ended() { ! kill -0 "$spid" 2>/dev/null; }
t_check "SIGTERM ends leco serve" t_wait_for 10 ended
wait "$spid"
rc=$?
spid=
t_check "it exits 0 (got $rc)" test "$rc" = 0
t_check "no error output from the server ($(grep -v '^leco: serving on' "$log" | head -c 300))" \
	bash -c "! grep -v '^leco: serving on' '$log' | grep -q ."
t_done

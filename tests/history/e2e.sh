#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The recorder on real traffic (root, real probes in a unique pin dir):
#   1. exact totals for an app: pairs of known sizes, and a long connection still sending
#      while the recorder is killed with SIGKILL, plus a connection that opens and closes while
#      no recorder runs; the restarted recorder makes the totals exact (counted once)
#   2. two readers while it writes: `leco report` in a loop and a Lua live reader with the
#      history, which marks the app's first connection to an endpoint first_ever and a later
#      one not
#   3. SIGTERM: exit 0 promptly, the database passes integrity_check
# Environment: LECO_BIN LECO_SRC LECO_LUA_DIR LECO_LUA_VERS
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
. "$here/hist-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs

SVC_TMP=$(mktemp -d /tmp/leco-test-he2e.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-he2e
db=$SVC_TMP/h.db st=$SVC_TMP/status
app=he$$.py  # script names are cut past 16 characters: keep it short
cp "$here/../service/traffic.py" "$SVC_TMP/$app"
rec_pid='' lis_pid=''
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
cleanup() {
	stop_pid "$rec_pid"
	stop_pid "$lis_pid"
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

svc_load "$pin" || { cat "$SVC_TMP/load.log"; t_check "leco-load" false; t_done; exit; }
start_recorder() {
	"$LECO_BIN/leco" record -p "$pin" --db "$db" -i 1 --status-file "$st" \
		2>>"$SVC_TMP/record.err" &
	rec_pid=$!
}
commits() { h_status "$st" commits 2>/dev/null || echo 0; }
traffic() { "$SVC_PY" "$SVC_TMP/$app" "$@"; }

# --- 1. exact totals, SIGKILL in the middle ------------------------------------------------
start_recorder
t_check "the recorder commits intervals" \
	t_wait_for 10 bash -c "[ \"\$(h_status '$st' commits)\" -ge 1 ] 2>/dev/null"
traffic pair 7000 9000 >/dev/null
H_STATUS=$st H_PIN=$pin
h_expect "$db" "$app" "16000 16000 2" 10 "a pair is counted exactly (both ends, 2 connections)"
# a connection that lives through the kill: 40 chunks of 2000 bytes, 0.1 s apart
traffic stream 2000 40 0.1 5000 >"$SVC_TMP/stream.json" &
stream_pid=$!
# kill once the recorder has counted some of it, but not all
t_check "the recorder has counted part of the long connection" t_wait_for 10 bash -c "
	read rx tx n < <(h_total '$db' '$app'); [ \"\$rx\" -gt 16000 ] && [ \"\$rx\" -lt 96000 ]"
kill -KILL "$rec_pid"
wait "$rec_pid" 2>/dev/null
rec_pid=''
traffic pair 3000 4000 >/dev/null # opens and closes while no recorder runs
wait "$stream_pid"
t_check "the long connection sent what it should" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d!={"tx":80000,"rx":5000})' \
	"$SVC_TMP/stream.json"
t_check "the killed recorder's database passes integrity_check" h_integrity "$db"
start_recorder
# 16000 + (80000 + 5000) + (3000 + 4000) each way, 6 connections
h_expect "$db" "$app" "108000 108000 6" 15 "after the restart every byte is counted once"
c0=$(commits)
t_check "and stays so over more intervals" t_wait_for 10 bash -c "[ \$(h_status '$st' commits) -ge $((c0 + 3)) ]"
h_expect "$db" "$app" "108000 108000 6" 0 "still exact"

# --- 2. two readers while it writes -----------------------------------------------------------
"$SVC_PY" "$SVC_TMP/$app" listen >"$SVC_TMP/port" &
lis_pid=$!
t_check "a listener for the first-ever check" t_wait_for 10 test -s "$SVC_TMP/port"
port=$(head -1 "$SVC_TMP/port")
traffic connect "$port" 6000
t_check "the first connection to the endpoint is recorded as a new pair" t_wait_for 10 bash -c "
	'$LECO_BIN/leco' report --db '$db' --new --json --since 1h |
	grep -q '\"app\":\"$app\",.*\"rport\":$port,'"
first=$("$LECO_BIN/leco" report --db "$db" --new --json --since 1h |
	sed -n "s/.*\"app\":\"$app\",.*\"rport\":$port,.*\"first_seen\":\([0-9]*\).*/\1/p")
t_wait_for 5 bash -c "[ \$(date +%s) -gt $first ]" # a later second than the first connection's
traffic connect "$port" 9000
(for i in $(seq 20); do "$LECO_BIN/leco" report --db "$db" --json --by remote >/dev/null || exit 1
done) &
loop_pid=$!
lua_ok=0
for v in ${LECO_LUA_VERS:-}; do
	res=$(LUA_CPATH="$LECO_LUA_DIR/$v/?.so" "lua$v" -e "
		local leco = require 'leco'
		local r = assert(leco.open{pin_dir = '$pin', history = '$db', raw = true, max_lines = 100000})
		local deadline = os.time() + 10
		repeat
			local a, b
			for _, l in ipairs(assert(r:lines())) do
				if l.rport == $port and l.dir == 'out' and l.tx == 6000 then a = l end
				if l.rport == $port and l.dir == 'out' and l.tx == 9000 then b = l end
			end
			if a and b then
				print('FIRST ' .. tostring(a.first_ever) .. ' SECOND ' .. tostring(b.first_ever))
				os.exit(0)
			end
		until os.time() > deadline
		local n = 0
		for _, l in ipairs(r:lines() or {}) do if l.rport == $port then n = n + 1 end end
		print('NOT FOUND (lines to the port: ' .. n .. ')')" 2>&1)
	t_check "Lua $v live reader: first connection first_ever, the later one not ($res)" \
		grep -qx 'FIRST true SECOND false' <<<"$res"
	lua_ok=1
done
[ "$lua_ok" = 1 ] || t_check "a Lua module to read lines with (LECO_LUA_VERS)" false
t_check "leco report ran 20 times while the recorder wrote" wait "$loop_pid"
t_check "no interval failed meanwhile (failures $(h_status "$st" failures))" \
	test "$(h_status "$st" failures)" = 0

# --- 3. SIGTERM -----------------------------------------------------------------------------
kill -TERM "$rec_pid"
t_check "SIGTERM: the recorder exits within 5 s" t_wait_for 5 bash -c "! kill -0 $rec_pid 2>/dev/null"
wait "$rec_pid"
rc=$?
rec_pid=''
t_check "SIGTERM: exit status 0 (got $rc)" test "$rc" = 0
t_check "the status file says stopped" h_status_has "$st" state '^stopped$'
t_check "the database passes integrity_check" h_integrity "$db"
t_check "no error on the recorder's stderr ($(grep -v 'writing .* every' "$SVC_TMP/record.err" | head -c 300))" \
	bash -c "! grep -v 'writing .* every' '$SVC_TMP/record.err' | grep -q ."
t_done

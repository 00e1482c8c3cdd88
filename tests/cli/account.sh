#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Accounting end to end, as root, with the real probes in a private bpffs and real loopback
# traffic: `leco top --json` (started before the traffic) gives three client processes exactly
# the bytes each sent and received, one server process the sum, and keeps them, marked exited,
# after they are gone; `leco conns` lists every one of 200 short-lived processes' connections
# (lines would merge them into one slot), and its filters keep what they say.
# usage: account.sh LECO LECO_LOAD
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
t_need_root
LECO=$1 LOAD=$2
H="/usr/bin/python3 -W ignore $(cd "$(dirname "$0")" && pwd)/acct_traffic.py"
[ -x "$LOAD" ] || t_skip "no leco-load at $LOAD"
[ -x /usr/bin/python3 ] || t_skip "no /usr/bin/python3"

tmp=$(mktemp -d "/tmp/leco-test-$$-XXXXXX")
bg=()
cleanup() {
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
	t_probes_gone "$LOAD" "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
pin=$(t_probes "$LOAD" "$tmp") || exit $?

# 1. leco top counts from its first poll: start it, and see it count a first connection
"$LECO" top -p "$pin" --json -i 0.2 >"$tmp/top.json" 2>"$tmp/top.err" &
topid=$!
bg+=("$topid")
$H server "$tmp/port" 4 &
srv=$!
t_wait_for 10 test -s "$tmp/port" || { echo "FAIL server"; exit 1; }
port=$(cat "$tmp/port")
group() { $H group "$tmp/top.json" "$1"; }
c0=$($H client "$port" 8 0)
t_check "leco top --json streams when piped (the first client, $c0)" \
	t_wait_for 10 sh -c "$H group '$tmp/top.json' '$c0' | grep -q '\"tx\": 8,'"

# three clients sending and receiving different exact amounts to one server process
c1=$($H client "$port" 1000 2000) && c2=$($H client "$port" 250000 9) &&
	c3=$($H client "$port" 3333333 44444)
wait "$srv"
t_check "three clients ran ($c1 $c2 $c3), server $srv" test -n "$c1" -a -n "$c2" -a -n "$c3"
exact() { # exact PID TX RX: its group in the stream has these totals, 1 connection, exited
	group "$1" | /usr/bin/python3 -c "
import json, sys
g = json.load(sys.stdin)
sys.exit(0 if g and g['tx'] == $2 and g['rx'] == $3 and g['exited'] and g['conns'] == 0
         and g['conns_total'] == $4 and g['key'].startswith('$1') else 1)"
}
t_check "client 1: tx 1000, rx 2000 exactly, exited" t_wait_for 15 exact "$c1" 1000 2000 1
t_check "client 2: tx 250000, rx 9 exactly, exited" t_wait_for 15 exact "$c2" 250000 9 1
t_check "client 3: tx 3333333, rx 44444 exactly, exited" t_wait_for 15 exact "$c3" 3333333 44444 1
t_check "server: rx 3584341, tx 46453 exactly, 4 connections" \
	t_wait_for 15 exact "$srv" 46453 3584341 4
group "$c3" >"$tmp/g3.json"
t_check "a process group's fields" /usr/bin/python3 -c "
import json
g = json.load(open('$tmp/g3.json'))
assert g['by'] == 'process' and g['comm'] == 'python3' and g['cmd'] == 'acct_traffic.py', g
assert g['user'] == 'root' and g['uid'] == 0 and g['unattributed'] is False, g
assert g['failed'] == 0 and g['blocked'] == 0 and g['first_seen'] <= g['last_seen'], g
assert g['t'] > g['last_seen'] - 5 and isinstance(g['rx_rate'], (int, float)), g
assert g['start_time'] == 0 or g['key'] == '%d:%d' % (g['pid'], g['start_time']), g"
kill -TERM "$topid"
wait "$topid"
t_check "leco top exits 0 on SIGTERM" test $? = 0
bg=()

# 2. 200 short-lived processes: every one listed by leco conns (lines would merge them)
$H server "$tmp/port2" 200 &
srv=$!
t_wait_for 10 test -s "$tmp/port2" || { echo "FAIL server"; exit 1; }
port2=$(cat "$tmp/port2")
read -r -a pids < <($H burst "$port2" 200)
wait "$srv"
t_check "200 short-lived processes ran" test "${#pids[@]}" = 200
"$LECO" conns -p "$pin" --json >"$tmp/conns.json"
t_check "leco conns --json exits 0" test $? = 0
missing=$($H conns "$tmp/conns.json" "$port2" "${pids[@]}")
t_check "leco conns lists all 200 (missing: ${missing:-none})" test -z "$missing"
n=$(grep -c "\"rport\":$port2," "$tmp/conns.json")
t_check "one record per connection ($n)" test "$n" = 200
t_check "their processes are marked exited" \
	test "$(grep "\"rport\":$port2," "$tmp/conns.json" | grep -c '"exited":true')" = 200
"$LECO" lines -p "$pin" --raw --json -n 100000 >"$tmp/lines.json"
t_check "lines merges them (fewer than 200 lines to that port)" \
	test "$(grep -c "\"rport\":$port2," "$tmp/lines.json")" -lt 200

# 3. filters, and the text listing
"$LECO" conns -p "$pin" --pid "${pids[7]}" --json >"$tmp/one.json"
one_of=$(grep -c "\"pid\":${pids[7]}," "$tmp/one.json")
t_check "--pid keeps that process's connection" \
	test "$(wc -l <"$tmp/one.json")" = 1 -a "$one_of" = 1
"$LECO" conns -p "$pin" --user root --state closed >"$tmp/conns.txt"
t_check "text: a header like ss" grep -q '^Proto State  *Dir Local  *Peer' "$tmp/conns.txt"
t_check "text: the connections, exited" grep -q "127.0.0.1:$port2 .* acct_traffic.py .*(exited)" \
	"$tmp/conns.txt"
t_check "--state closed keeps closed ones only" \
	sh -c "! tail -n +2 '$tmp/conns.txt' | grep -v '^tcp   closed '"
unit=$(grep -m1 "\"pid\":${pids[9]}," "$tmp/conns.json" | /usr/bin/python3 -c \
	'import json, sys; print(json.load(sys.stdin)["unit"])')
t_check "--unit '$unit' (its unit) with --pid: 1 record" \
	test "$("$LECO" conns -p "$pin" --unit "$unit" --pid "${pids[9]}" --json | wc -l)" = 1
t_check "--unit of another name: none of ours" \
	test "$("$LECO" conns -p "$pin" --unit "nounit-$$" --pid "${pids[9]}" --json | wc -l)" = 0
"$LECO" conns -p "$pin" --user nosuchuser-$$ >"$tmp/none.txt"
t_check "--user nobody-like: no records, no header" test ! -s "$tmp/none.txt"

# 4. --once: one frame, two polls apart
"$LECO" top -p "$pin" --once --json -i 0.2 --by program --sort conns_total >"$tmp/once.json"
t_check "top --once --json: exits 0 with objects" test $? = 0 -a -s "$tmp/once.json"
t_check "top --once: by program, one frame" /usr/bin/python3 -c "
import json
o = [json.loads(l) for l in open('$tmp/once.json')]
assert o and all(g['by'] == 'program' and g['t'] == o[0]['t'] for g in o), o[:2]
assert 'pid' not in o[0], o[0]"
t_done

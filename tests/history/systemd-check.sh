#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the container that tests/history/systemd.sh boots (systemd as PID 1), as the
# unit leco-check.service after leco.service and leco-record.service started; writes one
# line per check to /leco-results/checks ("ok NAME" / "FAIL NAME"), then powers off.
set -u
out=/leco-results/checks
: >"$out"
check() { # check NAME command...
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then echo "ok   $name" >>"$out"; else echo "FAIL $name" >>"$out"; fi
}
prop() { systemctl show -p "$2" --value "$1"; }
wait_for() { # wait_for SECONDS command...
	local end=$(($(date +%s) + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
db=/var/lib/leco/history.db

for u in leco.service leco-record.service; do
	check "$u: loaded" test "$(prop $u LoadState)" = loaded
	check "$u: started by systemd" test "$(prop $u ActiveState)" = active
done
check "leco.service: leco-load exited 0" test "$(prop leco.service ExecMainStatus)" = 0
check "leco.service: pins for group leco, 0640" \
	bash -c '[ "$(stat -c "%G %a" /sys/fs/bpf/leco/conns)" = "leco 640" ]'
check "sysusers made leco-record, in group leco" bash -c 'id -nG leco-record | grep -qw leco'

pid=$(prop leco-record.service MainPID)
# Type=simple is "active" from the fork on: until systemd's child has set up the sandbox and
# exec'd leco, /proc/PID is root's. Wait for the exec (comm becomes the program's name).
check "leco-record: exec'd leco" wait_for 20 bash -c "[ \"\$(cat /proc/$pid/comm)\" = leco ]"
check "leco-record runs as leco-record" test "$(stat -c %U /proc/"$pid")" = leco-record
check "leco-record: no capabilities at all" \
	bash -c "grep -Eq '^CapEff:\s+0+$' /proc/$pid/status && grep -Eq '^CapBnd:\s+0+$' /proc/$pid/status"
check "leco-record: no_new_privs" grep -Eq '^NoNewPrivs:\s+1$' "/proc/$pid/status"
check "leco-record: seccomp filter on" grep -Eq '^Seccomp:\s+2$' "/proc/$pid/status"
check "leco-record: its own network namespace (PrivateNetwork=)" \
	test "$(readlink /proc/"$pid"/ns/net)" != "$(readlink /proc/1/ns/net)"
check "leco-record: / is read-only for it (ProtectSystem=strict)" \
	nsenter -t "$pid" -m -- bash -c '! touch /usr/leco-probe 2>/dev/null'
check "state directory 0750 leco-record:leco" \
	test "$(stat -c '%a %U:%G' /var/lib/leco)" = "750 leco-record:leco"

# traffic with known sizes from an app with a known name; the recorder counts it exactly
python3 /leco-test/histsysd.py pair 6000 7000 >/dev/null
python3 /leco-test/histsysd.py pair 300 400 >/dev/null
total() {
	leco report --db "$db" --since 1h --json |
		python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r["key"] == "histsysd.py": print(r["rx"], r["tx"], r["conns"])'
}
total_is() { [ "$(total)" = "$1" ]; }
check "leco-record recorded the traffic exactly (13700 13700 4)" wait_for 40 total_is "13700 13700 4"
check "the database: 0640 leco-record:leco" test "$(stat -c '%a %U:%G' $db)" = "640 leco-record:leco"
check "its status file: state ok" grep -q '"state":"ok"' /run/leco-record/status
check "leco status shows the recorder" \
	bash -c 'leco status | grep -q "^recorder: *ok (running)"'
check "the journal has its start line" \
	bash -c "journalctl -u leco-record --no-pager | grep -q 'writing $db every 10 s'"

systemctl stop leco-record.service
check "leco-record: stopped cleanly (Result=success)" test "$(prop leco-record.service Result)" = success
check "leco-record: exit status 0 on SIGTERM" test "$(prop leco-record.service ExecMainStatus)" = 0
check "the database after the stop: integrity_check ok" python3 -c '
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
sys.exit(c.execute("PRAGMA integrity_check").fetchall() != [("ok",)])' "$db"
systemctl stop leco.service
check "leco.service: stopped cleanly (Result=success)" test "$(prop leco.service Result)" = success
check "leco.service: the pins are gone" test ! -e /sys/fs/bpf/leco
journalctl --no-pager -u leco.service -u leco-record.service >/leco-results/journal 2>&1
echo done >>"$out"
systemctl poweroff --no-block

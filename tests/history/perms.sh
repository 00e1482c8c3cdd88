#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing is more open than the pins: the history database is readable by group leco, and by
# nobody else. As the service runs it: a recorder user whose group is leco writes into a
# directory 0750 (StateDirectory=), under a umask that would let everyone read (0022); it
# reads pins that only group leco may read.
#   - the database, its -wal and -shm, and the status file: 0640, group leco
#   - a user in group leco: leco report and Lua read it, while it is written and after the
#     recorder stopped (read-only: it may not write the -shm)
#   - a user outside the group: permission denied, no data (CLI and Lua)
# Environment: LECO_BIN LECO_SRC LECO_LUA_DIR LECO_LUA_VERS
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
. "$here/hist-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) missing"

SVC_TMP=$(mktemp -d /tmp/leco-test-hperm.XXXXXX)
chmod 755 "$SVC_TMP"
pin=/sys/fs/bpf/leco-test-$$-hperm
ur=lecoh$$r ua=lecoh$$a ub=lecoh$$b
state=$SVC_TMP/state run=$SVC_TMP/run
db=$state/history.db st=$run/status
rec_pid=''
cleanup() {
	[ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null
	svc_unload "$pin"
	svc_users_gone
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

svc_user_add "$ur" primary
svc_user_add "$ua" member
svc_user_add "$ub" outsider
t_check "test users created" bash -c "id '$ur' && id '$ua' && id '$ub'" >/dev/null
t_check "leco, libleco and the Lua modules staged" svc_stage "$SVC_TMP/stage"
cp "$here/../service/traffic.py" "$SVC_TMP/hp$$.py" && chmod 644 "$SVC_TMP/hp$$.py"

# USER [GROUP] with no capabilities at all
as() {
	local u=$1 g=$2; shift 2
	setpriv --reuid="$u" --regid="$g" --init-groups --inh-caps=-all --ambient-caps=-all \
		--bounding-set=-all --no-new-privs -- env PATH="$RD_PATH" "$@"
}
svc_load "$pin" --group leco || { cat "$SVC_TMP/load.log"; t_check "leco-load" false; t_done; exit; }
# as systemd makes StateDirectory= and RuntimeDirectory= (mode 0750, User=, Group=leco)
install -d -m 0750 -o "$ur" -g leco "$state" "$run"

# (not through the function: its subshell's pid is not the recorder's)
setpriv --reuid="$ur" --regid=leco --init-groups --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all --no-new-privs -- env PATH="$RD_PATH" bash -c "umask 0022; exec \
	'$RD_BIN/leco' record -p '$pin' --db '$db' -i 1 --status-file '$st'" \
	2>"$SVC_TMP/record.err" &
rec_pid=$!
t_check "the recorder (group leco, no capabilities) commits" \
	t_wait_for 15 bash -c "[ \"\$(h_status '$st' commits)\" -ge 2 ] 2>/dev/null"
"$SVC_PY" "$SVC_TMP/hp$$.py" pair 4000 5000 >/dev/null
t_check "it records traffic" t_wait_for 15 h_total_is "$db" "hp$$.py" "9000 9000 2"
for f in "$db" "$db-wal" "$db-shm" "$st"; do
	t_check "$(basename "$f"): 0640 $ur:leco (umask was 0022)" \
		test "$(stat -c '%a %U:%G' "$f" 2>&1)" = "640 $ur:leco"
done
t_check "the directories: 0750" test "$(stat -c %a "$state") $(stat -c %a "$run")" = "750 750"

# --- a user in group leco --------------------------------------------------------------
reader_checks() { # reader_checks WHEN
	local out=$SVC_TMP/a.json
	as "$ua" nogroup "$RD_BIN/leco" report --db "$db" --json >"$out" 2>"$SVC_TMP/a.err"
	t_check "$1: user in group leco: leco report reads it" \
		svc_json_has "$out" "L['key']=='hp$$.py' and L['rx']==9000"
	t_check "$1: user in group leco: no error ($(head -c 200 "$SVC_TMP/a.err"))" \
		test ! -s "$SVC_TMP/a.err"
	for v in ${LECO_LUA_VERS:-}; do
		res=$(as "$ua" nogroup env LUA_CPATH="$RD_LUA/$v/?.so" "lua$v" -e "
			local leco = require 'leco'
			local h = assert(leco.history('$db'))
			for _, t in ipairs(assert(h:totals{since = '1h'})) do
				if t.key == 'hp$$.py' then print('RX ' .. t.rx) end
			end" 2>&1)
		t_check "$1: user in group leco: Lua $v reads it ($res)" grep -qx 'RX 9000' <<<"$res"
	done
}
reader_checks "while it writes"
t_check "user in group leco: leco status shows the recorder" \
	bash -c "$(declare -f as); as '$ua' nogroup '$RD_BIN/leco' status -p '$pin' \
		--status-file '$st' | grep -q '^recorder: *ok (running)'"

# --- a user outside the group ------------------------------------------------------------
as "$ub" nogroup "$RD_BIN/leco" report --db "$db" --json >"$SVC_TMP/b.out" 2>"$SVC_TMP/b.err"
rc=$?
t_check "user outside: leco report exits 2 (got $rc)" test "$rc" = 2
t_check "user outside: no data" test ! -s "$SVC_TMP/b.out"
t_check "user outside: permission denied, naming the file ($(head -c 200 "$SVC_TMP/b.err"))" \
	bash -c "grep -q 'Permission denied' '$SVC_TMP/b.err' && grep -qF '$db' '$SVC_TMP/b.err'"
for v in ${LECO_LUA_VERS:-}; do
	res=$(as "$ub" nogroup env LUA_CPATH="$RD_LUA/$v/?.so" "lua$v" -e "
		local leco = require 'leco'
		local h, e = leco.history('$db')
		print(h and 'DATA' or ('NIL ' .. tostring(e)))" 2>&1)
	t_check "user outside: Lua $v gets nil + permission denied ($res)" \
		grep -q '^NIL .*Permission denied' <<<"$res"
done
t_check "user outside: the status file is out of reach" \
	bash -c "$(declare -f as); ! as '$ub' nogroup cat '$st' >/dev/null 2>&1"

# --- after the recorder stopped: still readable read-only ----------------------------------
kill -TERM "$rec_pid"
wait "$rec_pid"
rc=$?
rec_pid=''
t_check "the recorder stops with 0 (got $rc)" test "$rc" = 0
t_check "-wal and -shm stay (a reader may not make them)" test -e "$db-wal" -a -e "$db-shm"
reader_checks "after it stopped"
t_check "the database passes integrity_check" h_integrity "$db"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# /proc unreadable: a user in group leco reads lines while /proc is mounted with
# hidepid=2 (other users' processes invisible) — over /proc for the CLI, and as a
# separate mount passed through the proc_root option for Lua, each in a private
# mount namespace (unshare -m). Outcome: exit 0 / lines returned; a root process's
# live connection is shown with the kernel's comm and uid (user "root"), exe ""
# — no error, no crash.
. "$(dirname "$0")/common.sh"
command -v unshare >/dev/null || t_skip "unshare missing"
u=lecot$$h
fault_cleanup_extra=svc_users_gone
svc_user_add "$u" member
# The reader runs as that user: from copies it can read (the checkout may be 0700).
if ! svc_stage "$SVC_TMP/stage"; then
	t_check "leco and the Lua modules staged for the reader" false
	t_done; exit
fi
svc_load "$pin" --group leco || { cat "$SVC_TMP/load.log" >&2; t_check "leco-load --group leco" false; t_done; exit; }

# A root process holding a connection open (alive, so only hidepid hides it).
"$SVC_PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b"h" * 1234); a.recv(4096)
print(s.getsockname()[1], c.getsockname()[1], flush=True)
time.sleep(120)' >"$SVC_TMP/hold" &
hpid=$!
fault_pids+=("$hpid")
t_wait_for 10 test -s "$SVC_TMP/hold"
read -r port _ <"$SVC_TMP/hold"

as_user='setpriv --reuid='"$u"' --regid=nogroup --init-groups --inh-caps=-all --bounding-set=-all --no-new-privs --'
t_check "hidepid=2 hides root's process from the user" \
	unshare -m --propagation private bash -c "mount -t proc -o hidepid=2 proc /proc &&
		! $as_user test -e /proc/$hpid/cmdline"
check() {
	unshare -m --propagation private bash -c "mount -t proc -o hidepid=2 proc /proc &&
		exec $as_user '$RD_BIN/leco' lines --json --raw -p '$pin'" \
		>"$SVC_TMP/o" 2>"$SVC_TMP/e" &&
		svc_json_has "$SVC_TMP/o" "L['rport']==$port and L['tx']==1234"
}
t_check "CLI under hidepid=2: exit 0 and the connection is shown" t_wait_for 10 check
t_check "CLI under hidepid=2: owner from the kernel record (user root, comm, pid)" \
	svc_json_has "$SVC_TMP/o" "L['rport']==$port and L['user']=='root' and L['comm'].startswith('python') and L['pid']==$hpid"
t_check "CLI under hidepid=2: no error output ($(head -c 200 "$SVC_TMP/e"))" test ! -s "$SVC_TMP/e"

mkdir -p "$SVC_TMP/proc"
for v in $LECO_LUA_VERS; do
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
	res=$(unshare -m --propagation private bash -c "mount -t proc -o hidepid=2 proc '$SVC_TMP/proc' &&
		exec $as_user env PATH='$RD_PATH' LUA_CPATH='$RD_LUA/$v/?.so' lua$v -e \"
		local r = assert(require('leco').open{pin = '$pin', raw = true, proc_root = '$SVC_TMP/proc'})
		local ls, e = r:lines()
		if not ls then print('NIL ' .. tostring(e)) os.exit(1) end
		for _, l in ipairs(ls) do
			if l.rport == $port then print('SEEN ' .. l.user .. ' ' .. l.tx) end
		end\"" 2>&1)
	t_check "Lua $v with proc_root on a hidepid=2 procfs: line shown ($res)" \
		bash -c "grep -qx 'SEEN root 1234' <<<'$res'"
done
t_done

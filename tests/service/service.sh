#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The privilege split, for real: leco-load (root, with only the unit's capability
# bounding set) pins the maps for group "leco"; a user in the group reads lines
# with `leco lines` and through Lua with no capabilities at all; a user outside
# it gets "permission denied ... group leco" (exit 2), not a crash and not data.
# Environment: LECO_BIN LECO_SRC LECO_LUA_DIR LECO_LUA_VERS
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) missing"

SVC_TMP=$(mktemp -d /tmp/leco-svc-test.XXXXXX)
chmod 755 "$SVC_TMP"
pin=/sys/fs/bpf/leco-test-$$-svc
ua=lecot$$a ub=lecot$$b
cleanup() {
	svc_unload "$pin"
	svc_users_gone
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

svc_user_add "$ua" member
svc_user_add "$ub" outsider
t_check "test users created" bash -c "id '$ua' && id '$ub'" >/dev/null
# The readers run as those users, leco-load as root without CAP_DAC_*: from copies they can
# read (the checkout may sit in a 0700 home directory).
t_check "leco, leco-load, libleco and the Lua modules staged" svc_stage "$SVC_TMP/stage"

# Run as USER with no capabilities in any set (effective, permitted, inheritable,
# ambient, bounding) and no_new_privs: whatever works here needs no privilege.
as() {
	local u=$1; shift
	setpriv --reuid="$u" --regid=nogroup --init-groups --inh-caps=-all --ambient-caps=-all \
		--bounding-set=-all --no-new-privs -- "$@"
}
t_check "reader environment has no capabilities" \
	bash -c "$(declare -f as); as '$ua' grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status &&
		as '$ua' grep -q '^CapBnd:[[:space:]]*0*$' /proc/self/status"

# leco-load with exactly the capabilities the unit keeps (CapabilityBoundingSet=).
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$LECO_SRC/dist/leco.service.in" |
	tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd, -)
t_check "unit's capability set parsed ($caps)" test -n "$caps"
# SupplementaryGroups=leco: lets root give the pins to group leco without CAP_CHOWN
sgid=()
grep -qx 'SupplementaryGroups=leco' "$LECO_SRC/dist/leco.service.in" &&
	sgid=(--groups="$(getent group leco | cut -d: -f3)")
unitlike() { setpriv "${sgid[@]}" --inh-caps=-all --bounding-set=-all,"$caps" -- "$@"; }
if unitlike "$RD_BIN/leco-load" --group leco -p "$pin" >"$SVC_TMP/load.log" 2>&1; then
	t_check "leco-load --group leco works with only the unit's capabilities" true
else
	cat "$SVC_TMP/load.log" >&2
	t_check "leco-load --group leco works with only the unit's capabilities" false
	t_done; exit
fi
t_check "leco-load is idempotent (second run exits 0)" \
	unitlike "$RD_BIN/leco-load" --group leco -p "$pin"

# Which of the unit's capabilities are really needed (printed, for the unit's comments)
IFS=, read -ra capl <<<"$caps"
for c in "${capl[@]}"; do
	p=/sys/fs/bpf/leco-test-$$-cap
	rest=$(printf '%s\n' "${capl[@]}" | grep -vx -- "$c" | paste -sd, -)
	if setpriv "${sgid[@]}" --inh-caps=-all --bounding-set=-all${rest:+,$rest} -- \
		"$RD_BIN/leco-load" --group leco -p "$p" >/dev/null 2>&1; then
		echo "info: leco-load also works without ${c#+}"
	else
		echo "info: leco-load needs ${c#+}"
	fi
	svc_unload "$p"
done

# The unit's file-system sandbox, approximated without systemd as PID 1: in a private
# mount namespace, / and /sys (ProtectSystem=strict, ProtectKernelTunables=), the cgroup
# tree (ProtectControlGroups=) and /proc/sys read-only, /sys/fs/bpf writable
# (ReadWritePaths=), no_new_privs (NoNewPrivileges=), the unit's capabilities and group.
p=/sys/fs/bpf/leco-test-$$-sandbox
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if unshare -m --propagation private bash -c '
	set -e
	mount -o remount,bind,ro /
	mount -o remount,bind,ro /sys
	[ -z "$1" ] || mount -o remount,bind,ro "$1"
	mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
	! touch /usr/leco-sandbox-probe 2>/dev/null
	shift
	exec setpriv "$@"' _ "$cg2" "${sgid[@]}" --no-new-privs --inh-caps=-all \
	--bounding-set=-all,"$caps" -- "$RD_BIN/leco-load" --group leco -p "$p" \
	>"$SVC_TMP/sb.log" 2>&1
then
	t_check "leco-load works in the unit-like sandbox (read-only /, /sys, cgroups, no_new_privs)" true
	t_check "pins made in the sandbox are visible outside it" test -e "$p/conns"
else
	cat "$SVC_TMP/sb.log" >&2
	t_check "leco-load works in the unit-like sandbox (read-only /, /sys, cgroups, no_new_privs)" false
fi
svc_unload "$p"

# Pins: group leco may read, others may not.
t_check "pinned maps are group leco, no access for others" \
	bash -c "for f in '$pin'/info '$pin'/conns '$pin'/stats; do
		[ \"\$(stat -c %G \"\$f\")\" = leco ] || exit 1
		[ \$(( 0\$(stat -c %a \"\$f\") & 07 )) = 0 ] || exit 1
	done"

# Known traffic, so a reader has something exact to show.
tr=$("$SVC_PY" "$here/traffic.py" pair 7000 9000)
port=$("$SVC_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$tr")
t_check "loopback traffic ran (port $port)" test -n "$port"

# --- user in group leco -------------------------------------------------------
out=$SVC_TMP/a.json
found() { # poll: the client's line with the exact byte counts is visible to user A
	as "$ua" "$RD_BIN/leco" lines --json --raw -p "$pin" >"$out" 2>"$SVC_TMP/a.err" &&
		svc_json_has "$out" "L['rport']==$port and L['dir']=='out' and L['tx']==7000 and L['rx']==9000"
}
t_check "user in group leco: leco lines --json shows the connection with exact bytes" t_wait_for 10 found
t_check "user in group leco: every output line is a JSON object" svc_json_valid "$out"
t_check "user in group leco: no error output" test ! -s "$SVC_TMP/a.err"
t_check "user in group leco: leco status exits 0" as "$ua" "$RD_BIN/leco" status -p "$pin"

for v in $LECO_LUA_VERS; do
	lua=lua$v
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || { t_check "Lua $v module built" false; continue; }
	res=$(as "$ua" env PATH="$RD_PATH" LUA_CPATH="$RD_LUA/$v/?.so" "$lua" -e "
		local leco = require 'leco'
		local r = assert(leco.open{pin = '$pin', raw = true})
		local lines, err = r:lines()
		if not lines then print('ERR ' .. tostring(err)) os.exit(1) end
		for _, l in ipairs(lines) do
			if l.rport == $port and l.dir == 'out' then print('TX ' .. l.tx .. ' RX ' .. l.rx) end
		end
		r:close()" 2>&1)
	t_check "user in group leco: Lua $v reads the connection ($res)" \
		bash -c "grep -qx 'TX 7000 RX 9000' <<<'$res'"
done

# --- user outside group leco --------------------------------------------------
as "$ub" "$RD_BIN/leco" lines --json -p "$pin" >"$SVC_TMP/b.out" 2>"$SVC_TMP/b.err"
rc=$?
t_check "user outside group: leco lines exits 2 (got $rc)" test "$rc" = 2
t_check "user outside group: no data on stdout" test ! -s "$SVC_TMP/b.out"
t_check "user outside group: message says permission denied and names group leco ($(head -c 300 "$SVC_TMP/b.err"))" \
	bash -c "grep -qi 'permission denied' '$SVC_TMP/b.err' && grep -q 'group leco' '$SVC_TMP/b.err'"
t_check "user outside group: message is one 'leco: ...' line, no crash output" \
	bash -c "[ \$(wc -l <'$SVC_TMP/b.err') = 1 ] && grep -q '^leco: ' '$SVC_TMP/b.err'"
as "$ub" "$RD_BIN/leco" status -p "$pin" >/dev/null 2>"$SVC_TMP/b2.err"
rc=$?
t_check "user outside group: leco status exits 2 with the same hint (got $rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'group leco' '$SVC_TMP/b2.err'"
for v in $LECO_LUA_VERS; do
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
	res=$(as "$ub" env PATH="$RD_PATH" LUA_CPATH="$RD_LUA/$v/?.so" "lua$v" -e "
		local leco = require 'leco'
		local r, e = leco.open{pin = '$pin'}
		if not r then print('OPENFAIL ' .. tostring(e)) os.exit(0) end
		local lines, err = r:lines()
		if lines then print('DATA ' .. #lines) else print('NIL ' .. tostring(err)) end" 2>&1)
	t_check "user outside group: Lua $v gets nil + 'permission denied' message, no data ($res)" \
		bash -c "grep -Eq '^(NIL|OPENFAIL) .*[Pp]ermission denied' <<<'$res'"
done
t_done

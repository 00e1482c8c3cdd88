#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end, as root, with the real probes: leco-load into a private bpffs, real
# loopback traffic, and `leco lines --json` checked field by field (bytes, pid,
# script name, user of another uid, unit of a child cgroup, refused, blocked in a
# netns with nft, inbound, hostile comm); two `leco watch` readers at once; and a
# running `leco watch` surviving an unload + reload of the probes.
# usage: e2e.sh LECO LECO_LOAD
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
t_need_root
LECO=$1 LOAD=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$LOAD" ] || t_skip "no leco-load at $LOAD"
[ -x /usr/bin/python3 ] || t_skip "no /usr/bin/python3"

tmp=$(mktemp -d "/tmp/leco-test-$$-XXXXXX")
pin=$tmp/bpffs/leco
cgmnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg=$cgmnt/leco-test-$$
ns=leco-t$$
bg=()
cleanup() {
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
	"$LOAD" --unload -p "$pin" >/dev/null 2>&1
	umount "$tmp/bpffs" 2>/dev/null
	[ -d "$cg" ] && rmdir "$cg" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# The helper also runs as nobody: from a copy that user can read (tests/stage.sh).
chmod 0711 "$tmp"
"$here/../stage.sh" "$tmp/stage" "$here/e2e_helper.py" ||
	{ echo "FAIL staging e2e_helper.py"; exit 1; }
H="/usr/bin/python3 -W ignore $tmp/stage/e2e_helper.py"
mkdir -p "$tmp/bpffs" && mount -t bpf bpf "$tmp/bpffs" || t_skip "cannot mount a bpffs"
"$LOAD" -p "$pin" >"$tmp/load.log" 2>&1 || { cat "$tmp/load.log"; echo "FAIL leco-load"; exit 1; }

lines() {
	"$LECO" lines -p "$pin" -n 100000 --json --raw >"$1"
	local rc=$?
	t_check "leco lines exits 0 ($(basename "$1"))" test "$rc" = 0
}
check() { local f=$1; shift; $H check "$f" "$@"; }

# server + client with exact byte counts; prints "server_pid client_pid port"
conv() { # conv TAG NSEND NREAD [runner...]
	local tag=$1 n1=$2 n2=$3; shift 3
	$H server "$tmp/$tag.port" "$n1" "$n2" & local spid=$!
	t_wait_for 10 test -s "$tmp/$tag.port" || return 1
	local port; port=$(cat "$tmp/$tag.port")
	"$@" $H client "$port" "$n1" "$n2" & local cpid=$!
	wait "$cpid"; wait "$spid"
	echo "$spid $cpid $port"
}

# 1. bytes, pid, script name, inbound
read -r spid cpid port < <(conv a 5000 7000 env)
lines "$tmp/1.json"
t_check "outbound bytes, pid, script name" check "$tmp/1.json" "l['rport']==$port" \
	"l['dir']=='out'" "l['tx']==5000" "l['rx']==7000" "l['pid']==$cpid" \
	"l['cmd']=='e2e_helper.py'" "l['comm']=='python3'" "l['user']=='root'" "l['uid']==0" \
	"l['proto']=='tcp'" "l['family']==4" "l['raddr']=='127.0.0.1'" "l['laddr']=='127.0.0.1'" \
	"l['state'] in ('closed','established')" "l['err'] is None" \
	"l['text'].endswith(':: root :: e2e_helper.py :: 127.0.0.1 $port :: v 6.8K / 4.9K ^')"
t_check "inbound side" check "$tmp/1.json" "l['lport']==$port" "l['dir']=='in'" \
	"l['rx']==5000" "l['tx']==7000" "l['pid']==$spid" "l['cmd']=='e2e_helper.py'" \
	"' :: <- 127.0.0.1 ' in l['text']" "l['first_seen'] <= l['last_seen']" "0 <= l['alpha'] <= 1"

# 2. another uid
read -r spid cpid port < <(conv b 100 200 setpriv --reuid=65534 --regid=65534 --clear-groups)
lines "$tmp/2.json"
t_check "user of another uid" check "$tmp/2.json" "l['rport']==$port" "l['dir']=='out'" \
	"l['uid']==65534" "l['user']=='nobody'" "':: nobody :: e2e_helper.py ::' in l['text']"

# 3. a child cgroup: path and unit label
mkdir "$cg" || t_skip "cannot create $cg"
read -r spid cpid port < <(conv c 300 400 sh -c "echo \$\$ > '$cg/cgroup.procs' && exec \"\$@\"" sh)
lines "$tmp/3.json"
t_check "unit of a child cgroup" check "$tmp/3.json" "l['rport']==$port" "l['dir']=='out'" \
	"l['cgroup']=='leco-test-$$'" "l['unit']=='leco-test-$$'" \
	"':: e2e_helper.py [leco-test-$$] ::' in l['text']"

# 4. refused
rport=$($H freeport)
t_check "connect refused" $H refused "$rport"
lines "$tmp/4.json"
t_check "failed state" check "$tmp/4.json" "l['rport']==$rport" "l['state']=='failed'" \
	"l['err']=='ECONNREFUSED'" "' 127.0.0.1 $rport refused :: ' in l['text']"

# 5. blocked: UDP send dropped by nft in OUTPUT inside our own netns
if ip netns add "$ns" 2>/dev/null && ip -n "$ns" link set lo up &&
	printf '%s\n' 'table inet lecot {' ' chain out {' '  type filter hook output priority 0; policy accept;' \
		'  udp dport 9999 drop' ' }' '}' | ip netns exec "$ns" nft -f -
then
	t_check "send refused by the firewall" test "$(ip netns exec "$ns" $H udp 9999 58)" = EPERM
	lines "$tmp/5.json"
	t_check "blocked state" check "$tmp/5.json" "l['rport']==9999" "l['proto']=='udp'" \
		"l['state']=='blocked'" "l['err']=='EPERM'" "' 127.0.0.1 9999/udp blocked :: ' in l['text']"
else
	t_check "netns + nft available" false
fi

# 6. hostile comm: JSON stays valid, no control characters, no extra field separator
$H server "$tmp/e.port" 10 10 & hs=$!
t_wait_for 10 test -s "$tmp/e.port"
hport=$(cat "$tmp/e.port")
$H client "$hport" 10 10 $'a :: b\n\x1b[1m' ; wait $hs
lines "$tmp/6.json"
t_check "hostile comm sanitized" check "$tmp/6.json" "l['rport']==$hport" "l['dir']=='out'" \
	"l['comm']=='a - b[1m'" "l['text'].count(' :: ')==4" \
	"not any(ord(ch) < 32 for ch in l['text'])"
t_check "no raw control characters in JSON" sh -c "! grep -qP '[\x00-\x08\x0b-\x1f]' '$tmp/6.json'"

# 7. two readers at once both see everything
"$LECO" watch -p "$pin" --json --raw -i 0.2 >"$tmp/w1.json" 2>"$tmp/w1.err" & w1=$!
"$LECO" watch -p "$pin" --json --raw -i 0.2 >"$tmp/w2.json" 2>"$tmp/w2.err" & w2=$!
bg+=("$w1" "$w2")
t_wait_for 10 test -s "$tmp/w1.json" && t_wait_for 10 test -s "$tmp/w2.json"
read -r spid cpid port < <(conv f 1234 4321 env)
seen() { grep -q "\"rport\":$2,.*\"tx\":1234" "$1"; }
t_check "watch 1 sees the new connection" t_wait_for 10 seen "$tmp/w1.json" "$port"
t_check "watch 2 sees the new connection" t_wait_for 10 seen "$tmp/w2.json" "$port"
t_check "both see exact bytes" t_wait_for 10 check "$tmp/w2.json" "l['rport']==$port" "l['tx']==1234" "l['rx']==4321"

# 8. fault: unload and reload the probes under a running watch
"$LOAD" --unload -p "$pin" >/dev/null 2>&1
t_check "watch says the probes are gone" t_wait_for 10 grep -q "probes not loaded" "$tmp/w1.err"
t_check "watch keeps running" kill -0 "$w1"
"$LOAD" -p "$pin" >/dev/null 2>&1
t_check "watch says ok again" t_wait_for 10 grep -q "ok again" "$tmp/w1.err"
read -r spid cpid port < <(conv g 1234 999 env)
t_check "watch sees traffic after the reload" t_wait_for 10 seen "$tmp/w1.json" "$port"
kill -TERM "$w1" "$w2"
wait "$w1"; r1=$?
wait "$w2"; r2=$?
bg=()
t_check "watch exits 0 on SIGTERM" test "$r1" = 0 -a "$r2" = 0
t_check "status after reload" sh -c "'$LECO' status -p '$pin' | grep -q 'probes: *loaded'"
t_done

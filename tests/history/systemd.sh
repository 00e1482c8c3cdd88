#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# leco.service and leco-record.service under a real systemd, with their hardening on.
#
# This machine's PID 1 is not systemd, so the test boots one: systemd-nspawn --boot of the
# machine's own root, volatile (--volatile=yes: an empty tmpfs root, the host's /usr read-only
# under it), with the build installed (prefix /usr) as an overlay over that /usr: the units,
# sysusers.d, leco, leco-load and libleco where a package would put them. Its /sys/fs/bpf is a
# unique directory of the host's bpffs. Inside, leco-check.service (systemd-check.sh) runs after
# both units: they loaded, started, hold their sandbox (no capabilities, no_new_privs,
# seccomp, own network namespace, read-only /), record real traffic exactly, stop cleanly;
# then it powers off. The results come back through a bound directory.
# Environment: LECO_BIN (the build's bin/), LECO_SRC
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
command -v systemd-nspawn >/dev/null || t_skip "systemd-nspawn missing (systemd-container)"
[ -x /lib/systemd/systemd ] || t_skip "no systemd to boot (/lib/systemd/systemd)"
[ -e /sys/kernel/btf/vmlinux ] || t_skip "no BTF (/sys/kernel/btf/vmlinux)"

tmp=$(mktemp -d /tmp/leco-test-sysd.XXXXXX)
chmod 755 "$tmp"
pin=/sys/fs/bpf/leco-test-$$-sysd
machine=leco-test-$$
ns_pid=''
cleanup() {
	[ -n "$ns_pid" ] && kill -KILL "$ns_pid" 2>/dev/null && wait "$ns_pid" 2>/dev/null
	[ -e "$pin/leco" ] && "$LECO_BIN/leco-load" --unload -p "$pin/leco" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the build, installed as a package would be (prefix /usr), into a tree to overlay on /usr
build=${LECO_BIN%/bin}
DESTDIR=$tmp/root cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; t_check "cmake --install --prefix /usr" false; t_done; exit; }
t_check "installed: both units and sysusers.d" test -f "$tmp/root/usr/lib/systemd/system/leco.service" \
	-a -f "$tmp/root/usr/lib/systemd/system/leco-record.service" \
	-a -f "$tmp/root/usr/lib/sysusers.d/leco.conf"

# /etc/systemd/system of the container: both units enabled, the check after them, no first-boot
# questions
etc=$tmp/etc-units
mkdir -p "$etc/multi-user.target.wants" "$tmp/test" "$tmp/results"
cat >"$etc/leco-check.service" <<EOF
[Unit]
Description=libleco test: check leco.service and leco-record.service (tests/history)
After=leco.service leco-record.service
[Service]
Type=oneshot
ExecStart=/bin/bash /leco-test/systemd-check.sh
[Install]
WantedBy=multi-user.target
EOF
for u in leco.service leco-record.service; do
	ln -s "/usr/lib/systemd/system/$u" "$etc/multi-user.target.wants/$u"
done
ln -s ../leco-check.service "$etc/multi-user.target.wants/leco-check.service"
ln -s /dev/null "$etc/systemd-firstboot.service"
if [ "${LECO_SANITIZE:-}" = 1 ]; then
	# The sanitizer build (scripts/test-sanitize): LeakSanitizer stops the world with ptrace,
	# which the units' SystemCallFilter=@system-service refuses, so it would fail every exit
	# ("LeakSanitizer has encountered a fatal error"). Inside the units the leak check is off;
	# ASan's and UBSan's other checks stay on and end the process on a report (the same code
	# is leak-checked in the other tests).
	for u in leco.service leco-record.service; do
		mkdir -p "$etc/$u.d"
		printf '[Service]\nEnvironment=%s %s\n' 'ASAN_OPTIONS=detect_leaks=0:halt_on_error=1' \
			'UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1' >"$etc/$u.d/sanitize.conf"
	done
fi
cp "$here/systemd-check.sh" "$tmp/test/"
cp "$here/../service/traffic.py" "$tmp/test/histsysd.py"
chmod -R a+rX "$tmp/test" "$etc"
mkdir -m 0755 "$pin"

# boot; bounded: a hung boot is killed by pid
timeout --foreground -k 5 240 systemd-nspawn --quiet --keep-unit --register=no \
	--machine="$machine" --directory=/ --volatile=yes --boot --console=read-only \
	--private-network --capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN \
	--system-call-filter='bpf perf_event_open' \
	--overlay-ro="/usr:$tmp/root/usr:/usr" \
	--bind-ro="$etc:/etc/systemd/system" --bind-ro="$tmp/test:/leco-test" \
	--bind="$tmp/results:/leco-results" --bind="$pin:/sys/fs/bpf" \
	>"$tmp/console.log" 2>&1 &
ns_pid=$!
wait "$ns_pid"
rc=$?
ns_pid=''
t_check "the container booted and powered off by itself (exit $rc)" test "$rc" = 0
if [ ! -s "$tmp/results/checks" ]; then
	echo "--- console (last 40 lines)"
	tail -40 "$tmp/console.log"
	t_check "leco-check.service ran inside" false
	t_done
	exit
fi
while read -r res name; do
	t_check "inside: $name" test "$res" = ok
done < <(grep -v '^done$' "$tmp/results/checks")
t_check "inside: every check ran" grep -qx done "$tmp/results/checks"
if [ "$t_fail" != 0 ]; then
	echo "--- journal of the units"
	tail -60 "$tmp/results/journal" 2>/dev/null
fi
t_done

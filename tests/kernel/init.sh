#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the kernel-matrix guest (tests/kernel/guest.py builds the initramfs around it).
# Mounts what the tests need, loads the modules listed in /leco/modules, runs each command
# of /leco/steps (one per line) and prints one result line with the nonce the host chose:
#   LECO-GUEST-RESULT nonce=N passed=P failed=F
# then powers off (or gives a shell first when /leco/shell exists). A step passes when it
# exits 0.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# no tmpfs on /tmp: the build's files sit at their host paths, and a checkout under /tmp
# (a mktemp -d clone) would vanish under it; the initramfs itself is writable
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t bpf -o mode=0755 bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
hostname leco-guest
ip link set lo up
while read -r m; do
	insmod "$m" || echo "guest: insmod $m failed"
done </leco/modules
nonce=$(cat /leco/nonce)
up() { cut -d' ' -f1 /proc/uptime; }
echo "LECO-GUEST-BOOTED nonce=$nonce kernel=$(uname -r) uptime=$(up)"
passed=0 failed=0 i=0
while IFS= read -r step; do
	i=$((i + 1))
	echo "LECO-STEP $i at $(up) s: $step"
	(cd /tmp && exec sh -c "$step") </dev/null 2>&1
	rc=$?
	echo "LECO-STEP $i at $(up) s: exit $rc"
	if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done </leco/steps
echo "LECO-GUEST-RESULT nonce=$nonce passed=$passed failed=$failed"
if [ -e /leco/shell ]; then
	echo "guest: shell (exit or Ctrl-D powers off; Ctrl-A x quits QEMU)"
	setsid cttyhack sh -l
fi
poweroff -f

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The recorder's faults, each with real traffic and the real probes (root), on a small ext4
# file system the test makes in a file and mounts on a loop device:
#   disk full      a filler takes the last block; errors said, the recorder keeps going,
#                  the filler goes, the traffic of meanwhile is counted once
#   read-only      the file system turns read-only under it (ext4 error, remount-ro); errors
#                  said, it keeps retrying; the admin mounts it again (another loop device):
#                  it notices the new file and the bytes of meanwhile are counted once
#   deleted        the database file goes: a new one is made and written (0640)
#   replaced       by a file that is not a database: said, never written; then by a copy of
#                  a history database: taken up
# After each: PRAGMA integrity_check is ok, `leco status` and stderr said what was wrong.
# Environment: LECO_BIN LECO_SRC
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
. "$here/hist-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
for c in mkfs.ext4 e2fsck losetup python3; do
	command -v "$c" >/dev/null || t_skip "$c not installed (scripts/deps.sh test)"
done

SVC_TMP=$(mktemp -d /tmp/leco-test-hfault.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-hfault
img=$SVC_TMP/fs.img mnt=$SVC_TMP/mnt st=$SVC_TMP/status
db=$mnt/h.db
app=hf$$.py  # script names are cut past 16 characters: keep it short
cp "$here/../service/traffic.py" "$SVC_TMP/$app"
rec_pid='' loops=()
cleanup() {
	[ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null
	while mountpoint -q "$mnt" 2>/dev/null; do umount -l "$mnt" || break; done
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# mount_fs: the image on a new loop device at $mnt
mount_fs() {
	local l
	l=$(losetup -f --show "$img") || return 1
	loops+=("$l")
	mount -t ext4 -o errors=remount-ro "$l" "$mnt"
}
truncate -s 24M "$img" && mkfs.ext4 -q -F -m 0 "$img" && mkdir "$mnt" ||
	t_skip "cannot make an ext4 image"
mount_fs || t_skip "cannot mount a loop device (no loop support here?)"
svc_load "$pin" || { cat "$SVC_TMP/load.log"; t_check "leco-load" false; t_done; exit; }

"$LECO_BIN/leco" record -p "$pin" --db "$db" -i 1 --status-file "$st" 2>"$SVC_TMP/record.err" &
rec_pid=$!
traffic() { "$SVC_PY" "$SVC_TMP/$app" "$@" >/dev/null; }
alive() { kill -0 "$rec_pid" 2>/dev/null; }
failures() { h_status "$st" failures; }
# leco status names the problem (and the recorder still runs)
status_says() {
	"$LECO_BIN/leco" status -p "$pin" --status-file "$st" 2>&1 | grep -q -- "$1"
}
H_STATUS=$st H_PIN=$pin
expect_total() { # expect_total NAME "RX TX CONNS"
	h_expect "$db" "$app" "$2" 15 "$1: totals exact"
}

traffic pair 1000 1000
expect_total "before any fault" "2000 2000 2"

# --- disk full ---------------------------------------------------------------------------------
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null # until the disk is full
traffic pair 5000 6000
t_check "disk full: the status file says error, disk full" \
	t_wait_for 30 h_status_has "$st" message "disk is full"
f0=$(failures)
t_check "disk full: it keeps going and retries (more failed intervals)" \
	t_wait_for 10 bash -c "[ \$(h_status '$st' failures) -gt $f0 ]"
t_check "disk full: still running" alive
t_check "disk full: leco status says so" status_says "disk is full"
t_check "disk full: said on stderr" grep -q "leco: record: .*disk is full" "$SVC_TMP/record.err"
rm -f "$mnt/filler"
t_check "disk full over: state ok again" t_wait_for 15 h_status_has "$st" state '^ok$'
t_check "disk full over: said on stderr" grep -q "leco: record: ok again" "$SVC_TMP/record.err"
expect_total "disk full over" "13000 13000 4"
t_check "disk full: integrity_check ok" h_integrity "$db"

# --- read-only ----------------------------------------------------------------------------------
dev=$(basename "$(findmnt -no SOURCE "$mnt")")
echo 1 >"/sys/fs/ext4/$dev/trigger_fs_error"
t_check "read-only: the file system is read-only now" \
	bash -c "! touch '$mnt/probe' 2>/dev/null"
traffic pair 2000 3000
t_check "read-only: the status file says error, read-only" \
	t_wait_for 30 h_status_has "$st" message "[Rr]ead-only|readonly"
f0=$(failures)
t_check "read-only: it keeps retrying" t_wait_for 10 bash -c "[ \$(h_status '$st' failures) -gt $f0 ]"
t_check "read-only: still running" alive
t_check "read-only: leco status says so" status_says "ead-only"
# the files as they are on the read-only file system (a copy: opening the log needs its index)
mkdir "$SVC_TMP/ro-copy" && cp "$db" "$db-wal" "$SVC_TMP/ro-copy/" 2>/dev/null
t_check "read-only: the file as it is passes integrity_check" h_integrity "$SVC_TMP/ro-copy/h.db"
# the admin: a fresh mount of the same file system (the old one stays read-only)
umount -l "$mnt"
e2fsck -fy "$img" >"$SVC_TMP/fsck.log" 2>&1
t_check "read-only: mounted again" mount_fs
t_check "read-only over: state ok again" t_wait_for 20 h_status_has "$st" state '^ok$'
expect_total "read-only over" "18000 18000 6"
t_check "read-only: integrity_check ok" h_integrity "$db"

# --- deleted ------------------------------------------------------------------------------------
r0=$(h_status "$st" reopens)
rm -f "$db"
traffic pair 700 800
t_check "deleted: a new database at the path" t_wait_for 15 test -s "$db"
t_check "deleted: it counts the traffic since, once (1500 1500 2)" \
	t_wait_for 15 h_total_is "$db" "$app" "1500 1500 2"
t_check "deleted: the new file is 0640" test "$(stat -c %a "$db")" = 640
t_check "deleted: reopened (reopens $r0 -> $(h_status "$st" reopens))" \
	test "$(h_status "$st" reopens)" -gt "$r0"
t_check "deleted: integrity_check ok" h_integrity "$db"

# --- replaced -----------------------------------------------------------------------------------
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("VACUUM INTO ?", (sys.argv[2],))' \
	"$db" "$SVC_TMP/copy.db"
printf 'this is not a database, and must stay as it is\n' >"$mnt/junk"
mv "$mnt/junk" "$db"
sum0=$(md5sum <"$db")
t_check "replaced by junk: the status file says not a database" \
	t_wait_for 15 h_status_has "$st" message "not a database"
t_check "replaced by junk: leco status says so" status_says "not a database"
i0=$(h_status "$st" intervals)
t_wait_for 10 bash -c "[ \$(h_status '$st' intervals) -gt $((i0 + 2)) ]" # a few more tries
t_check "replaced by junk: the file is left as it was" test "$(md5sum <"$db")" = "$sum0"
t_check "replaced by junk: still running" alive
cp "$SVC_TMP/copy.db" "$mnt/copy.db" && mv "$mnt/copy.db" "$db"
traffic pair 100 100
t_check "replaced by a history database: taken up, traffic counted (1700 1700 4)" \
	t_wait_for 15 h_total_is "$db" "$app" "1700 1700 4"
t_check "replaced: integrity_check ok" h_integrity "$db"

kill -TERM "$rec_pid"
wait "$rec_pid"
rc=$?
rec_pid=''
t_check "SIGTERM after all that: exit 0 (got $rc)" test "$rc" = 0
t_check "at the end: integrity_check ok" h_integrity "$db"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pins from another layout version: a reader refuses them with a clear message
# (exit 2 for the CLI), never misreads them; a running `leco watch` reports the
# mismatch, keeps running, and recovers when the right probes are loaded again.
# The foreign pins are built with bpftool: an `info` map whose layout_version is
# 999 (or 1, as an older leco-load left them), and a `conns` map with the right
# version but a different record size.
. "$(dirname "$0")/common.sh"
command -v bpftool >/dev/null || t_skip "bpftool missing"

# the layout this build reads (bpf/leco.h), and the size of its info record
layout=$(sed -n 's/^#define LECO_LAYOUT_VERSION \([0-9]*\).*/\1/p' "$LECO_SRC/bpf/leco.h")
info_size=$(sed -n 's/.*sizeof(struct leco_info) == \([0-9]*\).*/\1/p' "$LECO_SRC/bpf/leco.h")
t_check "bpf/leco.h says layout $layout, info record $info_size bytes" \
	test -n "$layout" -a -n "$info_size"

# fake_pins DIR VERSION CONN_SIZE [INFO_SIZE]: an info record of this layout's shape or,
# with INFO_SIZE 72, of layout 1's; and a conns hash of that record size
fake_pins() {
	local d=$1 ver=$2 csz=$3 isz=${4:-$info_size} hex
	mkdir -p "$d"
	# struct leco_info: magic, layout_version, key_size, conn_size, slot_size,
	# stats_size, conns_max, ring_max, load_mono_ns, version[32], ... (little endian)
	hex=$("$SVC_PY" -c '
import struct, sys
v, c, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
b = struct.pack("<8IQ32s", 0x4f43454c, v, 32, c, 192, 128, 1024, 64, 0, b"9.9.9")
b = (b + bytes(n))[:n]
print(" ".join("%02x" % x for x in b))' "$ver" "$csz" "$isz")
	bpftool map create "$d/info" type array key 4 value "$isz" entries 1 name info &&
	bpftool map update pinned "$d/info" key hex 00 00 00 00 value hex $hex &&
	bpftool map create "$d/conns" type hash key 32 value "$csz" entries 1024 name conns &&
	bpftool map create "$d/stats" type percpu_array key 4 value 128 entries 1 name stats
}

# what an older leco-load left (layout 1: a 72-byte info record)
fake_pins "$pin" 1 120 72 >/dev/null
"$LECO_BIN/leco" lines -p "$pin" >"$SVC_TMP/o" 2>"$SVC_TMP/e"; rc=$?
t_check "layout 1 pins: exit 2, message names version 1 ($(head -c 200 "$SVC_TMP/e"))" \
	bash -c "[ $rc = 2 ] && grep -q 'another layout (version 1, this libleco reads $layout)' '$SVC_TMP/e'"
rm -rf "$pin"

fake_pins "$pin" 999 120 >/dev/null
t_check "foreign pins (layout 999) created" test -e "$pin/info"
"$LECO_BIN/leco" lines -p "$pin" >"$SVC_TMP/o" 2>"$SVC_TMP/e"; rc=$?
t_check "layout 999: leco lines exits 2 (got $rc)" test "$rc" = 2
t_check "layout 999: message names the layout version ($(head -c 200 "$SVC_TMP/e"))" \
	grep -qiE 'layout version|version 999|layout 999' "$SVC_TMP/e"
t_check "layout 999: no lines printed" test ! -s "$SVC_TMP/o"
"$LECO_BIN/leco" status -p "$pin" >"$SVC_TMP/o" 2>"$SVC_TMP/e"; rc=$?
t_check "layout 999: leco status fails cleanly (rc $rc, not a signal)" test "$rc" -ge 1 -a "$rc" -lt 128
rm -rf "$pin"

fake_pins "$pin" "$layout" 64 >/dev/null
"$LECO_BIN/leco" lines -p "$pin" >"$SVC_TMP/o" 2>"$SVC_TMP/e"; rc=$?
t_check "right version, wrong record size: exit 2 (got $rc)" test "$rc" = 2
t_check "wrong record size: message says so ($(head -c 200 "$SVC_TMP/e"))" \
	grep -qiE 'size' "$SVC_TMP/e"

for v in $LECO_LUA_VERS; do
	[ -f "$LECO_LUA_DIR/$v/leco.so" ] || continue
	res=$(LUA_CPATH="$LECO_LUA_DIR/$v/?.so" "lua$v" -e "
		local r = assert(require('leco').open{pin = '$pin'})
		local l, e = r:lines()
		print(l and ('DATA ' .. #l) or ('NIL ' .. tostring(e)))" 2>&1)
	t_check "Lua $v: nil + layout message, no raise ($res)" \
		bash -c "grep -qiE '^NIL .*size' <<<'$res'"
done

# A running watch across: real pins -> foreign pins -> real pins again.
rm -rf "$pin"
fault_load
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err"
pair 500 600
t_check "watch sees traffic before the swap" \
	t_wait_for 15 svc_json_has "$SVC_TMP/w.out" "L['rport']==$port and L['tx']==500"
"$LECO_BIN/leco-load" --unload -p "$pin" >/dev/null 2>&1; rm -rf "$pin"
fake_pins "$pin" 999 120 >/dev/null
t_check "watch reports the layout mismatch" t_wait_for 15 grep -qiE 'layout version|version 999|layout 999' "$SVC_TMP/w.err"
t_check "watch keeps running on foreign pins" alive "$wpid"
rm -rf "$pin"
fault_load
pair 700 800
t_check "watch recovers when the right probes come back" \
	t_wait_for 20 svc_json_has "$SVC_TMP/w.out" "L['rport']==$port and L['tx']==700 and L['rx']==800"
t_done

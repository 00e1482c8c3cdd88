#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Probes unloaded and reloaded (service restart) under a running `leco watch`:
# it reports that the probes are gone, keeps running, and shows new traffic
# after the reload without being restarted.
. "$(dirname "$0")/common.sh"
fault_load
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err"
pair 1111 2222
t_check "watch shows traffic (port $port)" \
	t_wait_for 15 svc_json_has "$SVC_TMP/w.out" "L['rport']==$port and L['tx']==1111 and L['rx']==2222"

"$LECO_BIN/leco-load" --unload -p "$pin" >/dev/null 2>&1
t_check "pins removed by --unload" test ! -e "$pin/conns"
t_check "watch reports the probes are not loaded" \
	t_wait_for 15 grep -qiE 'not loaded|leco-load|no probes' "$SVC_TMP/w.err"
t_check "watch keeps running while the probes are gone" alive "$wpid"

fault_load
pair 3333 4444
t_check "watch recovers by itself and shows traffic after the reload (port $port)" \
	t_wait_for 20 svc_json_has "$SVC_TMP/w.out" "L['rport']==$port and L['tx']==3333 and L['rx']==4444"
t_check "watch still running" alive "$wpid"
t_check "watch output stays valid JSON Lines" svc_json_valid "$SVC_TMP/w.out"
t_check "no crash message" bash -c "! grep -qiE 'segmentation|abort|sanitizer' '$SVC_TMP/w.err'"
t_done

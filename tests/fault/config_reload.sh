#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The config file changes under a running `leco watch -c FILE`:
#  edited      -> the new rules apply to the next lines (reload on change);
#  broken      -> an error naming the file and line is reported, the last good
#                 rules stay in force, watch keeps running;
#  deleted     -> reported, the last good rules stay in force;
#  fixed again -> the new rules apply.
. "$(dirname "$0")/common.sh"
fault_load
cfg=$SVC_TMP/leco.ini
rules() { # atomically replace the file (as editors do) with one [rx-proc] rule
	printf '[rx-proc]\n%s\n' "$1" >"$cfg.new" && mv "$cfg.new" "$cfg"
}
# text_for PORT WORD: watch printed a line for PORT whose text contains WORD
text_for() { svc_json_has "$SVC_TMP/w.out" "L['rport']==$1 and '$2' in L['text']"; }

rules '127\.0\.0\.1 = LOOPONE'
watch_start "$SVC_TMP/w.out" "$SVC_TMP/w.err" -c "$cfg"
pair 10 20; p1=$port
t_check "initial rules apply" t_wait_for 15 text_for "$p1" LOOPONE

rules '127\.0\.0\.1 = LOOPTWO'
# the reader notices by mtime/inode; give the change its own second
touch -d '+1 sec' "$cfg"
pair 10 20; p2=$port
t_check "edited rules apply to new lines (reload on change)" t_wait_for 15 text_for "$p2" LOOPTWO

rules '127\.0\.0\.1( = BROKEN'
touch -d '+2 sec' "$cfg"
t_check "broken config reported with file and line" \
	t_wait_for 15 grep -qE "leco.ini:[0-9]+" "$SVC_TMP/w.err"
pair 10 20; p3=$port
t_check "broken config: last good rules kept" t_wait_for 15 text_for "$p3" LOOPTWO
t_check "broken config: watch keeps running" alive "$wpid"

rm -f "$cfg"
pair 10 20; p4=$port
t_check "deleted config: last good rules kept" t_wait_for 15 text_for "$p4" LOOPTWO
t_check "deleted config: watch keeps running" alive "$wpid"

rules '127\.0\.0\.1 = LOOPTHREE'
touch -d '+3 sec' "$cfg"
pair 10 20; p5=$port
t_check "config restored: new rules apply" t_wait_for 15 text_for "$p5" LOOPTHREE
t_check "watch output stays valid JSON Lines" svc_json_valid "$SVC_TMP/w.out"
t_done

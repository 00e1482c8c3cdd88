#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 100 concurrent clients plus event streams for 60 s (stress.py): memory bounded, no fd leak.
# Environment: LECO_BIN LECO_SRC; LECO_STRESS_SECONDS (default 60)
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
"$LECO_BIN/leco" serve --help >/dev/null 2>&1 || t_skip "leco serve not built (libmicrohttpd-dev)"

SVC_TMP=$(mktemp -d /tmp/leco-web-stress.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-webstress
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t_check "probes loaded" svc_load "$pin" || { cat "$SVC_TMP/load.log"; t_done; exit; }
log=$SVC_TMP/serve.err
"$LECO_BIN/leco" serve -p "$pin" --listen 127.0.0.1:0 --token-file "$SVC_TMP/token" 2>"$log" &
spid=$!
started() { grep -q '^leco: serving on ' "$log"; }
t_check "leco serve starts" t_wait_for 10 started
url=$(grep -o 'http://[^ ]*' "$log" | head -n 1)
"$SVC_PY" "$here/stress.py" "${url%%/?token=*}" "${url##*token=}" "$spid" \
	"${LECO_STRESS_SECONDS:-60}"
t_check "100 clients and event streams for ${LECO_STRESS_SECONDS:-60} s (stress.py)" test $? = 0
t_check "no error output from the server" bash -c "! grep -v '^leco: serving on' '$log' | grep -q ."
t_done

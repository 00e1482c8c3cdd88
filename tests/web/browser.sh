#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The page in a real headless browser (browser.py): live table, charts, the history of a
# database of known contents (tests/history/mkdb.c), console, screenshot.
# Environment: LECO_BIN LECO_SRC LECO_MKDB; LECO_SCREENSHOT (default: serve.png in the test's
# work dir).
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
"$LECO_BIN/leco" serve --help >/dev/null 2>&1 || t_skip "leco serve not built (libmicrohttpd-dev)"
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] ||
	t_skip "chromium and chromium-driver are not installed"
/usr/bin/python3 -c 'import selenium' 2>/dev/null || t_skip "python3-selenium is not installed"
[ -f /usr/share/javascript/chart.js/chart.min.js ] || t_skip "libjs-chart.js is not installed"

SVC_TMP=$(mktemp -d /tmp/leco-web-browser.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-webui
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t_check "probes loaded" svc_load "$pin" || { cat "$SVC_TMP/load.log"; t_done; exit; }
t_check "a history database of known contents (mkdb)" "${LECO_MKDB:?}" "$SVC_TMP/history.db"
log=$SVC_TMP/serve.err
"$LECO_BIN/leco" serve -p "$pin" --listen 127.0.0.1:0 --token-file "$SVC_TMP/token" \
	--db "$SVC_TMP/history.db" 2>"$log" &
spid=$!
started() { grep -q '^leco: serving on ' "$log"; }
t_check "leco serve starts" t_wait_for 10 started
url=$(grep -o 'http://[^ ]*' "$log" | head -n 1)
shot=${LECO_SCREENSHOT:-$SVC_TMP/serve.png}
/usr/bin/python3 "$here/browser.py" "${url%%/?token=*}" "${url##*token=}" "$shot"
t_check "browser checks (browser.py)" test $? = 0
[ -z "${LECO_SCREENSHOT:-}" ] || echo "screenshot: $shot"
t_check "no error output from the server ($(grep -v '^leco: serving on' "$log" | head -c 300))" \
	bash -c "! grep -v '^leco: serving on' '$log' | grep -q ."
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real Prometheus (Debian's) scrapes leco serve on loopback every second with the token
# (credentials_file), its own temporary storage; paced traffic of a known rate; PromQL rate()
# must agree with it within 5% (prom_check.py).
# Environment: LECO_BIN LECO_SRC
set -uo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
"$LECO_BIN/leco" serve --help >/dev/null 2>&1 || t_skip "leco serve not built (libmicrohttpd-dev)"
command -v prometheus >/dev/null || t_skip "prometheus is not installed"

SVC_TMP=$(mktemp -d /tmp/leco-web-prom.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-webprom
spid= ppid_=
cleanup() {
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t_check "probes loaded" svc_load "$pin" || { cat "$SVC_TMP/load.log"; t_done; exit; }
log=$SVC_TMP/serve.err
"$LECO_BIN/leco" serve -p "$pin" --listen 127.0.0.1:0 --token-file "$SVC_TMP/token" -i 0.25 \
	2>"$log" &
spid=$!
started() { grep -q '^leco: serving on ' "$log"; }
t_check "leco serve starts" t_wait_for 10 started
url=$(grep -o 'http://[^ ]*' "$log" | head -n 1)
hostport=${url#http://} hostport=${hostport%%/*}

# Prometheus on a free loopback port (asked of the kernel), scraping every second.
pport=$("$SVC_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$SVC_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: leco
    scrape_interval: 1s
    scrape_timeout: 900ms
    authorization:
      type: Bearer
      credentials_file: $SVC_TMP/token
    static_configs:
      - targets: ['$hostport']
YML
prometheus --config.file="$SVC_TMP/prometheus.yml" --storage.tsdb.path="$SVC_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$SVC_TMP/prom.log" 2>&1 &
ppid_=$!
ready() { "$SVC_PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$pport/-/ready', timeout=1)" 2>/dev/null; }
t_check "prometheus is ready" t_wait_for 30 ready || { tail -20 "$SVC_TMP/prom.log"; }
up() { "$SVC_PY" - "$pport" <<'PY'
import json, sys, urllib.request
r = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?query=up" % sys.argv[1]))
sys.exit(0 if any(x["value"][1] == "1" for x in r["data"]["result"]) else 1)
PY
}
t_check "prometheus scrapes leco serve (up == 1)" t_wait_for 30 up

# 1 MB/s for 30 s; compare the last 20 s before its end.
"$SVC_PY" "$here/rategen.py" 1000000 30 "$SVC_TMP/rate.log"
t_check "paced traffic ran" test -s "$SVC_TMP/rate.log"
"$SVC_PY" "$here/prom_check.py" "http://127.0.0.1:$pport" "$SVC_TMP/rate.log" 20
t_check "PromQL rate() agrees with the traffic (prom_check.py)" test $? = 0
t_check "no error output from the server" bash -c "! grep -v '^leco: serving on' '$log' | grep -q ."
t_done

# SPDX-License-Identifier: LGPL-2.1-or-later
# Setup shared by the fault tests: root, bpffs, binaries, a temp dir, a unique pin
# dir with the probes loaded, and cleanup of everything started here (by PID).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../service/svc-lib.sh"
TRAFFIC=$here/../service/traffic.py
t_need_root
svc_need_bins leco-load leco
svc_need_bpffs
SVC_TMP=$(mktemp -d /tmp/leco-fault.XXXXXX)
chmod 755 "$SVC_TMP"
pin=/sys/fs/bpf/leco-test-$$-$(basename "$0" .sh)
fault_pids=()
fault_cleanup_extra=:
fault_cleanup() {
	local p
	for p in "${fault_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${fault_pids[@]}"; do wait "$p" 2>/dev/null; done
	eval "$fault_cleanup_extra"
	svc_unload "$pin"
	rm -rf "$SVC_TMP"
}
trap fault_cleanup EXIT
trap 'exit 1' INT TERM

fault_load() {
	if ! svc_load "$pin" --group leco 2>/dev/null && ! svc_load "$pin"; then
		cat "$SVC_TMP/load.log" >&2
		t_check "leco-load -p $pin" false
		t_done; exit
	fi
}

# pair TX RX: one loopback TCP connection with known bytes; sets $port
pair() {
	local tr
	tr=$("$SVC_PY" "$TRAFFIC" pair "$1" "$2") || return 1
	port=$("$SVC_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$tr")
}

# watch_start OUT ERR [leco watch args]: background `leco watch --json`, pid in $wpid
watch_start() {
	local out=$1 err=$2; shift 2
	"$LECO_BIN/leco" watch --json -i 0.2 -p "$pin" "$@" >"$out" 2>"$err" &
	wpid=$!
	fault_pids+=("$wpid")
}
alive() { kill -0 "$1" 2>/dev/null; }

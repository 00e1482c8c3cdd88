# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for shell test scripts: source it, call t_check / t_skip, end with t_done.
# A skip exits 77 (ctest SKIP_RETURN_CODE), except under CI=true where it fails.
t_pass=0 t_fail=0
t_check() { # t_check "name" command...
	local name=$1; shift
	if "$@"; then t_pass=$((t_pass + 1)); echo "ok   $name"
	else t_fail=$((t_fail + 1)); echo "FAIL $name" >&2; fi
}
t_skip() {
	if [ "${CI:-}" = true ]; then echo "FAIL: would skip, but CI=true: $*"; exit 1; fi
	echo "SKIP: $*"; exit 77
}
t_need_root() { [ "$(id -u)" = 0 ] || t_skip "needs root"; }
t_done() { echo "$t_pass passed, $t_fail failed"; [ "$t_fail" = 0 ]; }
# t_wait_for SECONDS command...: poll (every 50 ms) until the command succeeds; bounded.
t_wait_for() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
# t_probes LOAD DIR: the probes loaded with leco-load LOAD into a private bpffs mounted at
# DIR/bpffs; prints the pin dir (DIR/bpffs/leco). Skips without a bpffs, exits 1 when the load
# fails. t_probes_gone LOAD DIR (from the caller's cleanup) unloads and unmounts them.
# Meant for pin=$(t_probes ...) || exit $?: what it says goes to stderr.
t_probes() {
	mkdir -p "$2/bpffs" && mount -t bpf bpf "$2/bpffs" || t_skip "cannot mount a bpffs" >&2
	if ! "$1" -p "$2/bpffs/leco" >"$2/load.log" 2>&1; then
		cat "$2/load.log" >&2
		echo "FAIL leco-load" >&2
		exit 1
	fi
	echo "$2/bpffs/leco"
}
t_probes_gone() {
	"$1" --unload -p "$2/bpffs/leco" >/dev/null 2>&1
	umount "$2/bpffs" 2>/dev/null
}

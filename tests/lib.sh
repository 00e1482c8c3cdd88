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

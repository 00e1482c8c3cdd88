#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# leco watch with a one-hour interval ends at once, with status 0, on SIGTERM and on SIGINT —
# whether the signal lands right after its first poll or once it is waiting. No root needed:
# a missing pin dir keeps it waiting for the probes (it says so on stderr after the first poll).
# "At once" is judged against the 3600 s it would otherwise wait: the bound is 30 s, because a
# sanitizer build's exit (LeakSanitizer's scan) on a loaded machine once took more than 5 s.
set -u
. "${LECO_TESTS_LIB:?}"
leco=$1
pins=/nonexistent/leco-test-$$
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for sig in TERM INT; do
	for delay in 0 0.3; do
		"$leco" watch -p "$pins" -i 3600 >/dev/null 2>"$err" &
		pid=$!
		t_wait_for 5 grep -q 'probes not loaded' "$err" # its first poll is done
		sleep "$delay" # 0: right after that poll; 0.3: while it waits
		kill -"$sig" "$pid"
		t_wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"
		gone=$?
		[ "$gone" = 0 ] || kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		t_check "SIG$sig after ${delay}s: exits within 30 s" [ "$gone" = 0 ]
		t_check "SIG$sig after ${delay}s: exit status 0" [ "$rc" = 0 ]
	done
done
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The full-screen `leco top` in tmux, as root with the real probes in a private bpffs and two
# processes of our own on loopback (one sends, one receives): send-keys types, capture-pane
# reads the screen. Filter, sort by sent and received, rates/totals, group-by, pause, resize;
# and the terminal restored (alternate screen left, tty modes back) after q, SIGTERM and C-c.
# usage: top_tui.sh LECO LECO_LOAD
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
t_need_root
LECO=$1 LOAD=$2
[ -x "$LOAD" ] || t_skip "no leco-load at $LOAD"
for c in tmux /usr/bin/python3; do
	command -v "$c" >/dev/null || t_skip "$c not installed (scripts/deps.sh test)"
done

tmp=$(mktemp -d "/tmp/leco-test-$$-XXXXXX")
sock=leco-test-$$
tm() { tmux -L "$sock" "$@"; }
bg=()
cleanup() {
	tm kill-server 2>/dev/null
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
	t_probes_gone "$LOAD" "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
pin=$(t_probes "$LOAD" "$tmp") || exit $?

# two programs of unique names: tx$$.py sends 256 KiB every 0.1 s, rx$$.py receives it
cat >"$tmp/rx$$.py" <<'PY'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
while c.recv(1 << 20):
    pass
PY
cat >"$tmp/tx$$.py" <<'PY'
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
while True:
    c.sendall(b"x" * 262144)
    time.sleep(0.1)
PY
/usr/bin/python3 "$tmp/rx$$.py" "$tmp/port" & bg+=($!)
t_wait_for 10 test -s "$tmp/port" || { echo "FAIL receiver"; exit 1; }
/usr/bin/python3 "$tmp/tx$$.py" "$(cat "$tmp/port")" & bg+=($!)

tm -f /dev/null new-session -d -s t -x 120 -y 30 "env PS1='prompt\$ ' bash --norc --noprofile"
screen() { tm capture-pane -p -t t; }
has() { screen | grep -qF -- "$1"; }
# the program of the first row (the rows start on screen line 4)
first_row() { screen | awk 'NR > 3' | grep -m1 -oE "(tx|rx)$$\.py"; }
row_first() { [ "$(first_row)" = "$1" ]; }
restored() { # the pane is back at the shell: alternate screen off, tty modes canonical, echo
	[ "$(tm display -p -t t '#{alternate_on}')" = 0 ] || return 1
	rm -f "$tmp/stty"
	tm send-keys -t t "stty -a > $tmp/stty" Enter
	t_wait_for 10 test -s "$tmp/stty" || return 1
	grep -qw icanon "$tmp/stty" && grep -qw echo "$tmp/stty" &&
		! grep -qw -- -icanon "$tmp/stty"
}
start_top() {
	tm send-keys -t t "$LECO top -p $pin -i 0.3" Enter
	t_wait_for 10 has "leco top  by process"
}

t_check "leco top starts full-screen" start_top
t_check "on the alternate screen" test "$(tm display -p -t t '#{alternate_on}')" = 1
has_re() { screen | grep -qE -- "$1"; }
t_check "columns PID USER PROGRAM UNIT CONNS RX/s TX/s RX TX" \
	t_wait_for 5 has_re 'PID +USER +PROGRAM +UNIT +CONNS +RX/s +TX/s +RX +TX'
t_check "a total row" t_wait_for 5 has_re '^ *TOTAL'
tm send-keys -t t / "$$.py" Enter
t_check "filter: only our two programs" t_wait_for 10 has "filter: $$.py"
both() { has "tx$$.py" && has "rx$$.py"; }
t_check "both programs shown" t_wait_for 10 both
rows_of_root() { screen | awk 'NR > 3' | grep -c ' root '; }
t_check "filter: no other rows" test "$(rows_of_root)" = 2
tm send-keys -t t s
t_check "s: sort by sent/s" t_wait_for 10 has "sort: sent/s  rates"
t_check "s: the sender first" t_wait_for 10 row_first "tx$$.py"
tm send-keys -t t r
t_check "r: sort by received/s" t_wait_for 10 has "sort: received/s  rates"
t_check "r: the receiver first" t_wait_for 10 row_first "rx$$.py"
tm send-keys -t t m
t_check "m: totals" t_wait_for 10 has "sort: received  totals"
t_check "m: the receiver first by bytes too" t_wait_for 10 row_first "rx$$.py"
tm send-keys -t t s
t_check "s in totals: the sender first" t_wait_for 10 row_first "tx$$.py"
tm send-keys -t t g
by_exe() { has "leco top  by exe" && has_re '^EXE +CONNS'; }
t_check "g: by exe, its column" t_wait_for 10 by_exe
tm send-keys -t t g g g g g g g
t_check "g seven times more: by process again" t_wait_for 10 has "leco top  by process"
tm send-keys -t t p
t_check "p: paused" t_wait_for 10 has "[paused]"
tm send-keys -t t p
running() { ! has "[paused]"; }
t_check "p again: running" t_wait_for 10 running

tm resize-window -t t -x 70 -y 20
narrow() {
	local s
	s=$(screen)
	[ "$(wc -L <<<"$s")" -le 70 ] && grep -qE 'PROGRAM +CONNS' <<<"$s" &&
		! grep -q UNIT <<<"$s" &&
		[ "$(sed -n 19p <<<"$s" | grep -c TOTAL)" = 1 ]
}
t_check "resize to 70x20: fits, UNIT dropped, total row on line 19" t_wait_for 10 narrow
tm resize-window -t t -x 120 -y 30
t_check "resize back: UNIT again" t_wait_for 10 has "UNIT"

tm send-keys -t t q
at_prompt() { screen | grep -v '^$' | tail -1 | grep -q '^prompt\$ *$'; }
t_check "q: back at the prompt" t_wait_for 10 at_prompt
t_check "q: terminal restored" restored

gone() { ! kill -0 "$1" 2>/dev/null; }
t_check "again, for SIGTERM" start_top
pid=$(pgrep -f "top -p $pin -i 0.3")
t_check "leco top running ($pid)" test -n "$pid"
kill -TERM $pid
t_check "SIGTERM: it exits" t_wait_for 10 gone "$pid"
t_check "SIGTERM: terminal restored" restored

t_check "again, for C-c" start_top
pid=$(pgrep -f "top -p $pin -i 0.3")
tm send-keys -t t C-c
t_check "C-c: it exits" t_wait_for 10 gone "$pid"
t_check "C-c: terminal restored" restored
t_done

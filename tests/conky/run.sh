#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# conky end to end: run the real conky under Xvfb with examples/conkyrc and check the picture.
#   1. probes not loaded yet: the widget draws one line saying so (OCR finds it)
#   2. leco-load into a unique pin dir, known loopback traffic from a process with a unique
#      name (3 connections, 1 refused attempt): the same conky recovers by itself and draws
#      the lines (OCR finds every port, and "PORT refused")
#   3. the top panel of the same conkyrc: a busy process of ours is drawn in it (OCR finds the
#      title and its row; rx and tx bars are drawn in their colours)
#   4. examples/conkyrc.text (${lua_parse leco_text}) shows the same lines
#   conky's stderr must have no Lua error (llua_*) in any part.
# usage: run.sh CONKY BUILD_DIR SOURCE_DIR
# env: LECO_SCREENSHOT_OUT=FILE copies the screenshot of part 2 there (doc/screenshot.png), and
#      that of part 3, both panels, to FILE's name with -top (doc/screenshot-top.png).
set -uo pipefail
conky=$1 build=$2 src=$3
. "$src/tests/lib.sh"

t_need_root
for c in "$conky" Xvfb import convert tesseract python3; do
	command -v "$c" >/dev/null || t_skip "$c not installed (scripts/deps.sh test)"
done
loader=$build/bin/leco-load
[ -x "$loader" ] || { echo "FAIL: $loader not built"; exit 1; }
# the Lua conky links decides which module it loads
lua_of() { ldd "$1" 2>/dev/null | sed -n 's/.*liblua\([0-9]\.[0-9]\).*/\1/p' | head -1; }
luaver=$(lua_of "$(command -v "$conky")")
# a wrapper script (scripts/test-sanitize) is not an ELF file: ask the real conky
[ -n "$luaver" ] || luaver=$(lua_of "$(PATH=/usr/bin:/bin command -v conky)")
[ -n "$luaver" ] || { echo "FAIL: cannot tell which Lua $conky links"; exit 1; }
[ -f "$build/lua/$luaver/leco.so" ] || { echo "FAIL: $build/lua/$luaver/leco.so not built"; exit 1; }
# read all of `conky -v` (grep -q closing the pipe early hangs conky under an ASan preload)
conky_v=$(timeout 20 "$conky" -v 2>&1)
case $conky_v in
*[Cc]airo*) ;;
*) t_skip "$conky has no cairo bindings (install conky-all)" ;;
esac

work=$(mktemp -d /tmp/leco-test-conky.XXXXXX)
pin=/sys/fs/bpf/leco-test-$$-conky
xvfb_pid='' conky_pid='' blast=''
cleanup() {
	[ -n "$blast" ] && kill "$blast" 2>/dev/null && wait "$blast" 2>/dev/null
	[ -n "$conky_pid" ] && kill "$conky_pid" 2>/dev/null && wait "$conky_pid" 2>/dev/null
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
	"$loader" --unload --pin "$pin" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# X server on a free display
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1000x700x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
exec 3>&-
t_wait_for 20 test -s "$work/display" || { echo "FAIL: Xvfb did not start"; cat "$work/xvfb.log"; exit 1; }
export DISPLAY=:$(head -1 "$work/display")
echo "Xvfb on $DISPLAY (pid $xvfb_pid)"
# a wallpaper: the widget's window is see-through and its outline keeps text readable on it
convert -size 1000x700 gradient:'#4f6f92-#1a2638' "$work/wallpaper.png"
timeout 20 display -window root "$work/wallpaper.png" >/dev/null 2>&1
ocr_mode=wallpaper

# Only this test's connections: a python3 copy with a unique comm; everything else is dropped.
comm=lct$$
py=$(PATH=/usr/bin:/bin command -v python3) # the interpreter itself, not a pyenv-style shim
cp "$(readlink -f "$py")" "$work/$comm"
cat >"$work/leco.ini" <<INI
[view]
line-fade-time = 600
[rx-group]
^(?!.*\b$comm\b).* =
INI

export LECO_BUILD_DIR=$build LECO_PIN_DIR=$pin LECO_CONFIG=$work/leco.ini

start_conky() { # start_conky CONKYRC LOG
	"$conky" -c "$1" >"$work/conky.out" 2>"$2" &
	conky_pid=$!
}
stop_conky() {
	kill -TERM "$conky_pid" 2>/dev/null
	wait "$conky_pid" 2>/dev/null
	conky_pid=''
}
# ocr NAME: screenshot of the widget area ($ocr_crop: the lines), OCR'd at three scales into
# $work/NAME.txt.SCALE and, all of them, $work/NAME.txt: a digit one scale misreads (an 8 as a
# 6 at 13 px) another reads right
ocr_crop=1000x260+0+0 ocr_erase=''
ocr() {
	local scale
	import -window root "$work/$1.png" 2>/dev/null || return 1
	: >"$work/$1.txt"
	for scale in 250 330 400; do
		if [ "$ocr_mode" = wallpaper ]; then
			# the cairo text colours all have a channel at ff, the wallpaper none above
			# 92: max channel, threshold; $ocr_erase: colours painted out first (the top
			# panel's bars, just under its text)
			# shellcheck disable=SC2086 # the options are split on purpose
			convert "$work/$1.png" -crop "$ocr_crop" +repage $ocr_erase -separate \
				-evaluate-sequence max -resize "$scale%" -threshold 62% -negate \
				"$work/$1-ocr.png" || return 1
		else # black background: dark-on-light grey
			convert "$work/$1.png" -crop "$ocr_crop" +repage -colorspace gray -negate \
				-resize "$scale%" "$work/$1-ocr.png" || return 1
		fi
		tesseract "$work/$1-ocr.png" - --psm 6 >"$work/$1.txt.$scale" 2>/dev/null || return 1
		cat "$work/$1.txt.$scale" >>"$work/$1.txt"
	done
	# OCR mixes up 1/l/I/| and 0/O inside words like lct1067: a digit-friendly copy
	tr 'lI|Oo' '11100' <"$work/$1.txt" >"$work/$1.num"
}
# lines_of NAME PATTERN: the most lines matching PATTERN that one scale read (digit-friendly)
lines_of() {
	local f n best=0
	for f in "$work/$1".txt.*; do
		n=$(tr 'lI|Oo' '11100' <"$f" | grep -c -- "$2")
		[ "$n" -gt "$best" ] && best=$n
	done
	echo "$best"
}
# wait_ocr NAME SECONDS WORD...: screenshot + OCR until every word is in the text
wait_ocr() {
	local name=$1 secs=$2; shift 2
	local deadline=$(( $(date +%s) + secs )) w missing
	while :; do
		missing=''
		if ocr "$name"; then
			for w in "$@"; do
				grep -qF -- "$w" "$work/$name.txt" || grep -qF -- "$w" "$work/$name.num" ||
					missing+=" $w"
			done
			[ -z "$missing" ] && return 0
		fi
		[ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.5
	done
	echo "OCR of $name lacks:$missing; it read:"; sed 's/^/  | /' "$work/$name.txt"
	return 1
}
no_lua_errors() { # no_lua_errors LOG
	if grep -E 'llua_|leco\.conky: .*(error|attempt|bad argument)' "$1"; then return 1; fi
	return 0
}
# ink_rows FILE: rows of the widget area that have bright pixels (0 if nothing is drawn)
ink_rows() {
	convert "$1" -crop 1000x260+0+0 +repage -separate -evaluate-sequence max -threshold 62% \
		-scale 1x260! -depth 8 txt:- | awk 'NR > 1 && $0 !~ /#000000/ { n++ } END { print n + 0 }'
}
# see_through FILE: inside the widget's window, below the lines, the wallpaper shows
see_through() {
	local px
	px=$(convert "$1" -format '%[fx:int(255*p{500,500}.b)]' info:) || return 1
	[ "$px" -gt 40 ]
}

# --- 1: probes not loaded ---------------------------------------------------------------------
start_conky "$src/examples/conkyrc" "$work/conky1.err"
t_check "conky running" kill -0 "$conky_pid"
t_check "stderr says probes not loaded" \
	t_wait_for 20 grep -q 'leco.conky: .*probes not loaded' "$work/conky1.err"
t_check "draws 'probes not loaded — run: sudo leco-load'" \
	wait_ocr missing 20 "probes not loaded" "sudo leco-load"
t_check "window is see-through (wallpaper shows)" see_through "$work/missing.png"
n1=$(ink_rows "$work/missing.png")
t_check "one line drawn while not loaded (ink rows: $n1)" test "$n1" -gt 4 -a "$n1" -lt 25

# --- 2: probes loaded, traffic: the same conky recovers ------------------------------------------
t_check "leco-load --pin $pin" "$loader" --pin "$pin"
"$work/$comm" - >"$work/ports" <<'PY'
import socket, threading
for i in range(3):
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    port = srv.getsockname()[1]
    def serve():
        c, _ = srv.accept(); n = 0
        while True:
            b = c.recv(65536)
            if not b: break
            n += len(b)
        c.sendall(b"y" * (9000 * (i + 1))); c.close()
    t = threading.Thread(target=serve); t.start()
    cl = socket.create_connection(("127.0.0.1", port))
    cl.sendall(b"x" * (7000 * (i + 1))); cl.shutdown(socket.SHUT_WR)
    while cl.recv(65536): pass
    cl.close(); t.join(); srv.close()
    print(port)
# a refused connection attempt: a port that was just free
s = socket.socket(); s.bind(("127.0.0.1", 0)); closed = s.getsockname()[1]; s.close()
try:
    socket.create_connection(("127.0.0.1", closed), timeout=2)
except ConnectionRefusedError:
    print("refused", closed)
PY
mapfile -t ports < <(grep -v refused "$work/ports")
refused=$(sed -n 's/^refused //p' "$work/ports")
t_check "traffic on 3 ports (${ports[*]}), 1 refused ($refused)" \
	test "${#ports[@]}" = 3 -a -n "$refused"
t_check "lines drawn with every port, the 'not loaded' line gone" \
	wait_ocr lines 40 "$$" "${ports[@]}" "$refused refused"
t_check "no 'not loaded' line any more" \
	eval "grep -q '$$' '$work/lines.num' && ! grep -q 'not loaded' '$work/lines.txt'"
n=$(ink_rows "$work/lines.png")
t_check "6 lines drawn (ink rows: $n, one line: $n1)" test "$n" -ge $((4 * n1))
t_check "OCR reads 6 lines of $comm" test "$(lines_of lines "$$.*127\.0\.0\.1")" -ge 6
t_check "no Lua errors on stderr (conkyrc)" no_lua_errors "$work/conky1.err"
[ -n "${LECO_SCREENSHOT_OUT:-}" ] && convert "$work/lines.png" -crop 640x200+0+20 +repage \
	"$LECO_SCREENSHOT_OUT"

# --- 3: the top panel (examples/conkyrc: by process, 6 rows by rate, below the 20 lines) --------
# our process sends 200 MB/s on loopback, so it is among the six busiest on any machine but
# one running a throughput benchmark
"$work/$comm" - >"$work/blast.pid" <<'PY' &
import os, socket, threading, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def sink():
    c, _ = srv.accept()
    while c.recv(1 << 20): pass
threading.Thread(target=sink, daemon=True).start()
cl = socket.create_connection(srv.getsockname())
print(os.getpid(), flush=True)
end = time.monotonic() + 120  # bounded; killed when the check is done
while time.monotonic() < end:
    cl.sendall(b"b" * (1 << 20))
    time.sleep(0.005)
PY
blast=$!
t_wait_for 10 test -s "$work/blast.pid"
bpid=$(cat "$work/blast.pid")
ocr_crop=1000x240+0+400 ocr_erase="-fuzz 5% -fill #1a2638 -opaque #5fb3ff -opaque #ffa050"
# its row reads "lctPID1 PID2" (OCR sometimes garbles the letters, never both numbers)
t_check "top panel: title and our process ($comm $bpid) drawn" \
	wait_ocr top 40 "by process" "$$" "$bpid"
# pixels of a colour (5% fuzz) in the panel's area of a screenshot
color_px() {
	convert "$1" -crop 620x200+0+410 +repage -fuzz 5% -fill black +opaque "$2" -fill white \
		-opaque "$2" -format '%[fx:int(mean*w*h)]' info:
}
rx_px=$(color_px "$work/top.png" '#5fb3ff') tx_px=$(color_px "$work/top.png" '#ffa050')
t_check "top panel: rx bars ($rx_px px) and tx bars ($tx_px px) in their colours" \
	test "${rx_px:-0}" -gt 20 -a "${tx_px:-0}" -gt 20
if [ -n "${LECO_SCREENSHOT_OUT:-}" ]; then # for the docs only: sparklines with some history
	sleep 20
	import -window root "$work/top.png"
fi
kill "$blast" 2>/dev/null
wait "$blast" 2>/dev/null
blast=''
ocr_crop=1000x260+0+0 ocr_erase=''
t_check "no Lua errors on stderr (top panel)" no_lua_errors "$work/conky1.err"
# both panels, the rows of lines this test has not filled left out
[ -n "${LECO_SCREENSHOT_OUT:-}" ] && convert \( "$work/top.png" -crop 660x200+0+30 +repage \) \
	\( "$work/top.png" -crop 660x195+0+430 +repage \) -append \
	"${LECO_SCREENSHOT_OUT%.png}-top.png"
stop_conky
t_check "conky exited on SIGTERM" test -z "$conky_pid"

# --- 4: the text-only variant ----------------------------------------------------------------
# conky's own text has no alpha: the helper fades the colour toward black instead, which a
# threshold against the wallpaper would lose; read it on a black root window
convert -size 1000x700 xc:black "$work/black.png"
timeout 20 display -window root "$work/black.png" >/dev/null 2>&1
ocr_mode=gray
start_conky "$src/examples/conkyrc.text" "$work/conky3.err"
t_check "conkyrc.text shows the lines" wait_ocr text 40 "$$" "${ports[@]}"
t_check "no Lua errors on stderr (conkyrc.text)" no_lua_errors "$work/conky3.err"
stop_conky

for f in conky1 conky3; do echo "--- $f stderr"; sed 's/^/  | /' "$work/$f.err"; done
t_done

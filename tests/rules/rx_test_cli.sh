#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# leco rx-test: text and --json output, lines from stdin, bad config => exit 2 + FILE:LINE: on stderr.
# Usage: rx_test_cli.sh LECO_BINARY WIDGET_INI
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
leco=$1 widget=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

line='18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^'
cat >"$tmp/readme.ini" <<'INI'
[rx-proc]
^(\s*\S+ ::) myuser :: = $1            # hide the default local user
\ 53/udp :: = \ DNS ::                  # nicer name for a common port
\ \[tmux-spawn-\S+\] :: = \ [tmux] ::   # shorten long cgroup names
[rx-group]
.*:: drop-me ::.* =
INI

out=$("$leco" rx-test -c "$tmp/readme.ini" "$line" 2>"$tmp/err"); rc=$?
t_check "text: exit 0" test "$rc" = 0
t_check "text: output line" grep -qxF 'output:  18:32 :: drill [tmux] :: 10.2.0.1 DNS :: v 58B / 26B ^' <<<"$out"
t_check "text: flags" grep -qxF 'changed: yes  grouped: no  dropped: no' <<<"$out"

out=$("$leco" rx-test -c "$tmp/readme.ini" --json "$line" 'a :: drop-me :: b' 'plain' 2>/dev/null); rc=$?
t_check "json: exit 0" test "$rc" = 0
t_check "json: 3 lines" test "$(wc -l <<<"$out")" = 3
t_check "json: first object" grep -qxF '{"input":"18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^","output":"18:32 :: drill [tmux] :: 10.2.0.1 DNS :: v 58B / 26B ^","changed":true,"grouped":false,"group":null,"dropped":false}' <<<"$out"
t_check "json: dropped" grep -qxF '{"input":"a :: drop-me :: b","output":"a :: drop-me :: b","changed":false,"grouped":true,"group":"","dropped":true}' <<<"$out"
if command -v python3 >/dev/null; then
	t_check "json: parses" python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <<<"$out"
fi

# escaping: quotes, backslash, control characters, invalid UTF-8
out=$("$leco" rx-test -q -c "$tmp/readme.ini" --json "$(printf 'a"b\\c\td\001e\377f')"); rc=$?
t_check "json escaping: exit 0" test "$rc" = 0
t_check "json escaping" grep -qF '"input":"a\"b\\c\td\u0001e\ufffdf"' <<<"$out"
t_check "json escaping: no raw control chars" bash -c '! LC_ALL=C grep -q "[[:cntrl:]]" <<<"$1"' _ "$out"

# what the rules return is sanitized (issue 10 item 7): a replacement with C1 CSI (U+009B),
# U+202E and ESC reaches neither the terminal nor the JSON; the input is shown escaped
printf '[rx-proc]\nfoo = \xc2\x9b2J\xe2\x80\xae\x1b[0m!\n' >"$tmp/c1.ini"
out=$("$leco" rx-test -q -c "$tmp/c1.ini" "$(printf 'foo\xc2\x9b\xe2\x80\xae')"); rc=$?
t_check "sanitized text: exit 0" test "$rc" = 0
t_check "sanitized text: output without C1, U+202E, ESC" grep -qxF 'output:  2J[0m!' <<<"$out"
t_check "sanitized text: input shown as \\xNN" grep -qxF 'input:   foo\xc2\x9b\xe2\x80\xae' <<<"$out"
t_check "sanitized text: no C1, U+202E or ESC on the terminal" bash -c '! LC_ALL=C grep -qP "\xc2[\x80-\x9f]|\xe2\x80\xae|\x1b" <<<"$1"' _ "$out"
out=$("$leco" rx-test -q --json -c "$tmp/c1.ini" foo); rc=$?
t_check "sanitized json: exit 0" test "$rc" = 0
t_check "sanitized json: output" grep -qF '"output":"2J[0m!"' <<<"$out"
out=$("$leco" rx-test -q --json -c "$tmp/c1.ini" "$(printf 'x\xc2\x9b\xe2\x80\xaey')")
t_check "json: C1 and U+202E in the input escaped" grep -qF '"input":"x\u009b\u202ey"' <<<"$out"
printf '[rx-proc]\nfoo = a\xe2\x80\x8bb\n' >"$tmp/zwsp.ini"
out=$("$leco" rx-test -q --json -c "$tmp/zwsp.ini" foo)
t_check "U+200B is kept (doc/format.md)" grep -qF "$(printf '"output":"a\xe2\x80\x8bb"')" <<<"$out"

# lines from stdin
out=$(printf '%s\n%s\n' "$line" 'x' | "$leco" rx-test -q --json -c "$tmp/readme.ini"); rc=$?
t_check "stdin: exit 0" test "$rc" = 0
t_check "stdin: 2 results" test "$(grep -c '"input"' <<<"$out")" = 2

# widget.ini: loads, its notices go to stderr (not with -q)
out=$("$leco" rx-test -c "$widget" '18:32 :: fraggod :: emacs :: 10.2.0.1 6667 :: v 7K / 2K ^' 2>"$tmp/err"); rc=$?
t_check "widget: exit 0" test "$rc" = 0
t_check "widget: group" grep -qxF 'group:   [:: emacs :: ZNC IRC ::]' <<<"$out"
t_check "widget: notices on stderr" grep -qF "key 'font' in [text] is not used by libleco, ignored" "$tmp/err"
"$leco" rx-test -q -c "$widget" x >/dev/null 2>"$tmp/err"
t_check "widget: -q" test ! -s "$tmp/err"

# bad configs: exit 2, FILE:LINE:COL: message on stderr
printf '[rx-proc]\nok = fine\n(abc = x\n' >"$tmp/bad.ini"
"$leco" rx-test -c "$tmp/bad.ini" x >/dev/null 2>"$tmp/err"; rc=$?
t_check "bad regexp: exit 2" test "$rc" = 2
t_check "bad regexp: message" grep -qF "$tmp/bad.ini:3:5: missing closing parenthesis" "$tmp/err"
printf '[rx-proc]\n(a) = $2\n' >"$tmp/bad2.ini"
"$leco" rx-test -c "$tmp/bad2.ini" x >/dev/null 2>"$tmp/err"; rc=$?
t_check "bad reference: exit 2" test "$rc" = 2
t_check "bad reference: message" grep -qF "$tmp/bad2.ini:2:7: reference to group 2" "$tmp/err"
"$leco" rx-test -c "$tmp/missing.ini" x >/dev/null 2>"$tmp/err"; rc=$?
t_check "missing config: exit 2" test "$rc" = 2
t_check "missing config: message" grep -qF "missing.ini: cannot open" "$tmp/err"
# output that cannot be written (disk full, closed pipe): exit 2 with a message, not 0
for mode in --json ""; do
	"$leco" rx-test -q $mode -c "$widget" x >/dev/full 2>"$tmp/err"; rc=$?
	t_check "write error ${mode:-text}: exit 2" test "$rc" = 2
	t_check "write error ${mode:-text}: message" grep -qF "rx-test: writing the output failed" "$tmp/err"
done
"$leco" rx-test x >/dev/null 2>&1; rc=$?
t_check "no -c: exit 2" test "$rc" = 2
"$leco" rx-test --bogus >/dev/null 2>&1; rc=$?
t_check "unknown option: exit 2" test "$rc" = 2
t_done

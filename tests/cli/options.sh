#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# leco's option parsing: an error names the option that is wrong (issue 10 item 8), exit 2;
# and `leco status --json` spells the reader state as the library does. No probes, no root:
# the pin dir given does not exist.
# Usage: options.sh LECO_BINARY
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
leco=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nopin=/sys/fs/bpf/leco-test-$$-nonexistent

# expect "WORDS..." EXIT MESSAGE: run leco WORDS, want exit EXIT and MESSAGE on stderr
expect() {
	local args=$1 want_rc=$2 want=$3 rc
	# shellcheck disable=SC2086 # the words are split on purpose
	"$leco" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
	t_check "leco $args: exit $want_rc" test "$rc" = "$want_rc"
	t_check "leco $args: says \"$want\"" grep -qF -- "$want" "$tmp/err"
}

expect "lines -p" 2 "lines: option '-p' needs a value"
expect "lines --pin-dir" 2 "lines: option '--pin-dir' needs a value"
expect "watch -i" 2 "watch: option '-i' needs a value"
expect "status -p" 2 "status: option '-p' needs a value"
expect "lines -jr" 2 "lines: unknown option '-j'"
expect "lines --json -xr" 2 "lines: unknown option '-x'"
expect "lines --interval 5" 2 "lines: unknown option '--interval'"
expect "lines --bogus=3" 2 "lines: unknown option '--bogus'"
expect "status -q" 2 "status: unknown option '-q'"
expect "lines -n 0" 2 "lines: bad line count '0'"
expect "lines -n0" 2 "lines: bad line count '0'"
expect "watch -i 0.01" 2 "watch: bad interval '0.01'"
expect "lines stray" 2 "lines: unexpected argument 'stray'"
expect "frobnicate" 2 "unknown command 'frobnicate'"
t_check "no message names the subcommand as an option" bash -c "! grep -q \"option 'lines'\" '$tmp/err'"
# values given in one word with the option, and clusters of valid short options, still work
expect "lines -p$nopin -n3" 2 "probes not loaded"
expect "lines --pin-dir=$nopin --lines=3 --json" 2 "probes not loaded"

"$leco" status --json -p "$nopin" >"$tmp/out" 2>"$tmp/err"; rc=$?
t_check "status --json, no probes: exit 1" test "$rc" = 1
t_check "status --json: state no_probes (the library's spelling)" grep -qF '"state":"no_probes"' "$tmp/out"
t_check "status --json: loaded false" grep -qF '"loaded":false' "$tmp/out"
t_check "status --json: pin_dir as given" grep -qF "\"pin_dir\":\"$nopin\"" "$tmp/out"
"$leco" status --help >"$tmp/out"
t_check "status --help: exit 0, usage" grep -q 'usage: leco status' "$tmp/out"
# conns and top: option errors named, values checked, no probes said (exit 2)
expect "top --by pid" 2 "top: bad group-by 'pid': want process, exe,"
expect "top --sort" 2 "top: option '--sort' needs a value"
expect "top --sort speed" 2 "top: bad sort key 'speed'"
expect "top -n 0" 2 "top: bad group count '0'"
expect "top -i 0.01" 2 "top: bad interval '0.01'"
expect "top -x" 2 "top: unknown option '-x'"
expect "top stray" 2 "top: unexpected argument 'stray'"
expect "top --once -p $nopin" 2 "top: $nopin does not exist: probes not loaded"
expect "conns --state open" 2 "conns: bad state 'open'"
expect "conns --pid -1" 2 "conns: bad pid '-1'"
expect "conns -jx" 2 "conns: unknown option '-j'"
expect "conns -p $nopin --json" 2 "conns: $nopin does not exist: probes not loaded"
"$leco" top --help >"$tmp/out"
t_check "top --help: exit 0, usage and keys" grep -q 'keys: q quit, m rates/totals' "$tmp/out"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/stage.sh, which every test that runs something as another user relies on: from a
# build tree that user cannot enter (a checkout in a 0700 home directory), the staged
# leco runs as nobody and loads the staged libleco.so.0, not the build tree's or an
# installed one; staging below a directory nobody can enter fails and names the file.
# Environment: LECO_BUILD (build dir), LECO_VERSION.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
command -v setpriv >/dev/null || t_skip "setpriv (util-linux) missing"
[ -x "$LECO_BUILD/bin/leco" ] || t_skip "$LECO_BUILD/bin/leco not built"

tmp=$(mktemp -d /tmp/leco-stage-test.XXXXXX) # 0700, like a home directory
trap 'rm -rf "$tmp"' EXIT
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all --no-new-privs -- "$@"; }

# A "checkout" nobody can enter: a copy of the build's bin/leco and lib/ under $tmp (0700).
co=$tmp/home/src/build
mkdir -p "$co/bin" "$co/lib"
cp -P "$LECO_BUILD/bin/leco" "$co/bin/" && cp -P "$LECO_BUILD"/lib/libleco.so* "$co/lib/"
t_check "unstaged: nobody cannot read the checkout's leco (what staging is for)" \
	bash -c "$(declare -f as_nobody); ! as_nobody test -r '$co/bin/leco'"

# A parent other users may enter (but not list), and the stage inside it.
chmod 0711 "$tmp"
st=$tmp/stage
t_check "stage.sh stages bin/leco and lib/libleco.so*" \
	"$here/stage.sh" "$st" "$co/./bin/leco" "$co"/./lib/libleco.so*
t_check "layout kept: bin/leco, lib/libleco.so.0" \
	test -x "$st/bin/leco" -a -e "$st/lib/libleco.so.0"
out=$(as_nobody "$st/bin/leco" --version 2>&1)
t_check "nobody runs the staged leco ($out)" test "$out" = "leco $LECO_VERSION"
loaded=$(as_nobody env LD_TRACE_LOADED_OBJECTS=1 "$st/bin/leco" 2>&1 |
	sed -n 's/^[[:space:]]*libleco\.so\.0 => \(.*\) (0x[0-9a-f]*)$/\1/p')
t_check "the staged leco loads the staged libleco.so.0 (${loaded:-not found})" \
	test -n "$loaded" -a "$(realpath -e "$loaded" 2>/dev/null)" = \
	"$(realpath "$st/lib/libleco.so.0")"

# Staging below a directory nobody can enter is refused, naming what cannot be read.
mkdir -m 0700 "$tmp/closed"
err=$("$here/stage.sh" "$tmp/closed/stage" "$co/./bin/leco" 2>&1)
rc=$?
t_check "stage.sh under a 0700 directory exits 1 (got $rc)" test "$rc" = 1
t_check "... and names the file nobody can read ($err)" \
	grep -q "$tmp/closed/stage/bin/leco: not readable" <<<"$err"
t_check "stage.sh refuses a DIR that exists" \
	bash -c "! '$here/stage.sh' '$st' '$co/./bin/leco' 2>/dev/null"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run the Lua module tests under one interpreter.
# usage: run.sh LUA_EXE VERSION BUILD_DIR SOURCE_DIR test|valgrind
set -uo pipefail
lua=$1 ver=$2 build=$3 src=$4 mode=$5
. "$src/tests/lib.sh"

command -v "$lua" >/dev/null || t_skip "$lua not found (apt-get install lua$ver)"
mod=$build/lua/$ver/leco.so
[ -f "$mod" ] || { echo "FAIL: $mod not built"; exit 1; }
export LUA_CPATH="$build/lua/$ver/?.so;$build/tests/lua/$ver/?.so"
export LUA_PATH="$src/lua/?.lua;$src/tests/lua/?.lua;;"
export LECO_TEST_SRC=$src LECO_TEST_BUILD=$build LECO_BUILD_DIR=$build

if [ "$mode" = valgrind ]; then
	command -v valgrind >/dev/null || t_skip "valgrind not installed (scripts/deps.sh test)"
	# definite leaks and invalid accesses fail; reachable memory at exit is Lua's business.
	# No undefined-value tracking: PCRE2's JIT code is opaque to memcheck (false reports).
	exec valgrind --quiet --error-exitcode=3 --undef-value-errors=no --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		"$lua" "$src/tests/lua/cycles.lua" 300
fi

# Live part: as root with the loader built, a unique pin dir that the Lua script loads
# the probes into (after checking the "not loaded" path on it) and we remove afterwards.
loader=$build/bin/leco-load
if [ "$(id -u)" = 0 ] && [ -x "$loader" ]; then
	pin=/sys/fs/bpf/leco-test-$$-lua${ver/./}
	export LECO_TEST_PIN=$pin LECO_TEST_LOADER=$loader
	cleanup() {
		"$loader" --unload --pin "$pin" >/dev/null 2>&1
		rm -rf "$pin" 2>/dev/null
	}
	trap cleanup EXIT
elif [ "${CI:-}" = true ]; then
	echo "FAIL: live part needs root and $loader, and CI=true"
	exit 1
else
	echo "note: live part skipped (needs root and $loader)"
fi
rc=0
# a module built for another Lua version refuses to load with "version mismatch" (doc/lua.md),
# not the dynamic linker's "undefined symbol: lua_newuserdata"
for other in "$build"/lua/*/leco.so; do
	[ "$other" != "$mod" ] || continue
	out=$(LUA_CPATH="${other%leco.so}?.so" "$lua" -e 'require "leco"' 2>&1)
	t_check "the ${other#"$build"/lua/} module in $lua: version mismatch" grep -q 'version mismatch' <<<"$out"
done
[ "$t_fail" = 0 ] || rc=1
# No per-thread malloc cache: the freed chunks it keeps count as in use, which would blur the
# exact count of malloc'd bytes that the many-cycles check compares (test_leco.lua).
GLIBC_TUNABLES=${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.tcache_count=0 \
	"$lua" "$src/tests/lua/test_leco.lua" || rc=1
"$lua" "$src/tests/lua/test_conky_helper.lua" || rc=1
exit $rc

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Lua history API (leco.history) under each Lua version the module is built for, on a
# database of known contents (mkdb). No probes, no root.
# usage: lua.sh MKDB BUILD_DIR SRC_DIR "5.4 5.3"
set -uo pipefail
mkdb=$1 build=$2 src=$3 vers=$4
. "$src/tests/lib.sh"
tmp=$(mktemp -d /tmp/leco-test-hlua.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
t_check "mkdb writes a database" "$mkdb" "$tmp/h.db"
[ -n "$vers" ] || t_skip "no Lua module built"
for v in $vers; do
	command -v "lua$v" >/dev/null || t_skip "lua$v not installed (scripts/deps.sh)"
	t_check "Lua $v: leco.history" env LUA_CPATH="$build/lua/$v/?.so" "lua$v" \
		"$src/tests/history/history.lua" "$tmp/h.db"
done
t_done

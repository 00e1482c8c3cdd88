#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The public API is one list in three places that must agree: the LECO_API declarations of
# include/leco.h, the version script lib/libleco.map (every symbol under a version node) and
# what the built libleco.so exports.
# Usage: abi.sh SRC_DIR LIBLECO_SO
set -u
. "${LECO_TESTS_LIB:-$(dirname "$0")/../lib.sh}"
src=$1 so=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# declarations start a line with "LECO_API type *name(": the identifier before the '('
grep -E '^LECO_API ' "$src/include/leco.h" | sed -E 's/^([^(]*[ *])?([a-z_0-9]+)\(.*/\2/' |
	sort -u >"$tmp/header"
sed -n '/global:/,/local:/p' "$src/lib/libleco.map" | grep -oE '^\s*leco_[a-z_0-9]+;' |
	tr -d ' \t;' | sort >"$tmp/map"
nm -D --defined-only "$so" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u >"$tmp/exports"

t_check "leco.h declares functions ($(wc -l <"$tmp/header"))" test -s "$tmp/header"
t_check "the version script lists each symbol once" \
	bash -c "[ -z \"\$(uniq -d '$tmp/map')\" ]"
t_check "version script == leco.h" diff -u "$tmp/header" "$tmp/map"
t_check "exported == leco.h" diff -u "$tmp/header" "$tmp/exports"
t_check "the map has no wildcard in global" \
	bash -c "! sed -n '/global:/,/local:/p' '$src/lib/libleco.map' | grep -q 'leco_\\*'"
t_check "every export carries a version node" \
	bash -c "! nm -D --defined-only '$so' | awk '\$2 == \"T\"' | grep -v '@@LECO_' | grep -q ."
t_done

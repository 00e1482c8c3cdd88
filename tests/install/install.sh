#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `cmake --install` the build into a DESTDIR, check every file lands where the
# ecosystem looks for it, and consume the result: a C program through pkg-config,
# a CMake project through find_package(leco), and `require 'leco'` under each Lua.
# Environment (set by tests/install/CMakeLists.txt): LECO_BUILD LECO_SRC LECO_PREFIX
# LECO_LIBDIR LECO_MANDIR LECO_DOCDIR LECO_VERSION LECO_LUA_VERS LECO_HAS_LOADER
# LECO_SANITIZE LECO_CC LECO_SYSTEMD.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/leco-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
D=$tmp/root
P=$LECO_PREFIX
case $LECO_LIBDIR in /*) libdir=$LECO_LIBDIR ;; *) libdir=$P/$LECO_LIBDIR ;; esac
case $LECO_MANDIR in /*) mandir=$LECO_MANDIR ;; *) mandir=$P/$LECO_MANDIR ;; esac
case $LECO_DOCDIR in /*) docdir=$LECO_DOCDIR ;; *) docdir=$P/$LECO_DOCDIR ;; esac

if ! DESTDIR=$D cmake --install "$LECO_BUILD" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	t_check "cmake --install into DESTDIR" false
	t_done; exit
fi
t_check "cmake --install into DESTDIR" true
t_check "nothing installed outside DESTDIR" \
	bash -c "! grep -E '^-- (Installing|Up-to-date): ' '$tmp/install.log' | grep -v ' $D/'"

# Everything under the prefix: `--prefix ~/.local` must work without root.
# (except in dirs set explicitly with -DLECO_LUA_CMOD_DIR_54=... and the like)
not_explicit() {
	local f d keep
	while read -r f; do
		keep=1
		for d in ${LECO_EXPLICIT_DIRS:-}; do
			case $f in "$d"/*) keep=0; echo "note: $f: in an explicitly configured dir" >&2 ;; esac
		done
		[ "$keep" = 0 ] || echo "$f"
	done
}
outside=$(find "$D" -type f ! -path "$D$P/*" | sed "s|^$D||" | not_explicit)
t_check "every file installed under the prefix $P${outside:+ (outside: $outside)}" test -z "$outside"

# --- the library ------------------------------------------------------------
lib=$D$libdir
real=$lib/libleco.so.$LECO_VERSION
t_check "libleco.so.$LECO_VERSION is a regular file" test -f "$real" -a ! -L "$real"
t_check "libleco.so.0 -> libleco.so.$LECO_VERSION" \
	test "$(readlink "$lib/libleco.so.0")" = "libleco.so.$LECO_VERSION"
t_check "libleco.so -> libleco.so.0 (dev symlink)" test "$(readlink "$lib/libleco.so")" = libleco.so.0
t_check "SONAME is libleco.so.0" \
	bash -c "readelf -d '$real' | grep -q 'SONAME.*\[libleco.so.0\]'"
t_check "no static archive installed" bash -c "! ls '$lib'/libleco*.a 2>/dev/null | grep -q ."
syms=$(nm -D --defined-only "$real" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sed 's/@.*//')
t_check "exports leco_version" grep -qx leco_version <<<"$syms"
t_check "exports only leco_* symbols" bash -c "! grep -v '^leco_' <<<'$syms' | grep -v '^LECO_0' | grep -q ."
t_check "symbols carry version LECO_0.1" bash -c "nm -D --defined-only '$real' | grep -q 'leco_version@@LECO_0.1'"
# The build tree's run path is $ORIGIN-relative (a staged copy finds its library): the
# install step must strip it, so no installed file has a run path at all.
no_runpath() { ! readelf -d "$1" | grep -qE '\((RUNPATH|RPATH)\)'; }
t_check "no RUNPATH in the library" no_runpath "$real"
t_check "header installed" cmp -s "$D$P/include/leco.h" "$LECO_SRC/include/leco.h"

# --- binaries ---------------------------------------------------------------
t_check "leco CLI installed" test -x "$D$P/bin/leco"
t_check "leco CLI has no RUNPATH" no_runpath "$D$P/bin/leco"
if [ "$LECO_HAS_LOADER" = 1 ]; then
	loader=$(find "$D" -name leco-load -type f | head -1)
	t_check "leco-load installed (sbin)" test -n "$loader" -a -x "$loader"
	[ -n "$loader" ] && t_check "leco-load in $P/sbin (the unit's ExecStart)" \
		test "$loader" = "$D$P/sbin/leco-load"
fi
ver=$(LD_LIBRARY_PATH=$lib "$D$P/bin/leco" --version 2>&1)
t_check "installed leco runs against the installed library ($ver)" \
	test "$ver" = "leco $LECO_VERSION"

# --- pkg-config and CMake package files -------------------------------------
pc=$lib/pkgconfig/leco.pc
t_check "leco.pc installed" test -f "$pc"
t_check "leco.pc has the install prefix, not DESTDIR" \
	bash -c "grep -qx 'prefix=$P' '$pc' && ! grep -q '$D' '$pc'"
for f in lecoConfig.cmake lecoConfigVersion.cmake lecoTargets.cmake; do
	t_check "cmake/leco/$f installed" test -f "$lib/cmake/leco/$f"
done

# --- man pages, unit, snippets, examples ------------------------------------
for m in man1/leco.1 man8/leco-load.8 man3/leco.3 man5/leco.ini.5; do
	t_check "man page $m installed" test -f "$D$mandir/$m"
	if [ -f "$D$mandir/$m" ]; then
		warn=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$D$mandir/$m" 2>&1)
		t_check "man page $m renders without groff warnings${warn:+: $warn}" test -z "$warn"
	fi
done
if [ "$LECO_SYSTEMD" = 1 ]; then
	unit=$D$P/lib/systemd/system/leco.service
	t_check "leco.service installed" test -f "$unit"
	t_check "leco.service runs the installed leco-load" \
		grep -qx "ExecStart=$P/sbin/leco-load --group leco -p .*" "$unit"
	t_check "leco.service unloads on stop" grep -q "^ExecStop=$P/sbin/leco-load --unload" "$unit"
	t_check "sysusers.d/leco.conf creates group leco" \
		grep -qE '^g[[:space:]]+leco[[:space:]]' "$D$P/lib/sysusers.d/leco.conf"
	if command -v systemd-analyze >/dev/null; then
		# verify needs ExecStart to exist: point it at the DESTDIR copy (or true(1)).
		exe=$D$P/sbin/leco-load; [ -x "$exe" ] || exe=/bin/true
		sed "s#$P/sbin/leco-load#$exe#" "$unit" >"$tmp/leco.service"
		out=$(systemd-analyze verify --man=no "$tmp/leco.service" 2>&1)
		t_check "systemd-analyze verify leco.service${out:+: $out}" test -z "$out"
		score=$(systemd-analyze security --offline=yes "$tmp/leco.service" 2>/dev/null |
			sed -n 's/.*exposure level for leco.service: \([0-9.]*\).*/\1/p')
		t_check "systemd-analyze security exposure <= 3.0 (got ${score:-none})" \
			awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
	fi
fi
for e in conkyrc leco.ini; do
	if [ -f "$LECO_SRC/examples/$e" ]; then
		t_check "example $e in $docdir/examples" test -f "$D$docdir/examples/$e"
	fi
done
# README.md and doc/ keep the source tree's layout: their relative links work once installed.
t_check "README.md in $docdir" cmp -s "$D$docdir/README.md" "$LECO_SRC/README.md"
for png in screenshot-top.png screenshot.png; do # README's picture, doc/conky.md's too
	t_check "doc/$png in $docdir/doc" cmp -s "$D$docdir/doc/$png" "$LECO_SRC/doc/$png"
done
# md_links: "FILE TARGET" for every relative link and image in the installed Markdown files
md_links() {
	local f l
	while IFS= read -r f; do
		grep -o '](\([^)]*\))' "$f" | sed 's/^](\(.*\))$/\1/' | while IFS= read -r l; do
			case $l in *://* | mailto:* | '#'*) ;; *) echo "$f ${l%%#*}" ;; esac
		done
	done < <(find "$D$docdir" -name '*.md')
}
md_links >"$tmp/links"
nl=$(wc -l <"$tmp/links")
broken=$(while read -r f l; do
	[ -e "$(dirname "$f")/$l" ] || echo "${f#"$D"}: $l"
done <"$tmp/links")
t_check "every relative link in the installed docs works ($nl links${broken:+; broken: $broken})" \
	test -z "$broken" -a "$nl" -ge 20

# --- an install-time --prefix is honoured by the generated files ------------------
D2=$tmp/root2 P2=/opt/leco-prefix-test
if DESTDIR=$D2 cmake --install "$LECO_BUILD" --prefix "$P2" >"$tmp/install2.log" 2>&1; then
	pc2=$(find "$D2" -name leco.pc | head -1)
	t_check "--prefix $P2: leco.pc says prefix=$P2" grep -qx "prefix=$P2" "${pc2:-/dev/null}"
	if [ "$LECO_SYSTEMD" = 1 ]; then
		t_check "--prefix $P2: the unit runs $P2/sbin/leco-load" \
			grep -q "^ExecStart=$P2/sbin/leco-load " "$D2$P2/lib/systemd/system/leco.service"
	fi
	out2=$(find "$D2" -type f ! -path "$D2$P2/*" | sed "s|^$D2||" | not_explicit 2>/dev/null)
	t_check "--prefix $P2: every file under it${out2:+ (outside: $out2)}" test -z "$out2"
else
	cat "$tmp/install2.log" >&2
	t_check "cmake --install --prefix $P2" false
fi

# --- consume: pkg-config ----------------------------------------------------
cat >"$tmp/app.c" <<'C'
#include <leco.h>
#include <stdio.h>
int main(void)
{
	puts(leco_version());
	return 0;
}
C
san=()
[ "$LECO_SANITIZE" = 1 ] && san=(-fsanitize=address,undefined)
if flags=$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$lib/pkgconfig pkg-config --cflags --libs leco); then
	t_check "pkg-config --cflags --libs leco ($flags)" true
	if "$LECO_CC" "${san[@]}" -Wall -Werror -o "$tmp/app" "$tmp/app.c" $flags 2>"$tmp/cc.log"; then
		t_check "C program builds with pkg-config flags" true
		t_check "C program calls leco_version() from the installed library" \
			test "$(LD_LIBRARY_PATH=$lib "$tmp/app")" = "$LECO_VERSION"
		t_check "C program links libleco.so.0" \
			bash -c "readelf -d '$tmp/app' | grep -q 'NEEDED.*\[libleco.so.0\]'"
	else
		cat "$tmp/cc.log" >&2
		t_check "C program builds with pkg-config flags" false
	fi
else
	t_check "pkg-config --cflags --libs leco" false
fi
t_check "pkg-config --modversion" \
	test "$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$lib/pkgconfig pkg-config --modversion leco)" = "$LECO_VERSION"

# --- consume: CMake package -------------------------------------------------
mkdir -p "$tmp/cm"
cp "$tmp/app.c" "$tmp/cm/app.c"
cat >"$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.13)
project(leco_consumer C)
find_package(leco ${LECO_VERSION%.*} REQUIRED)
add_executable(app app.c)
target_link_libraries(app PRIVATE leco::leco)
CM
sanflags=""
[ "$LECO_SANITIZE" = 1 ] && sanflags="-fsanitize=address,undefined"
if cmake -S "$tmp/cm" -B "$tmp/cm/b" -DCMAKE_PREFIX_PATH="$D$P" -DCMAKE_C_COMPILER="$LECO_CC" \
	-DCMAKE_C_FLAGS="$sanflags" >"$tmp/cm.log" 2>&1 &&
	cmake --build "$tmp/cm/b" >>"$tmp/cm.log" 2>&1; then
	t_check "find_package(leco) + leco::leco builds" true
	t_check "CMake-built program runs against the installed library" \
		test "$(LD_LIBRARY_PATH=$lib "$tmp/cm/b/app")" = "$LECO_VERSION"
else
	cat "$tmp/cm.log" >&2
	t_check "find_package(leco) + leco::leco builds" false
fi
sed -i "s/find_package(leco [0-9.]*/find_package(leco 99.0/" "$tmp/cm/CMakeLists.txt"
t_check "find_package(leco 99.0) refuses this version" \
	bash -c "! cmake -S '$tmp/cm' -B '$tmp/cm/b99' -DCMAKE_PREFIX_PATH='$D$P' >/dev/null 2>&1"

# --- consume: Lua -----------------------------------------------------------
for v in $LECO_LUA_VERS; do
	lua=lua$v
	command -v "$lua" >/dev/null || { t_check "$lua available" false; continue; }
	mod=$(find "$D" -path "*/lua/$v/leco.so" | head -1)
	t_check "Lua $v module installed" test -n "$mod"
	[ -n "$mod" ] || continue
	t_check "Lua $v module has no RUNPATH" no_runpath "$mod"
	sys=${mod#"$D"}
	# The installed path must be one the interpreter searches by default.
	t_check "Lua $v module path ${sys%/leco.so} is in $lua's default package.cpath" \
		"$lua" -e "local p = '${sys%/leco.so}/?.so'
			for e in package.cpath:gmatch('[^;]+') do if e == p then os.exit(0) end end
			os.exit(1)"
	conky=$(find "$D" -path "*/lua/$v/leco/conky.lua" | head -1)
	t_check "leco/conky.lua installed for Lua $v" test -n "$conky"
	if [ -n "$conky" ]; then
		c=${conky#"$D"}
		t_check "conky.lua path is in $lua's default package.path" \
			"$lua" -e "local p = '${c%/leco/conky.lua}/?.lua'
				for e in package.path:gmatch('[^;]+') do if e == p then os.exit(0) end end
				os.exit(1)"
	fi
	pre=()
	if [ "$LECO_SANITIZE" = 1 ]; then # an ASan module in an uninstrumented lua: preload the runtime
		rt=${LECO_ASAN_PRELOAD:-$(readlink -f "$("$LECO_CC" -print-file-name=libasan.so)")}
		pre=(env "LD_PRELOAD=$rt")
	fi
	out=$("${pre[@]}" env LD_LIBRARY_PATH="$lib" LUA_CPATH="$(dirname "$mod")/?.so" \
		LUA_PATH="${conky:+$(dirname "$(dirname "$conky")")/?.lua}" \
		"$lua" -e "local l = require 'leco'; io.write(tostring(l._VERSION))" 2>&1)
	t_check "require 'leco' under $lua from the installed path ($out)" \
		bash -c "[[ '$out' == *'$LECO_VERSION'* ]]"
done
t_done

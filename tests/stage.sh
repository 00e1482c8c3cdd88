#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stage what a test runs as another user in a directory that user can read.
#
# The checkout may sit where no other user can enter: Debian 12 home directories are
# 0700, and so is a `mktemp -d`. A script, binary, library or Lua module started from
# there as another user fails (python3: "can't open file ... Permission denied",
# "libleco.so.0: cannot open shared object file"). Every test that runs something as
# another user (setpriv --reuid, nobody, a test user) runs a staged copy instead.
#
# usage: stage.sh DIR PATH...
#   DIR   created here, mode 0755 (it must not exist); its parent must be enterable by
#         every user (e.g. the test's own temp dir under /tmp, mode 0711 or 0755).
#         The caller removes it (put it inside the temp dir its cleanup removes).
#   PATH  ROOT/./REL is copied to DIR/REL, keeping the layout (bin/leco next to
#         lib/libleco.so.0, which the binary finds through its $ORIGIN run path);
#         any other PATH is copied to DIR/NAME. Symbolic links stay links.
# Then it checks, as nobody with no capabilities, that every staged file can be read
# (and run, if it is executable): it exits 1 naming the first that cannot.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: stage.sh DIR PATH..." >&2; exit 2; }
dir=$1; shift
[ ! -e "$dir" ] || { echo "stage.sh: $dir already exists" >&2; exit 1; }
mkdir -m 0755 "$dir"
for p in "$@"; do
	if [[ $p == */./* ]]; then
		dest=$dir/${p#*/./}
		mkdir -p "$(dirname "$dest")"
	else
		dest=$dir/$(basename "$p")
	fi
	cp -RP "$p" "$dest"
done
# whatever root's umask was: readable by all, directories and programs enterable/runnable
chmod -R a+rX "$dir"

# Check as nobody, with no capability in any set (a privileged setpriv would still be able
# to execve a program it cannot read: the check must run inside the unprivileged process).
# "x PATH" for files the owner may run (the other user must run them too), "r PATH" else.
mapfile -t want < <(find "$dir" -type f -perm -u+x -printf 'x %p\n' -o -type f -printf 'r %p\n')
bad=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	--no-new-privs -- /bin/sh -c '
	for w; do
		f=${w#? }
		[ -r "$f" ] || { echo "$f: not readable"; exit 1; }
		[ "${w%% *}" = r ] || [ -x "$f" ] || { echo "$f: not executable"; exit 1; }
	done' sh "${want[@]}" 2>&1) || {
	echo "stage.sh: another user cannot use what was staged in $dir: ${bad:-setpriv failed}" \
		"(every parent directory must be enterable by all)" >&2
	exit 1
}

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the Debian 12 packages libleco needs. Usage: scripts/deps.sh [build|test]
# "build": build + run (the quick start); "test": also everything the test suite uses.
# Runs apt-get only when something is missing, so repeated runs are quick.
set -euo pipefail
what=${1:-build}
pkgs=(cmake make gcc pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libpcre2-dev libncurses-dev lua5.3 lua5.4 liblua5.3-dev liblua5.4-dev conky-all
	fonts-dejavu-core)
if [ "$what" = test ]; then
	pkgs+=(python3 iproute2 nftables iperf3 procps psmisc util-linux xvfb x11-apps x11-utils
		qemu-system-x86 busybox-static
		imagemagick libclang-rt-14-dev valgrind tesseract-ocr tesseract-ocr-eng tmux)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

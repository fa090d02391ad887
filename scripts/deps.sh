#!/bin/sh
# Installs the Debian packages fixmap needs that are missing (when run as root),
# or says which are missing and how to install them. The list is everything
# `make`, `make demo` and `make check` use on a minimal Debian 12 (debootstrap
# --variant=minbase): compilers, QEMU, libraries, and the tools the tests run
# (tmux, valgrind, python3, mandoc/groff for the manual pages).
set -e
PKGS="make gcc pkg-config clang lld libclang-rt-14-dev gcc-aarch64-linux-gnu
binutils-aarch64-linux-gnu qemu-system-arm libelf-dev libcapstone-dev libncurses-dev
mandoc groff-base tmux valgrind python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "fixmap: missing Debian packages:$missing" >&2
	echo "fixmap: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "  DEPS   installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Without recommends (a minimal install, as on a build machine): nothing fixmap
# runs may depend on a recommended package (QEMU runs with -nic none, so it
# needs no ipxe-qemu ROM).
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

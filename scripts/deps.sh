#!/bin/sh
# Installs the Debian packages fixmap needs that are missing (when run as root),
# or says which are missing and how to install them. The list is everything
# `make`, `make demo` and `make check` use on a minimal Debian 12 (debootstrap
# --variant=minbase): compilers, QEMU, libraries, and the tools the tests run
# (tmux, valgrind, python3, mandoc/groff for the manual pages, xz-utils for
# the QEMU source's plugin header, npm for the Perfetto and SARIF consumers
# of tests/e2e, scripts/npm-tools.sh). Then it
# unpacks QEMU 10 for the TCG plugin into the cache (scripts/qemu10.sh: never
# installed; its libraries are those qemu-system-arm brings, so it comes second).
set -e
PKGS="make gcc pkg-config clang lld libclang-rt-14-dev gcc-aarch64-linux-gnu
binutils-aarch64-linux-gnu qemu-system-arm libelf-dev libcapstone-dev libncurses-dev
mandoc groff-base tmux valgrind python3 libglib2.0-dev chromium
python3-jsonschema xz-utils npm"
qemu10()
{
	"$(dirname "$0")/qemu10.sh" fetch ||
		echo "fixmap: QEMU 10 is not available: the plugin's tests will say SKIP" >&2
}
missing=""
for p in $PKGS; do
	# an npm of its own (Node.js's packages, which conflict with Debian's) will do
	[ "$p" = npm ] && command -v npm >/dev/null && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	qemu10
	exit 0
fi
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
qemu10

#!/bin/bash
# Downloads every third-party target the tests use into the cache
# ($FIXMAP_CACHE, default ~/.cache/fixmap), once: Debian's arm64 kernels
# (bookworm's 6.1 and trixie's 6.12, scripts/linux-lib.sh), EDK2, U-Boot and
# Xen (scripts/deb-lib.sh, for record-systems), QEMU 10 with its plugin header
# (scripts/qemu10.sh) and the npm tools export and lint --sarif are checked
# with (scripts/npm-tools.sh). Nothing is installed. A later `make
# check` then runs the tests that stand for them instead of skipping; under
# CI=true such a skip is a failure, so CI runs this first and keeps the cache
# directory between runs. Exit status 1, naming what could not be had, when a
# download fails.
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
. scripts/qemu-lib.sh
. scripts/linux-lib.sh
rc=0
for suite in bookworm trixie; do
	if linux_fetch "$suite"; then
		echo "  FETCH  $LINUX_VERSION"
	else
		echo "fixmap: $LINUX_WHY" >&2
		rc=1
	fi
done
# the packages and paths of tests/e2e/record-systems.sh
if deb_fetch bookworm "qemu-efi-aarch64=./usr/share/qemu-efi-aarch64/*" \
	"u-boot-qemu=./usr/lib/u-boot/qemu_arm64/*" "xen-hypervisor-4.17-arm64=./boot/*"; then
	echo "  FETCH  $(echo $DEB_VERSIONS)"
else
	echo "fixmap: $DEB_WHY" >&2
	rc=1
fi
if n=$(scripts/npm-tools.sh); then
	echo "  FETCH  npm tools in $n"
else
	echo "fixmap: the npm tools could not be had" >&2
	rc=1
fi
if q=$(scripts/qemu10.sh bin) && h=$(scripts/qemu10.sh header); then
	echo "  FETCH  $q ($("$q" --version | head -n1)), $h/qemu-plugin.h"
else
	echo "fixmap: QEMU 10 or its plugin header could not be had" >&2
	rc=1
fi
exit $rc

#!/bin/bash
# Downloads every third-party target the tests use into the cache
# ($FIXMAP_CACHE, default ~/.cache/fixmap), once: Debian's arm64 kernels
# (bookworm's 6.1 and trixie's 6.12, scripts/linux-lib.sh) and QEMU 10 with
# its plugin header (scripts/qemu10.sh). Nothing is installed. A later `make
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
if q=$(scripts/qemu10.sh bin) && h=$(scripts/qemu10.sh header); then
	echo "  FETCH  $q ($("$q" --version | head -n1)), $h/qemu-plugin.h"
else
	echo "fixmap: QEMU 10 or its plugin header could not be had" >&2
	rc=1
fi
exit $rc

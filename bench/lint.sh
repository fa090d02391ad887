#!/bin/bash
# Time to lint Debian's arm64 kernel Image (scripts/linux-lib.sh), raw at the
# nokaslr base: every TLBI site found and checked. Requirement: under 10 s.
# Prints figures; asserts nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
FM=${FM:-$BUILD/fixmapctl}
. scripts/qemu-lib.sh
. scripts/linux-lib.sh
RUNS=${RUNS:-5}

if ! linux_fetch; then
	echo "lint: skipped: $LINUX_WHY"
	exit 0
fi
best=""
for i in $(seq "$RUNS"); do
	s=${EPOCHREALTIME/./}
	summary=$($FM lint --raw --base 0xffff800008000000 "$LINUX_IMAGE" | tail -n1)
	e=${EPOCHREALTIME/./}
	us=$((e - s))
	[ -z "$best" ] || [ $us -lt "$best" ] && best=$us
done
mb=$(($(stat -c %s "$LINUX_IMAGE") / 1048576))
echo "kernel $LINUX_VERSION ($mb MiB Image): $summary"
echo "lint, best of $RUNS: $((best / 1000)) ms ($((mb * 1000000 / (best > 0 ? best : 1))) MiB/s)"

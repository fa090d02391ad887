#!/bin/bash
# Time to recover the symbols of Debian's arm64 kernel Images from their
# kallsyms tables (fixmapctl symbols, printing included), and to lint a whole
# Image with them. Requirement: symbols under 0.5 s. Prints figures; asserts
# nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
FM=${FM:-$BUILD/fixmapctl}
. scripts/qemu-lib.sh
. scripts/linux-lib.sh
RUNS=${RUNS:-5}

# best CMD...: the best wall time of RUNS runs, in microseconds.
best()
{
	b=
	for _ in $(seq "$RUNS"); do
		s=${EPOCHREALTIME/./}
		"$@" >/dev/null 2>&1
		us=$((${EPOCHREALTIME/./} - s))
		[ -z "$b" ] || [ $us -lt "$b" ] && b=$us
	done
	echo "$b"
}

for suite in bookworm trixie; do
	if ! linux_fetch $suite; then
		echo "symbols: $suite skipped: $LINUX_WHY"
		continue
	fi
	n=$($FM symbols "$LINUX_IMAGE" | wc -l)
	s=$(best "$FM" symbols "$LINUX_IMAGE")
	l=$(best "$FM" lint "$LINUX_IMAGE")
	echo "$LINUX_VERSION: $n symbols in $((s / 1000)) ms; lint with them $((l / 1000)) ms (best of $RUNS)"
done

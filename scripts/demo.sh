#!/bin/sh
# make demo: show fixmapctl at work.
set -e
cd "$(dirname "$0")/.."
B=${BUILD:-build}
echo "fixmap demo: the seed's local sequence, then the merged fix"
for t in tests/traces/seed-local.trace tests/traces/seed-fixed.trace; do
	[ -e "$t" ] || continue
	echo "\$ fixmapctl check $t"
	"$B/fixmapctl" check "$t" || true
done

#!/bin/sh
# make demo: show fixmapctl at work.
set -e
cd "$(dirname "$0")/.."
B=${BUILD:-build}
echo "fixmap demo: checking the sample traces"
for t in tests/traces/*.trace; do
	[ -e "$t" ] || continue
	echo "\$ fixmapctl check $t"
	"$B/fixmapctl" check "$t" || true
done

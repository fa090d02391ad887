#!/bin/sh
# make bench: runs every bench/*.sh; each prints its own figures.
cd "$(dirname "$0")/.." || exit 1
rc=0
for b in bench/*.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	BUILD=${BUILD:-build} bash "$b" || rc=1
done
exit $rc

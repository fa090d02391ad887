#!/bin/sh
# Every manual page renders without warnings (mandoc -T lint and groff -ww).
cd "$(dirname "$0")/.." || exit 1
rc=0
for m in man/*.[1-9]; do
	out=$(mandoc -T lint -W warning "$m" 2>&1)
	gout=$(groff -ww -man -Tutf8 -z "$m" 2>&1)
	if [ -n "$out$gout" ]; then
		echo "FAIL: $m"
		echo "$out$gout" | sed 's/^/  /'
		rc=1
	else
		echo "PASS: $m"
	fi
done
exit $rc

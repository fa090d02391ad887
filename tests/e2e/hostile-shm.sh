#!/bin/bash
# fixmapctl trace --mem on shared areas a broken or hostile agent wrote (issue 7
# item 2): each case ends with a clear diagnosis and the data that can still be
# trusted, never a crash or a hang. The images are the fuzz_ring seeds
# (tests/fuzz/ring/, written by tests/fuzz/mkseeds.py) without their 8-byte
# fuzz control word.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh

# case NAME SEED WANT_RC MESSAGE
case_() {
	local name=$1 seed=tests/fuzz/ring/$2 want=$3 msg=$4 rc
	tail -c +9 "$seed" >"$TMP/$2.bin"
	timeout 20 "$FM" trace --mem "$TMP/$2.bin" --agent 0x40000000 --no-trim -q \
		>"$TMP/$2.out" 2>"$TMP/$2.err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "$name" "exit $rc, wanted $want: $(head -3 "$TMP/$2.err")"
	elif ! grep -q -- "$msg" "$TMP/$2.out" "$TMP/$2.err"; then
		fail "$name" "no '$msg' in: $(head -3 "$TMP/$2.err")"
	else
		pass "$name"
	fi
}

case_ wrong-magic bad-magic 2 'magic is 0x314d485350414d47, expected'
case_ newer-major major-2 2 'speaks protocol 2.0'
case_ header-too-small small-header 2 'too short to hold the layout'
case_ header-larger-inconsistent large-header 2 'is not inside the area'
case_ cpu-count-out-of-range too-many-cpus 2 '9 per-CPU areas'
case_ one-bad-ring-others-read bad-ring-size 0 'cpu 1 ring not read: ring size 3000'
# These two agents are running: their streams are cut (fixmap-trace(5)), so the
# break their cpu1 leaves pending at the end is no finding.
case_ unknown-record-type-skipped two-cpus 0 'skipping records of unknown type 99'
case_ torn-record-diagnosed head-behind 0 'torn or corrupt ring'
case_ wrapped-ring-with-pad wrap-pad 0 'summary: 3 events'
finish

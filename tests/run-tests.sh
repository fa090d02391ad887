#!/bin/bash
# Runs test programs and scripts, counts their cases and prints one summary line.
#
# A test prints "PASS: name", "FAIL: name" or "SKIP: name" per case; a test that
# prints none of these counts as one case, judged by its exit status (77 = skip).
# A test that exits non-zero (other than 77) without a FAIL line counts as one
# more failure.
# Logs go to $BUILD/test-logs/. TEST_TIMEOUT (seconds, default 300) bounds each.
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
pass=0 fail=0 skip=0
failed_names=()
for t in "$@"; do
	name=$(basename "$t")
	log=$LOGS/$name.log
	start=${EPOCHREALTIME/./}
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$t" >"$log" 2>&1
	rc=$?
	us=$((${EPOCHREALTIME/./} - start))
	secs=$((us / 1000000)).$(((us / 100000) % 10))
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ $((p + f + s)) -eq 0 ]; then
		case $rc in
		0) p=1 ;;
		77) s=1 ;;
		*) f=1 ;;
		esac
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL: $name exited with status $rc" >>"$log"
	fi
	[ "$rc" -eq 124 ] && echo "FAIL: $name timed out" >>"$log"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		status=FAIL
		failed_names+=("$name")
	else
		status=ok
	fi
	printf '  %-4s %-32s %3d passed %3d failed %3d skipped  %6ss\n' "$status" "$name" "$p" "$f" "$s" "$secs"
	if [ "$f" -gt 0 ]; then
		grep -E '^FAIL: |^  |fixmapctl:|ERROR|error' "$log" | head -40 | sed 's/^/       | /'
	fi
done
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]} (logs in $LOGS/)"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

#!/bin/bash
# Runs test programs and scripts, counts their cases and prints one summary line.
#
# A test prints "PASS: name", "FAIL: name" or "SKIP: name (why)" per case; a
# test that prints none of these counts as one case, judged by its exit status
# (77 = skip). A test that exits non-zero (other than 77) without a FAIL line
# counts as one more failure. Skips are listed by name after the summary line's
# count. A case that stands for a real third-party target (a downloaded kernel,
# QEMU 10: "SKIP: name (why) [third-party]", skip_real in tests/lib.sh) fails
# under CI=true: CI must have the downloads (.ci/run fetches them first).
# Logs go to $BUILD/test-logs/. TEST_TIMEOUT (seconds, default 300) bounds each.
BUILD=${BUILD:-build}
# A sanitizer report exits with a status of its own, never 1 or 2 (which mean
# findings and bad input): a test that expects 1 cannot mistake one for the other.
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=87${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
pass=0 fail=0 skip=0
failed_names=() skipped_names=()
for t in "$@"; do
	name=$(basename "$t")
	log=$LOGS/$name.log
	start=${EPOCHREALTIME/./}
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$t" >"$log" 2>&1
	rc=$?
	us=$((${EPOCHREALTIME/./} - start))
	secs=$((us / 1000000)).$(((us / 100000) % 10))
	if [ "${CI:-}" = true ]; then
		sed -n 's/^SKIP: \(.*\) \[third-party\]$/FAIL: \1 (a third-party target skipped under CI=true)/p' \
			"$log" >"$log.ci"
		cat "$log.ci" >>"$log"
		sed -i '/^SKIP: .* \[third-party\]$/d' "$log"
		rm -f "$log.ci"
	fi
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ $((p + f + s)) -eq 0 ]; then
		case $rc in
		0) p=1 ;;
		77) s=1 ;;
		*) f=1 ;;
		esac
		[ "$s" = 1 ] && echo "SKIP: $name (exit status 77)" >>"$log"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL: $name exited with status $rc" >>"$log"
	fi
	[ "$rc" -eq 124 ] && echo "FAIL: $name timed out" >>"$log"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	while read -r case_name; do
		skipped_names+=("$name: $case_name")
	done < <(sed -n 's/^SKIP: \(.*\)$/\1/p' "$log")
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
if [ "$skip" -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${skipped_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped$([ "$skip" -gt 0 ] && printf ' (%s)' "$(printf '%s; ' "${skipped_names[@]%% (*}" | sed 's/; $//')")"
[ "$fail" -eq 0 ]

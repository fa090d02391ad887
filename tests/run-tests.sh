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
# Logs go to $BUILD/test-logs/. TEST_TIMEOUT (seconds, default 300) bounds each;
# TEST_JOBS (default: the CPUs, at most 4) run at once.
BUILD=${BUILD:-build}
# A sanitizer report exits with a status of its own, never 1 or 2 (which mean
# findings and bad input): a test that expects 1 cannot mistake one for the other.
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=87${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
# TEST_JOBS tests run at once (default: the CPUs, at most 4). The tests are
# written for a busy machine (they wait for conditions, never for a time), and
# each takes its own ports and memory files. The slowest of the last run start
# first; a line is printed as each test ends.
if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
	echo "run-tests.sh: needs bash 5.1 or later (wait -n -p), this is $BASH_VERSION" >&2
	exit 2
fi
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$JOBS" -gt 4 ] && [ -z "${TEST_JOBS:-}" ] && JOBS=4
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1
TIMES=$LOGS/.times # name seconds, from the last run

# run_one TEST: runs it and writes LOG.rc (exit status and microseconds).
run_one() {
	local t=$1 name log start rc
	name=$(basename "$t")
	log=$LOGS/$name.log
	start=${EPOCHREALTIME/./}
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$t" >"$log" 2>&1 </dev/null
	rc=$?
	echo "$rc $((${EPOCHREALTIME/./} - start))" >"$log.rc"
}

# judge TEST: counts the cases of an ended test and prints its line.
pass=0 fail=0 skip=0
failed_names=()
judge() {
	local t=$1 name log rc us secs p f s status
	name=$(basename "$t")
	log=$LOGS/$name.log
	read -r rc us <"$log.rc" 2>/dev/null || { rc=255 us=0; echo "FAIL: $name ended without its status" >>"$log"; }
	rm -f "$log.rc"
	secs=$((us / 1000000)).$(((us / 100000) % 10))
	echo "$name $((us / 1000000))" >>"$TIMES.new"
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
		# Every test says what it checked: one that prints nothing checked nothing.
		case $rc in
		77) s=1 && echo "SKIP: $name (exit status 77)" >>"$log" ;;
		*) f=1 && echo "FAIL: $name printed no PASS, FAIL or SKIP line (exit status $rc)" >>"$log" ;;
		esac
	elif [ "$rc" -eq 77 ] && [ "$s" -eq 0 ] && [ "$f" -eq 0 ]; then
		s=1
		echo "SKIP: $name (exit status 77 after its cases)" >>"$log"
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
}

# The order to start them in: the slowest of the last run first, new ones
# (no time yet) before those, the rest as given.
order=$(n=0
	for t in "$@"; do
		n=$((n + 1))
		secs=$(awk -v n="$(basename "$t")" '$1 == n { s = $2 } END { print s == "" ? 1000000 : s }' \
			"$TIMES" 2>/dev/null || echo 1000000)
		printf '%s %s %s\n' "${secs:-1000000}" "$n" "$t"
	done | sort -k1,1nr -k2,2n | cut -d' ' -f3-)
rm -f "$TIMES.new"
declare -A running=() # pid -> test
while IFS= read -r t || [ ${#running[@]} -gt 0 ]; do
	if [ -n "$t" ]; then
		run_one "$t" &
		running[$!]=$t
	fi
	while [ ${#running[@]} -ge "$JOBS" ] || { [ -z "$t" ] && [ ${#running[@]} -gt 0 ]; }; do
		done_pid=
		wait -n -p done_pid "${!running[@]}"
		st=$?
		if [ -z "$done_pid" ]; then
			[ $st -ne 127 ] && continue # interrupted by a signal: wait again
			echo "run-tests.sh: lost track of ${running[*]}" >&2
			exit 2
		fi
		judge "${running[$done_pid]}"
		unset "running[$done_pid]"
	done
done <<<"$order"
# This run's times replace those of the same tests; the others' stay.
[ -f "$TIMES.new" ] && touch "$TIMES" && awk 'FNR == NR { t[$1] = $2; next } !($1 in t) { print } END { for (n in t) print n, t[n] }' \
	"$TIMES.new" "$TIMES" 2>/dev/null >"$TIMES.tmp" && mv -f "$TIMES.tmp" "$TIMES"
rm -f "$TIMES.new" "$TIMES.tmp"

# Skips, in the order the tests were given.
skipped_names=()
for t in "$@"; do
	name=$(basename "$t")
	while read -r case_name; do
		skipped_names+=("$name: $case_name")
	done < <(sed -n 's/^SKIP: \(.*\)$/\1/p' "$LOGS/$name.log")
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

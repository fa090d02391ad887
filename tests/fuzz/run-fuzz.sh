#!/bin/bash
# Runs libFuzzer targets: run-fuzz.sh [NAME...] (default: every tests/fuzz/fuzz_NAME.c).
#
# Two modes:
#  - make check (FUZZ_SECONDS unset): each target runs a fixed number of inputs
#    (tests/fuzz/check-runs) from its committed seed corpus tests/fuzz/NAME/, with
#    a fixed random seed (FUZZ_SEED, default 1), a fresh empty corpus directory,
#    no corpus reloading and no address-space randomization (setarch -R: the
#    values libFuzzer takes from comparisons include pointers; where setarch
#    cannot, -use_cmp=0): every run tries the same inputs, whatever the
#    machine's speed, and a failure reproduces. A target without a run count
#    fails (add one).
#  - make fuzz (FUZZ_SECONDS set): each target runs for FUZZ_SECONDS, keeps what
#    it finds in $BUILD/fuzz/corpus/NAME/ and starts from it next time, with a
#    new random seed each run unless FUZZ_SEED is set.
# Both use tests/fuzz/NAME.dict if present and the libFuzzer flags in
# tests/fuzz/NAME.options, and print PASS:/FAIL: per target; a crash, leak,
# timeout (an input that takes over FUZZ_TIMEOUT seconds, i.e. a loop) or
# out-of-memory is a FAIL, with the reproducer under $BUILD/fuzz/artifacts/
# (re-run it: $BUILD/fuzz/fuzz_NAME FILE).
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
if [ -n "$FUZZ_SECONDS" ]; then seed=${FUZZ_SEED:-0}; else seed=${FUZZ_SEED:-1}; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=${f#tests/fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi
# make check: the same addresses every run (see above)
pre=()
if [ -z "$FUZZ_SECONDS" ]; then
	if setarch "$(uname -m)" -R true 2>/dev/null; then
		pre=(setarch "$(uname -m)" -R)
	else
		nocmp=-use_cmp=0
	fi
fi
art=$BUILD/fuzz/artifacts
mkdir -p "$art"
nfail=0
for n in "${names[@]}"; do
	bin=$BUILD/fuzz/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "SKIP: fuzz-$n (no $bin: make fuzz-build; scripts/deps.sh installs clang) [third-party]"
		continue
	fi
	seeds=tests/fuzz/$n
	opts=()
	[ -f "tests/fuzz/$n.dict" ] && opts+=("-dict=tests/fuzz/$n.dict")
	[ -f "tests/fuzz/$n.options" ] && read -r -a more <"tests/fuzz/$n.options" && opts+=("${more[@]}")
	if [ -n "$FUZZ_SECONDS" ]; then
		corpus=$BUILD/fuzz/corpus/$n
		mkdir -p "$corpus"
		opts+=(-max_total_time="$FUZZ_SECONDS")
		what="${FUZZ_SECONDS}s"
	else
		runs=$(awk -v n="$n" '$1 == n { print $2 }' tests/fuzz/check-runs)
		if [ -z "$runs" ]; then
			echo "FAIL: fuzz-$n (no run count for $n in tests/fuzz/check-runs)"
			nfail=$((nfail + 1))
			continue
		fi
		corpus=$BUILD/fuzz/check-corpus/$n
		rm -rf "$corpus"
		mkdir -p "$corpus"
		opts+=(-runs="$runs" -reload=0 ${nocmp:+"$nocmp"})
		what="$runs inputs, seed $seed"
	fi
	log=$BUILD/fuzz/$n.log
	# -close_fd_mask=1: what the code under test prints on stdout is dropped; its
	# messages on stderr stay in the log (a property target says there what broke).
	# -timeout: one input's limit, generous, so a loaded machine does not fail it.
	"${pre[@]}" "$bin" -seed="$seed" -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=2048 \
		-malloc_limit_mb=1024 -print_final_stats=1 -close_fd_mask=1 \
		-artifact_prefix="$art/$n-" "${opts[@]}" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	runs_done=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -ao 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ] && [ -z "$FUZZ_SECONDS" ] && [ "${runs_done:-0}" -lt "$runs" ]; then
		echo "FAIL: fuzz-$n (${runs_done:-no} runs of $runs; log $log)"
		nfail=$((nfail + 1))
	elif [ $rc -eq 0 ]; then
		echo "PASS: fuzz-$n ($what: ${runs_done:-?} runs, ${cov:-cov: ?})"
	else
		echo "FAIL: fuzz-$n (exit $rc; log $log)"
		# the report and the frames in the project's code
		grep -aE '^==[0-9]+==ERROR|^SUMMARY|Test unit written|ALARM|out-of-memory|^ *#[0-9]+ .* in [^ ]+ [^ ]*(cli|tests)/' "$log" |
			head -20 | sed 's/^/  /'
		nfail=$((nfail + 1))
	fi
done
[ "$nfail" -eq 0 ]

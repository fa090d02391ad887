#!/bin/bash
# Runs libFuzzer targets: run-fuzz.sh [NAME...] (default: every tests/fuzz/fuzz_NAME.c).
#
# Each target runs for FUZZ_SECONDS (default: FUZZ_CHECK_SECONDS, else 10)
# from its committed seed corpus tests/fuzz/NAME/ (read only: what a run finds
# goes to $BUILD/fuzz/corpus/NAME/), with tests/fuzz/NAME.dict if present and
# the libFuzzer flags in tests/fuzz/NAME.options. Prints PASS:/FAIL: per target;
# a crash, leak, timeout (an input that takes over FUZZ_TIMEOUT seconds, i.e. a
# loop) or out-of-memory is a FAIL, with the reproducer under
# $BUILD/fuzz/artifacts/ (re-run it: $BUILD/fuzz/fuzz_NAME FILE).
# The short runs of `make check` use a fixed random seed (FUZZ_SEED, default 1),
# so a CI run explores the same inputs each time and a failure reproduces;
# `make fuzz` (FUZZ_SECONDS set) draws a new seed each run unless FUZZ_SEED is set.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
secs=${FUZZ_SECONDS:-${FUZZ_CHECK_SECONDS:-10}}
if [ -n "$FUZZ_SECONDS" ]; then seed=${FUZZ_SEED:-0}; else seed=${FUZZ_SEED:-1}; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=${f#tests/fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi
art=$BUILD/fuzz/artifacts
mkdir -p "$art"
nfail=0
for n in "${names[@]}"; do
	bin=$BUILD/fuzz/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "SKIP: fuzz-$n (no $bin: make fuzz-build)"
		continue
	fi
	seeds=tests/fuzz/$n
	corpus=$BUILD/fuzz/corpus/$n
	mkdir -p "$corpus"
	opts=()
	[ -f "tests/fuzz/$n.dict" ] && opts+=("-dict=tests/fuzz/$n.dict")
	[ -f "tests/fuzz/$n.options" ] && read -r -a more <"tests/fuzz/$n.options" && opts+=("${more[@]}")
	log=$BUILD/fuzz/$n.log
	# -close_fd_mask=3: the code under test may print; libFuzzer keeps its own report.
	"$bin" -max_total_time="$secs" -seed="$seed" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
		-malloc_limit_mb=1024 -print_final_stats=1 -close_fd_mask=3 \
		-artifact_prefix="$art/$n-" "${opts[@]}" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "PASS: fuzz-$n (${secs}s, ${runs:-?} runs, ${cov:-cov: ?})"
	else
		echo "FAIL: fuzz-$n (exit $rc; log $log)"
		# the report and the frames in the project's code
		grep -aE '^==[0-9]+==ERROR|^SUMMARY|Test unit written|ALARM|out-of-memory|^ *#[0-9]+ .* in [^ ]+ [^ ]*(cli|tests)/' "$log" |
			head -20 | sed 's/^/  /'
		nfail=$((nfail + 1))
	fi
done
[ "$nfail" -eq 0 ]

#!/bin/bash
# `make check` under load: runs it RUNS times in a row (default 3) with LOAD busy
# loops beside it (default 2, as `sh -c 'while :; do :; done' &`), the way a shared
# or slow machine runs it, and stops at the first run that fails. The loops are
# this script's own and are ended by PID on every way out; they are never part of
# `make check` itself. Prints each run's summary line; exit status 0 if every run
# passed. Logs: $BUILD/check-under-load-N.log.
#
#   tests/check-under-load.sh              RUNS=3 LOAD=2
#   RUNS=1 LOAD=4 tests/check-under-load.sh
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
LOAD=${LOAD:-2}
loops=()
stop_loops()
{
	local p
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${loops[@]}"; do wait "$p" 2>/dev/null; done
	loops=()
}
trap stop_loops EXIT
trap 'exit 130' INT TERM
mkdir -p "$BUILD"
for ((i = 0; i < LOAD; i++)); do
	sh -c 'while :; do :; done' &
	loops+=($!)
done
echo "check-under-load: $RUNS run(s) of make check beside $LOAD busy loop(s) (PIDs ${loops[*]})"
for ((r = 1; r <= RUNS; r++)); do
	log=$BUILD/check-under-load-$r.log
	start=$SECONDS
	${MAKE:-make} --no-print-directory check BUILD="$BUILD" >"$log" 2>&1
	rc=$?
	echo "run $r/$RUNS: $(tail -n 1 "$log") (exit $rc, $((SECONDS - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg); $log)"
	if [ "$rc" != 0 ]; then
		grep -E '^  FAIL|^failed:' "$log" | head -20
		exit 1
	fi
done
exit 0

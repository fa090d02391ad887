#!/bin/sh
# Benchmark of fixmapctl check on two synthetic traces of 8 CPUs
# (bench/gen-trace.c, compiled here into build/), each checked RUNS times
# (default 5; the best is shown); prints
# events and megabytes per CPU second (the checker is single-threaded) and
# peak RSS:
#   fixmap   10 million events of the per-CPU fixmap workload (with accesses
#            and a few local TLBIs, so there are findings)
#   bbm      2 million events of full broadcast BBM sequences round-robin
#            (make: pte, dsb ishst, isb; break: pte, dsb ishst, tlbi vale2is,
#            dsb ish, isb; about 25 bytes an event)
# Figures only: nothing here asserts a timing.
cd "$(dirname "$0")/.." || exit 1
B=${BUILD:-build}
GEN=$B/bench/gen-trace
mkdir -p "$B/bench"
if [ ! -x "$GEN" ] || [ bench/gen-trace.c -nt "$GEN" ]; then
	${CC:-cc} -O2 -Wall -Wextra -Werror -o "$GEN" bench/gen-trace.c || exit 1
	rm -f "$B"/bench/check-*.trace
fi
[ -x "$B/fixmapctl" ] || { echo "check: $B/fixmapctl is not built" >&2; exit 1; }

run() { # name events gen-args...
	name=$1 events=$2
	shift 2
	trace=$B/bench/check-$name-$events.trace
	if [ ! -s "$trace" ]; then
		"$GEN" "$@" "$events" >"$trace.tmp" && mv "$trace.tmp" "$trace" || exit 1
	fi
	size=$(wc -c <"$trace")
	# Best of RUNS (default 5), by CPU time: time(1) counts in 10 ms steps, and a
	# short run on a shared machine is often slowed by others.
	best=
	for i in $(seq "${RUNS:-5}"); do
		/usr/bin/time -f '%e %U %S %M' -o "$B/bench/check.time" \
			"$B/fixmapctl" check -j "$trace" >"$B/bench/check.out"
		rc=$?
		if [ $rc -gt 1 ]; then
			echo "check: fixmapctl check failed with status $rc" >&2
			exit 1
		fi
		# (time(1) puts "Command exited with non-zero status 1" first when there are findings)
		this=$(tail -1 "$B/bench/check.time")
		if [ -z "$best" ] || awk -v a="$this" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[2] + x[3] < y[2] + y[3]) }'; then
			best=$this
		fi
	done
	set -- $best
	awk -v runs="${RUNS:-5}" -v name="$name" -v ev="$events" -v w="$1" -v u="$2" -v s="$3" -v rss="$4" \
		-v sz="$size" -v sum="$(tail -1 "$B/bench/check.out")" 'BEGIN {
		cpu = u + s; if (cpu <= 0) cpu = 0.01; if (w <= 0) w = 0.01
		printf "%s trace:  %d events, 8 CPUs, %.0f MB of text (%.1f bytes an event)\n", name, ev, sz / 1e6, sz / ev
		printf "  time:        best of %d: %.2f s wall, %.2f s CPU (user %.2f, sys %.2f)\n", runs, w, cpu, u, s
		printf "  throughput:  %.2f M events/s, %.0f MB/s per CPU second (%.2f M events/s wall)\n", ev / cpu / 1e6, sz / cpu / 1e6, ev / w / 1e6
		printf "  peak RSS:    %.1f MB\n", rss / 1024
		printf "  result:      %s\n", sum
	}'
}
run fixmap "${EVENTS:-10000000}"
run bbm "${BBM_EVENTS:-2000000}" --bbm

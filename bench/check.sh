#!/bin/sh
# Benchmark of fixmapctl check: a synthetic 10-million-event trace of 8 CPUs
# (bench/gen-trace.c, compiled here into build/), checked once; prints events
# per second (per CPU second: the checker is single-threaded) and peak RSS.
# Figures only: nothing here asserts a timing.
cd "$(dirname "$0")/.." || exit 1
B=${BUILD:-build}
EVENTS=${EVENTS:-10000000}
GEN=$B/bench/gen-trace
TRACE=$B/bench/check-$EVENTS.trace
mkdir -p "$B/bench"
if [ ! -x "$GEN" ] || [ bench/gen-trace.c -nt "$GEN" ]; then
	${CC:-cc} -O2 -Wall -Wextra -Werror -o "$GEN" bench/gen-trace.c || exit 1
	rm -f "$TRACE"
fi
if [ ! -s "$TRACE" ]; then
	"$GEN" "$EVENTS" >"$TRACE.tmp" && mv "$TRACE.tmp" "$TRACE" || exit 1
fi
[ -x "$B/fixmapctl" ] || { echo "check: $B/fixmapctl is not built" >&2; exit 1; }
size=$(wc -c <"$TRACE")
/usr/bin/time -f '%e %U %S %M' -o "$B/bench/check.time" \
	"$B/fixmapctl" check -j "$TRACE" >"$B/bench/check.out"
rc=$?
if [ $rc -gt 1 ]; then
	echo "check: fixmapctl check failed with status $rc" >&2
	exit 1
fi
# (time(1) puts "Command exited with non-zero status 1" first when there are findings)
set -- $(tail -1 "$B/bench/check.time")
wall=$1 user=$2 sys=$3 rss=$4
summary=$(tail -1 "$B/bench/check.out")
awk -v ev="$EVENTS" -v w="$wall" -v u="$user" -v s="$sys" -v rss="$rss" -v sz="$size" \
	-v sum="$summary" 'BEGIN {
	cpu = u + s; if (cpu <= 0) cpu = 0.01; if (w <= 0) w = 0.01
	printf "trace:        %d events, 8 CPUs, %.0f MB of text\n", ev, sz / 1e6
	printf "time:         %.2f s wall, %.2f s CPU (user %.2f, sys %.2f)\n", w, cpu, u, s
	printf "throughput:   %.2f M events/s per CPU second (%.2f M events/s wall)\n", ev / cpu / 1e6, ev / w / 1e6
	printf "peak RSS:     %.1f MB\n", rss / 1024
	printf "result:       %s\n", sum
}'

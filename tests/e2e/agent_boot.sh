#!/bin/bash
# The EL2 agent under QEMU: boots 1, 4 and 8 CPUs in every mode, checks the exit
# status and, from the shared area in the guest-RAM file, that every CPU did its
# iterations and recorded exactly the events its mode emits, without loss; a ring
# nobody drains counts exactly what it dropped; a bad option fails the boot.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
[ -x "$BUILD/agent.elf" ] || [ -f "$BUILD/agent.elf" ] || { skip agent_boot "no $BUILD/agent.elf"; exit 77; }
command -v qemu-system-aarch64 >/dev/null || { skip agent_boot "no qemu-system-aarch64"; exit 77; }

ITERS=50
RING_RECS=4096 # FIXMAP_RING_SIZE / 64

u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

# Events one CPU records for n iterations of a mode (agent/fixmap.h, agent/main.c):
# map = pte, dsb; access; unmap = pte + the mode's sequence.
events_for() {
	case $1 in
	broadcast | local | bad-ttl) echo $((8 * $2)) ;;
	no-tlbi | no-isb) echo $((7 * $2)) ;;
	no-dsb) echo $((6 * $2)) ;;
	no-break) echo $((3 * $2 + 5)) ;; # remaps in place, one broadcast unmap at the end
	esac
}

# cpu_field SHM SHARED_OFF CPU FIELD_OFFSET
cpu_field() {
	local cpu_off cpu_size
	cpu_off=$(u32 "$1" $(($2 + 24)))
	cpu_size=$(u32 "$1" $(($2 + 28)))
	u64 "$1" $(($2 + cpu_off + $3 * cpu_size + $4))
}

shared_off() {
	local pa
	pa=$(sed -n 's/.*shared=\(0x[0-9a-f]*\).*/\1/p' "$QEMU_LOG.serial" | head -1)
	[ -n "$pa" ] && echo $((pa - 0x40000000))
}

# boot_case SMP MODE ITERS [-a ...]: runs to completion; sets RC (exit status), OFF.
boot_case() {
	local smp=$1 mode=$2 iters=$3 st
	shift 3
	qemu_start -s "$smp" -m "$mode" -i "$iters" "$@"
	st=$?
	# A short run may end before qemu_start saw the gdbstub; it then returned the status.
	if kill -0 "$QEMU_PID" 2>/dev/null; then
		qemu_wait
		RC=$?
	else
		RC=$st
	fi
	OFF=$(shared_off)
}

check_counts() { # NAME SMP MODE ITERS
	local name=$1 smp=$2 mode=$3 iters=$4 want why="" c
	want=$(events_for "$mode" "$iters")
	if [ "$RC" != 0 ]; then
		why="exit status $RC: $(tr '\r\n' '  ' <"$QEMU_LOG.serial" | tail -c 300) $(tail -c 200 "$QEMU_LOG")"
	elif [ -z "$OFF" ]; then
		why="no shared= line on the UART"
	elif [ "$(u64 "$QEMU_SHM" $((OFF + 16)) | head -c 20)" = "" ]; then
		why="cannot read $QEMU_SHM"
	else
		[ "$(u32 "$QEMU_SHM" $((OFF + 16)))" = "$smp" ] || why="hdr.ncpus $(u32 "$QEMU_SHM" $((OFF + 16))) != $smp"
		[ "$(u32 "$QEMU_SHM" $((OFF + 64)))" = 2 ] || why="$why hdr.state != DONE"
		for ((c = 0; c < smp; c++)); do
			local it prod lost fail head
			it=$(cpu_field "$QEMU_SHM" "$OFF" $c 40)
			fail=$(cpu_field "$QEMU_SHM" "$OFF" $c 48)
			head=$(cpu_field "$QEMU_SHM" "$OFF" $c 256)
			lost=$(cpu_field "$QEMU_SHM" "$OFF" $c 264)
			prod=$(cpu_field "$QEMU_SHM" "$OFF" $c 280)
			[ "$it" = "$iters" ] || why="$why cpu$c iters=$it"
			[ "$fail" = 0 ] || why="$why cpu$c failures=$fail"
			[ "$prod" = "$want" ] || why="$why cpu$c produced=$prod want $want"
			[ "$lost" = 0 ] || why="$why cpu$c lost=$lost"
			[ "$head" = $((prod * 64)) ] || why="$why cpu$c head=$head"
		done
	fi
	if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}

# One worker per CPU count, in parallel (QEMU start-up dominates); each with its own files.
for smp in 1 4 8; do
	(
		QEMU_LOG=$TMP/qemu-$smp.log
		nfail=0
		for mode in broadcast local no-break no-tlbi no-dsb bad-ttl no-isb; do
			boot_case "$smp" "$mode" "$ITERS"
			check_counts "boot smp=$smp mode=$mode" "$smp" "$mode" "$ITERS"
			qemu_stop
		done
		exit "$nfail"
	) >"$TMP/out-$smp" 2>&1 &
done
wait
for smp in 1 4 8; do
	cat "$TMP/out-$smp"
	nfail=$((nfail + $(grep -c '^FAIL: ' "$TMP/out-$smp")))
done

# An undrained ring: 600 iterations x 8 events > 4096 records. Exactly the rest is lost.
boot_case 2 broadcast 600
why=""
[ "$RC" = 0 ] || why="exit status $RC"
for c in 0 1; do
	[ -n "$OFF" ] || { why="no shared area"; break; }
	prod=$(cpu_field "$QEMU_SHM" "$OFF" $c 280)
	lost=$(cpu_field "$QEMU_SHM" "$OFF" $c 264)
	[ "$prod" = "$RING_RECS" ] || why="$why cpu$c produced=$prod"
	[ "$lost" = $((8 * 600 - RING_RECS)) ] || why="$why cpu$c lost=$lost want $((8 * 600 - RING_RECS))"
done
seq=$(u64 "$QEMU_SHM" $((OFF + 56)))
[ "$seq" = $((2 * 8 * 600)) ] || why="$why hdr.seq=$seq"
if [ -z "$why" ]; then pass "full ring counts lost exactly"; else fail "full ring counts lost exactly" "$why"; fi
qemu_stop

# A bad option: message on the UART, exit status 2.
boot_case 1 broadcast 1 -a "fixmap.bogus=1"
if [ "$RC" = 2 ] && grep -q "bad option 'fixmap.bogus=1'" "$QEMU_LOG.serial"; then
	pass "unknown option fails the boot"
else
	fail "unknown option fails the boot" "exit $RC, UART: $(tr '\r\n' '  ' <"$QEMU_LOG.serial")"
fi
qemu_stop
boot_case 1 local 12x
if [ "$RC" = 2 ] && grep -q "bad option 'fixmap.iters=12x'" "$QEMU_LOG.serial"; then
	pass "malformed option fails the boot"
else
	fail "malformed option fails the boot" "exit $RC"
fi
qemu_stop
finish

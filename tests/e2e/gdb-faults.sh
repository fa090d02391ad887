#!/bin/bash
# The gdb target against a stand-in stub that misbehaves on purpose
# (tests/gdb/faultstub.c): every fault gives a clear error naming the packet, in
# bounded time (timeout 1 s here), with no crash or sanitizer report; recoverable
# faults recover with the right data; QEMU's physical-memory flag is restored.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
PROBE=$BUILD/tests/gdbprobe
STUB=$BUILD/tests/faultstub
[ -x "$PROBE" ] && [ -x "$STUB" ] || { echo "FAIL: gdb-faults (no $PROBE or $STUB: make check builds them)"; exit 1; }
export FIXMAP_GDB_TIMEOUT=1
LIMIT_MS=5000 # timeout + sanitizer start-up + slack: "no hang past the timeout"
"$STUB" --pattern 0x1000 10000 "$TMP/expect" || { fail gdb-faults-pattern; finish; }

STUB_PID=
stop_stub() { [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null; wait "$STUB_PID" 2>/dev/null; STUB_PID=; }
# (tests/lib.sh's INT/TERM trap stays: a signal ends the test, this cleans up)
trap 'this_shell $$ && stop_stub; qemu_stop; this_shell $$ && rm -rf "$TMP"' EXIT

# case NAME MODE WANT_RC ERROR_REGEX PHYMEM PROBE_ARGS...
#   ERROR_REGEX "" means stderr must be empty; PHYMEM "-" means don't care.
case_()
{
	local name=$1 mode=$2 want_rc=$3 re=$4 phy=$5
	shift 5
	rm -f "$TMP/port"
	"$STUB" "$mode" "$TMP/port" >"$TMP/stub.out" 2>&1 &
	STUB_PID=$!
	for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.02; done
	[ -s "$TMP/port" ] || { fail "$name" "stub did not start"; stop_stub; return; }
	local t0=${EPOCHREALTIME/./}
	"$PROBE" "127.0.0.1:$(cat "$TMP/port")" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	# the stub ends when the client leaves; give it a moment to report, then stop it
	for _ in $(seq 50); do kill -0 "$STUB_PID" 2>/dev/null || break; sleep 0.02; done
	stop_stub
	local why=""
	[ "$rc" = "$want_rc" ] || why="exit $rc, wanted $want_rc"
	[ "$ms" -le $LIMIT_MS ] || why="$why; took ${ms} ms"
	grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$TMP/err" && why="$why; sanitizer report"
	if [ -n "$re" ]; then
		grep -qE "^fixmapctl: gdb 127\.0\.0\.1:[0-9]+: $re" "$TMP/err" || why="$why; message: $(head -c 300 "$TMP/err")"
	else
		[ -s "$TMP/err" ] && why="$why; stderr: $(head -c 300 "$TMP/err")"
	fi
	[ "$phy" = - ] || grep -qx "phymem=$phy" "$TMP/stub.out" || why="$why; stub: $(cat "$TMP/stub.out")"
	if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}

READ=(read 0x1000 10000 "$TMP/got")
same() { cmp -s "$TMP/got" "$TMP/expect"; }

# A stub that behaves (its replies are run-length encoded): data must match.
case_ gdb-fault-none ok 0 "" 0 describe sysreg 1 TTBR0_EL2 "${READ[@]}"
same && grep -q '^TTBR0_EL2=0x2ccca$' "$TMP/out" && grep -q '(QEMU, physical reads)' "$TMP/out" &&
	pass gdb-fault-none-data || fail gdb-fault-none-data "$(cat "$TMP/out")"

# Recoverable: the data must still be right.
case_ gdb-fault-badsum-once badsum-once 0 "" 0 "${READ[@]}"
same && pass gdb-fault-badsum-once-data || fail gdb-fault-badsum-once-data
case_ gdb-fault-noack noack 0 "" 0 "${READ[@]}"
same && pass gdb-fault-noack-data || fail gdb-fault-noack-data
case_ gdb-fault-e22-negotiates e22 0 "" 0 "${READ[@]}"
same && pass gdb-fault-e22-data || fail gdb-fault-e22-data
FIXMAP_GDB_PIPELINE=1 case_ gdb-fault-truncated-unpipelined truncated 0 "" 0 "${READ[@]}"
same && pass gdb-fault-truncated-unpipelined-data || fail gdb-fault-truncated-unpipelined-data

# A stub without QEMU's extensions: virtual reads only, and it says so.
case_ gdb-fault-noqemu-virt noqemu 0 "" - describe virt 1 0x1000 10000 "$TMP/got"
same && grep -q '(virtual reads only)' "$TMP/out" && pass gdb-fault-noqemu-mode ||
	fail gdb-fault-noqemu-mode "$(cat "$TMP/out")"
case_ gdb-fault-noqemu-phys noqemu 2 "physical reads need QEMU's Qqemu.PhyMemMode extension.*virtual reads only" - "${READ[@]}"

# Faults: a clear error naming the packet, within the time limit.
case_ gdb-fault-e14 e14 2 "'m1000,800': stub error E14" 0 "${READ[@]}"
case_ gdb-fault-badsum badsum 2 "'m1000,800': 5 corrupt replies in a row \(bad checksum\)" 0 "${READ[@]}"
case_ gdb-fault-nak nak 2 "'m1000,800': the stub rejected the packet 5 times" 0 "${READ[@]}"
case_ gdb-fault-truncated truncated 2 "'m[0-9a-f]+,800': the reply was cut short" 0 "${READ[@]}"
case_ gdb-fault-oversize oversize 2 "'m1000,800': the reply is longer than the packet limit" 0 "${READ[@]}"
case_ gdb-fault-silence silence 2 "'m[0-9a-f]+,800': timed out after 1.0 s" - "${READ[@]}"
case_ gdb-fault-silence-open silence-open 2 "'qSupported[^']*': timed out after 1.0 s" - describe
case_ gdb-fault-disconnect disconnect 2 "'m1000,800': (connection reset by the stub|the stub closed the connection)" - "${READ[@]}"
case_ gdb-fault-reset reset 2 "'m1000,800': connection reset by the stub" - "${READ[@]}"
case_ gdb-fault-garbage garbage 2 "'m[0-9a-f]+,800': " - "${READ[@]}"
case_ gdb-fault-trickle trickle 2 "'m1000,800': timed out after 1.0 s" - "${READ[@]}"

# Nobody listening, and a bad address.
port=$(free_port)
if ! "$PROBE" "127.0.0.1:$port" describe 2>"$TMP/err" &&
	grep -q "^fixmapctl: gdb: 127.0.0.1:$port: cannot connect: Connection refused" "$TMP/err"; then
	pass gdb-fault-refused
else fail gdb-fault-refused "$(cat "$TMP/err")"; fi
if ! "$PROBE" "127.0.0.1:99999" describe 2>"$TMP/err" && grep -q "port 1-65535" "$TMP/err"; then
	pass gdb-fault-bad-port
else fail gdb-fault-bad-port "$(cat "$TMP/err")"; fi
finish

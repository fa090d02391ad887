#!/bin/bash
# The agent's control block (struct fixmap_ctrl) written by the host through the
# guest-RAM file while the agent runs: every bad field is rejected with its status
# code and changes nothing while the workload keeps running; a good request is
# applied (mode) and acknowledged; lowering the iteration count ends the run.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
need_build agent_ctrl "$BUILD/agent.elf"
need_tool agent_ctrl qemu-system-aarch64

u64() { od -An -tu8 -j "$1" -N8 "$QEMU_SHM" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$QEMU_SHM" | tr -d ' '; }
# le BYTES VALUE: printf escapes of VALUE, little-endian.
le() {
	local n=$1 v=$2 i
	for ((i = 0; i < n; i++)); do
		printf '\\x%02x' $(((v >> (8 * i)) & 255))
	done
}
# put OFFSET ESCAPES: one write into the guest RAM file.
put() {
	printf "$2" | dd of="$QEMU_SHM" bs=1 seek="$1" conv=notrunc status=none
}
# fields MODE ITERS PAUSE POOL RESERVED3: ctrl bytes 4..23 and reserved[3], in two writes.
fields() {
	put $((C + 4)) "$(le 4 "$1")$(le 8 "$2")$(le 4 "$3")$(le 4 "$4")"
	put $((C + 56)) "$(le 8 "$5")"
}

qemu_start -s 2 -m broadcast -i 0 || { fail "agent boots" "qemu_start failed"; finish; }
qemu_wait_agent "$TEST_WAIT" || { fail "agent boots" "the agent never published its shared area"; finish; }
pa=$(sed -n 's/.*shared=\(0x[0-9a-f]*\).*/\1/p' "$QEMU_LOG.serial" | head -1)
[ -n "$pa" ] || { fail "agent boots" "no shared= line on the UART"; finish; }
H=$((pa - 0x40000000))
C=$((H + $(u32 $((H + 32)))))               # hdr.ctrl_offset
CPU0=$((H + $(u32 $((H + 24)))))            # hdr.cpu_offset
gen=0

# request FIELD-SETTERS...: writes the fields, bumps gen, waits for the ack; sets STATUS.
acked() { [ "$(u32 $((C + 24)))" = "$gen" ]; }
request() {
	"$@"
	gen=$((gen + 1))
	put "$C" "$(le 4 "$gen")"
	wait_until "$TEST_WAIT" acked
	ACK=$(u32 $((C + 24)))
	STATUS=$(u32 $((C + 28)))
}
# iters_past N: CPU 0 has done more than N iterations
iters_past() { [ "$(u64 $((CPU0 + 40)))" -gt "$1" ]; }

bad_mode() { fields 99 0 0 64 0; }
bad_iters() { fields 0 $(((1 << 40) + 1)) 0 64 0; }
bad_pause() { fields 0 0 7 64 0; }
bad_pool() { fields 0 0 0 1 0; } # fewer pages than CPUs
bad_reserved() { fields 0 0 0 64 1; }

# rejected NAME SETTER WANT_STATUS: acknowledged with the status, nothing changed,
# and the workload keeps running (CPU 0's iterations move on after the ack).
rejected() {
	local before
	request "$2"
	before=$(u64 $((CPU0 + 40)))
	if [ "$ACK" != "$gen" ]; then
		fail "$1" "no ack within $TEST_WAIT s (ack_gen $ACK, gen $gen)"
	elif [ "$STATUS" != "$3" ]; then
		fail "$1" "status $STATUS, want $3"
	elif [ "$(u32 $((H + 68)))" != 0 ]; then
		fail "$1" "hdr.mode changed to $(u32 $((H + 68)))"
	elif ! wait_until "$TEST_WAIT" iters_past "$before"; then
		fail "$1" "the agent stopped running (iterations stayed at $before for $TEST_WAIT s)"
	else
		pass "$1"
	fi
}

rejected "control: bad mode rejected" bad_mode 1
rejected "control: too many iterations rejected" bad_iters 2
rejected "control: bad pause rejected" bad_pause 3
rejected "control: pool smaller than the CPU count rejected" bad_pool 4
rejected "control: reserved field rejected" bad_reserved 5

# Paused: once CPU 0 has acknowledged a second request it is in its paused loop
# (it polls the control block there); its count must not move while it acknowledges
# a third one.
pause_on() { fields 0 0 1 64 0; }
request pause_on
st1=$STATUS
request pause_on
a=$(u64 $((CPU0 + 40)))
request pause_on
b=$(u64 $((CPU0 + 40)))
if [ "$st1" = 0 ] && [ "$STATUS" = 0 ] && [ "$ACK" = "$gen" ] && [ "$a" = "$b" ]; then
	pass "control: pause stops the workload"
else
	fail "control: pause stops the workload" "status $st1/$STATUS, ack $ACK of $gen, iterations $a -> $b"
fi

set_local() { fields 1 0 0 64 0; }
request set_local
# The agent says so on the UART after the ack.
if [ "$ACK" = "$gen" ] && [ "$STATUS" = 0 ] && [ "$(u32 $((H + 68)))" = 1 ] &&
	wait_until "$TEST_WAIT" grep -q "control gen $gen: applied, mode local" "$QEMU_LOG.serial"; then
	pass "control: valid request applied"
else
	fail "control: valid request applied" "ack $ACK status $STATUS hdr.mode $(u32 $((H + 68))), UART: $(tail -c 200 "$QEMU_LOG.serial")"
fi

a=$(u64 $((CPU0 + 40)))
if wait_until "$TEST_WAIT" iters_past "$a"; then pass "control: unpaused workload runs again"
else fail "control: unpaused workload runs again" "iterations stayed at $a for $TEST_WAIT s"; fi

# Every CPU is past one iteration: asking for 1 ends the run, with status 0.
stop() { fields 1 1 0 64 0; }
request stop
qemu_wait "$TEST_WAIT"
rc=$?
if [ "$rc" = 0 ] && [ "$(u32 $((H + 64)))" = 2 ]; then
	pass "control: lowering iterations ends the run"
else
	fail "control: lowering iterations ends the run" "exit $rc, state $(u32 $((H + 64))) (want 0 and 2, done)"
fi
qemu_stop
finish

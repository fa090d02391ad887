#!/bin/bash
# The gdb target against QEMU's own gdbstub (no agent): physical reads of a known
# pattern (large, unaligned, many pieces, pipelined or not), virtual reads, writes,
# system registers of every CPU, and that the VM runs after close (or stays
# stopped when asked). CPU 0 runs a counter loop so "running" is observable.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
PROBE=$BUILD/tests/gdbprobe
[ -x "$PROBE" ] || { echo "FAIL: gdb-qemu (no $PROBE: make check builds it)"; exit 1; }
command -v qemu-system-aarch64 >/dev/null ||
	{ echo "SKIP: gdb-qemu (no qemu-system-aarch64: scripts/deps.sh installs it) [third-party]"; exit 0; }

LOOP=0x40200000    # after the DTB QEMU puts at 0x40000000
COUNTER=0x40200800 # the loop's counter
PAT=0x40300000
head -c $((3 * 1024 * 1024 + 77)) /dev/urandom >"$TMP/pat"
# movz x0,#0x4020,lsl#16; add x0,x0,#0x800; 1: ldr x1,[x0]; add x1,x1,#1; str x1,[x0]; b 1b
printf '\x00\x04\xa8\xd2\x00\x00\x20\x91\x01\x00\x40\xf9\x21\x04\x00\x91\x01\x00\x00\xf9\xfd\xff\xff\x17' >"$TMP/loop"

# Boots stopped (-S) with the pattern and the loop loaded; sets QEMU_PID/QEMU_PORT.
start_qemu()
{
	qemu_launch "$TMP/qemu.log" -M virt,virtualization=on,gic-version=3 -cpu max -smp 4 \
		-m 256M -S -nographic -monitor none -serial none \
		-device "loader,file=$TMP/pat,addr=$PAT,force-raw=on" \
		-device "loader,file=$TMP/loop,addr=$LOOP,force-raw=on" \
		-device "loader,addr=$LOOP,cpu-num=0"
}

start_qemu || { fail gdb-qemu-start "QEMU's gdbstub never listened: $(tail -n 3 "$TMP/qemu.log")"; finish; }
T=127.0.0.1:$QEMU_PORT
probe() { "$PROBE" "$@" 2>"$TMP/err"; }
slice() { tail -c +$(($1 + 1)) "$TMP/pat" | head -c "$2"; }

# 0. the right CPU is selected: only CPU 0 starts at the loop (before anything resumes)
if out=$(probe --stay-stopped "$T" sysreg 0 pc sysreg 1 pc) &&
	[ "$(sed -n 1p <<<"$out")" = "pc=$LOOP" ] && [ "$(sed -n 2p <<<"$out")" != "pc=$LOOP" ]; then
	pass gdb-sysreg-per-cpu
else fail gdb-sysreg-per-cpu "$out $(cat "$TMP/err")"; fi
# 1. mode and CPUs
out=$(probe "$T" describe ncpus)
if [ "$out" = "gdb $T (QEMU, physical reads)
4" ]; then pass gdb-describe-ncpus; else fail gdb-describe-ncpus "$out $(cat "$TMP/err")"; fi

# 2. physical reads
if probe "$T" read $PAT $((2 * 1024 * 1024)) "$TMP/r1" >/dev/null &&
	cmp -s "$TMP/r1" <(slice 0 $((2 * 1024 * 1024))); then
	pass gdb-read-2mib
else fail gdb-read-2mib "$(cat "$TMP/err")"; fi

if probe "$T" read $((PAT + 3)) 100001 "$TMP/r2" >/dev/null &&
	cmp -s "$TMP/r2" <(slice 3 100001); then
	pass gdb-read-unaligned
else fail gdb-read-unaligned "$(cat "$TMP/err")"; fi

n=$((3 * 1024 * 1024 + 77))
if probe "$T" readv $PAT $n 37 "$TMP/r3" >/dev/null && cmp -s "$TMP/r3" "$TMP/pat"; then
	pass gdb-read-batch-of-37
else fail gdb-read-batch-of-37 "$(cat "$TMP/err")"; fi

if FIXMAP_GDB_PIPELINE=1 probe "$T" read $((PAT + 4095)) 65539 "$TMP/r4" >/dev/null &&
	cmp -s "$TMP/r4" <(slice 4095 65539); then
	pass gdb-read-unpipelined
else fail gdb-read-unpipelined "$(cat "$TMP/err")"; fi

# one byte, and a read that crosses the pattern's end into zeroed RAM
if out=$(probe "$T" u64 $((PAT + n - 3))) &&
	[ "$out" = "$(printf '0x%x' $((0x$(slice $((n - 3)) 3 | od -An -tx1 | tr -d ' \n' |
		sed 's/\(..\)\(..\)\(..\)/\3\2\1/'))))" ]; then
	pass gdb-read-past-pattern
else fail gdb-read-past-pattern "$out $(cat "$TMP/err")"; fi

# 3. virtual reads (MMU off: VA = PA) through CPU 0, and QEMU's physical mode is off
if probe "$T" virt 0 $((PAT + 100)) 5000 "$TMP/v1" >/dev/null &&
	cmp -s "$TMP/v1" <(slice 100 5000); then
	pass gdb-read-virt
else fail gdb-read-virt "$(cat "$TMP/err")"; fi
if out=$(probe --raw "$T" qqemu.PhyMemMode) && [ "$out" = 0 ]; then
	pass gdb-phymem-mode-restored
else fail gdb-phymem-mode-restored "$out $(cat "$TMP/err")"; fi

# 4. physical write, read back
if out=$(probe "$T" write 0x40280000 efbeadde78563412 u64 0x40280000) &&
	[ "$out" = "wrote 8 bytes
0x12345678deadbeef" ]; then
	pass gdb-write-phys
else fail gdb-write-phys "$out $(cat "$TMP/err")"; fi

# 5. system registers of every CPU, by name from the target description
args=()
for c in 0 1 2 3; do args+=(sysreg $c SCTLR_EL2 sysreg $c TCR_EL2 sysreg $c TTBR0_EL2); done
if out=$(probe "$T" "${args[@]}") && [ "$(grep -c '^[A-Z0-9_]*=0x' <<<"$out")" = 12 ]; then
	pass gdb-sysregs-4-cpus
else fail gdb-sysregs-4-cpus "$out $(cat "$TMP/err")"; fi
if ! probe "$T" sysreg 0 NO_SUCH_EL2 >/dev/null && grep -q "no register NO_SUCH_EL2" "$TMP/err" &&
	! probe "$T" sysreg 4 SCTLR_EL2 >/dev/null && grep -q "no CPU 4 (the stub has 4)" "$TMP/err"; then
	pass gdb-sysreg-errors
else fail gdb-sysreg-errors "$(cat "$TMP/err")"; fi

# 6. run control: the counter moves only while the VM runs. Two sessions in a row
#    with --stay-stopped read the same value (the VM stayed stopped between them).
c0=$(probe --stay-stopped "$T" u64 $COUNTER)
c1=$(probe --stay-stopped "$T" u64 $COUNTER)
if [ -n "$c0" ] && [ "$c0" = "$c1" ]; then pass gdb-stay-stopped; else fail gdb-stay-stopped "$c0 $c1"; fi
# A session without it resumes the VM on close (D): the counter moves from then on.
probe "$T" u64 $COUNTER >/dev/null
counter_past() { c2=$(probe "$T" u64 $COUNTER) && [ $((c2)) -gt $((c1)) ]; }
if wait_until "$TEST_WAIT" counter_past; then pass gdb-runs-after-close
else fail gdb-runs-after-close "the counter stayed at $c1 for $TEST_WAIT s after a plain close"; fi
c2=$(probe --stay-stopped "$T" u64 $COUNTER)
# resume, then stop again with a read: the counter moved in between
if out=$(probe --stay-stopped "$T" u64 $COUNTER moves $COUNTER "$TEST_WAIT") &&
	a=$(sed -n 1p <<<"$out") && b=$(sed -n 2p <<<"$out") && [ $((b)) -gt $((a)) ] &&
	[ $((a)) -eq $((c2)) ]; then
	pass gdb-stop-resume
else fail gdb-stop-resume "$out $(cat "$TMP/err")"; fi
# reading while it runs stops it first: a second read after a pause (a window for
# a change that must not happen) sees the same value
if out=$(probe "$T" resume u64 $COUNTER sleep 100 u64 $COUNTER) &&
	[ "$(sed -n 2p <<<"$out")" = "$(sed -n 3p <<<"$out")" ]; then
	pass gdb-read-while-running
else fail gdb-read-while-running "$out $(cat "$TMP/err")"; fi
kill -0 "$QEMU_PID" 2>/dev/null && pass gdb-qemu-alive || fail gdb-qemu-alive
finish

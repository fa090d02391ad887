#!/bin/bash
# make demo: show fixmapctl at work.
#
#   1. the EL2 agent on 4 CPUs under QEMU with the seed's `local` maintenance:
#      the slot table (dump), live events with the checker's findings as they
#      happen, then a few seconds of lossless trace over the gdbstub, saved;
#   2. the same with the merged `broadcast` sequence: no findings;
#   3. `fixmapctl record` (QEMU 10 and the TCG plugin): the same agent with no help
#      from its rings, then Debian's Linux 6.1 with protected KVM running the KVM
#      initramfs (VMs created, run, their memory unmapped), checked live; then
#      Debian's EDK2 booted to its UEFI shell: the missing ISB it ships;
#   4. `fixmapctl check` on the sample traces (the seed's local sequence and the fix).
#
# Every part checks what it shows (local: bbm-local-tlbi found, broadcast: none,
# nothing lost) and the demo exits 1 if one of them could not run or showed
# something else. Without qemu-system-aarch64 it says so, shows part 3 only and
# exits 0 (the one part that needs nothing but fixmapctl). QEMU is shut down at
# the end (and on Ctrl-C).
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
FM=$BUILD/fixmapctl
ELF=$BUILD/agent.elf
SECS=${DEMO_SECONDS:-3}
WAIT=${DEMO_WAIT:-60} # seconds an agent may take to boot on a slow machine
. scripts/qemu-lib.sh
OUT=$(mktemp -d /tmp/fixmap-demo-XXXXXX)
QEMU_LOG=$OUT/qemu.log
trap 'qemu_stop; this_shell $$ && rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM
problems=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { # prints the command, runs it
	local line="$*"
	[ -n "$QEMU_SHM" ] && line=${line//$QEMU_SHM/\$SHM}
	printf '$ %s\n' "${line//$BUILD\//build/}"
	"$@"
}
problem() { # WHAT: a part of the demo did not do what it shows
	echo "demo: $*" >&2
	problems+=("$*")
}
# summary_field FILE NAME: a number from the JSON summary line of trace -j
summary_field() { sed -n "s/.*{\"summary\":{.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }

live_part() { # MODE
	local mode=$1 rc want_rc=0 rules lost
	[ "$mode" = local ] && want_rc=1
	say "agent on 4 CPUs, mode $mode"
	if ! qemu_start -s 4 -m "$mode" -i 0; then
		problem "QEMU did not start for mode $mode: $(tail -n 3 "$QEMU_LOG" 2>/dev/null | tr '\n' ' ')"
		qemu_stop
		return
	fi
	echo "# guest RAM is shared in SHM=$QEMU_SHM, the gdbstub listens on port $QEMU_PORT"
	echo "# (fixmapctl waits for the agent's header if it is still booting)"
	echo
	if ! show "$FM" dump --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --wait "$WAIT"; then
		problem "mode $mode: no slot table (UART: $(tr '\r\n' '  ' <"$QEMU_LOG.serial" | tail -c 200))"
		qemu_stop
		return
	fi
	head -3 "$QEMU_LOG.serial" | tr -d '\r'
	echo
	echo "# live events over the memory file, with symbolized PCs and the checker's"
	echo "# findings as they happen (the guest is never stopped):"
	show "$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --count 40 >"$OUT/$mode.live" 2>"$OUT/$mode.live.err"
	rc=$?
	cut -c1-160 "$OUT/$mode.live"
	cat "$OUT/$mode.live.err" >&2
	[ "$rc" = "$want_rc" ] ||
		problem "mode $mode: live trace exit status $rc, expected $want_rc"
	echo
	echo "# $SECS seconds over the gdbstub (stop, read every ring, resume, every 100 ms;"
	echo "# lossless: a full ring waits for the next drain); findings only (-q):"
	show "$FM" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --duration "$SECS" -q \
		--save "$OUT/$mode.trace" >"$OUT/$mode.out" 2>"$OUT/$mode.err"
	rc=$?
	if [ "$(wc -l <"$OUT/$mode.out")" -gt 14 ]; then
		head -6 "$OUT/$mode.out" | cut -c1-200
		echo "   ..."
	fi
	tail -8 "$OUT/$mode.out" | cut -c1-200
	cat "$OUT/$mode.err" >&2
	echo "(exit status $rc; $(grep -c '^c[0-9]' "$OUT/$mode.trace" 2>/dev/null || echo 0) events saved in trace format v1)"
	rules=$(sed -n 's/^  findings: //p' "$OUT/$mode.out")
	lost=$(sed -n 's/^summary: .*, \([0-9]*\) events lost.*/\1/p' "$OUT/$mode.out")
	if [ "$rc" != "$want_rc" ]; then
		problem "mode $mode: trace over the gdbstub exit status $rc, expected $want_rc"
	elif [ "$mode" = local ] && [[ $rules != *bbm-local-tlbi* ]]; then
		problem "mode local: no bbm-local-tlbi finding (findings: $rules)"
	elif [ "$mode" = broadcast ] && [ "$rules" != none ]; then
		problem "mode broadcast: findings where none were expected: $rules"
	elif [ "$lost" != 0 ]; then
		problem "mode $mode: ${lost:-an unknown number of} events lost by a lossless trace"
	fi
	qemu_stop
}

echo "fixmap demo"
if [ ! -f "$ELF" ] || [ ! -x "$FM" ]; then
	problem "no $ELF or $FM: run make first"
elif ! command -v qemu-system-aarch64 >/dev/null; then
	echo "demo: qemu-system-aarch64 is not installed (Debian: qemu-system-arm):"
	echo "demo: showing the offline checker only"
	NO_QEMU=1
else
	live_part local
	live_part broadcast
fi

record_part() {
	local q cpio=$BUILD/initramfs/kvm.cpio
	say "unmodified guests: fixmapctl record (QEMU 10 TCG plugin)"
	if ! q=$(scripts/qemu10.sh bin 2>/dev/null) || [ ! -f "$BUILD/fixmap-plugin.so" ]; then
		problem "no QEMU 10 or no $BUILD/fixmap-plugin.so (scripts/qemu10.sh fetch, then make): the record part did not run"
		return 0
	fi
	echo "# the agent in local mode, recorded by the plugin alone (its rings unused):"
	echo "$ build/fixmapctl record -q --elf build/agent.elf -- \$QEMU10 -M virt,virtualization=on,gic-version=3 -cpu max -smp 4 ... -kernel build/agent.elf -append \"fixmap.mode=local fixmap.iters=20\""
	"$FM" record -q --elf "$ELF" -- "$q" -M virt,virtualization=on,gic-version=3 \
		-cpu max -smp 4 -m 256M -nographic -nic none -semihosting -kernel "$ELF" \
		-append "fixmap.mode=local fixmap.iters=20" >"$OUT/rec-agent.out" 2>"$OUT/rec-agent.err"
	local rc=$?
	head -2 "$OUT/rec-agent.out" | cut -c1-230
	echo "   ..."
	tail -3 "$OUT/rec-agent.out"
	echo "(exit status $rc)"
	[ "$rc" = 1 ] && grep -q 'error: bbm-local-tlbi: .*(fixmap_unmap+0x' "$OUT/rec-agent.out" ||
		problem "record of the agent: exit status $rc, expected 1 with bbm-local-tlbi at fixmap_unmap ($(tail -n1 "$OUT/rec-agent.err"))"
	. scripts/linux-lib.sh
	if [ ! -f "$cpio" ]; then
		problem "no $cpio (make builds it with the aarch64 cross compiler): the Linux part did not run"
	elif ! linux_fetch bookworm 2>/dev/null; then
		problem "the Linux part did not run: $LINUX_WHY"
	else
		echo
		echo "# Debian's $LINUX_VERSION, protected KVM, the KVM initramfs:"
		echo "$ build/fixmapctl record -q -- \$QEMU10 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1G ... -kernel Image -initrd build/initramfs/kvm.cpio -append \"... kvm-arm.mode=protected ...\""
		"$FM" record -q -- "$q" -M virt,virtualization=on,gic-version=3 \
			-cpu max,pauth-impdef=on -smp 2 -m 1G -nographic -nic none -no-reboot \
			-kernel "$LINUX_IMAGE" -initrd "$cpio" \
			-append "console=ttyAMA0 kvm-arm.mode=protected nokaslr panic=-1" \
			>"$OUT/rec-linux.out" 2>"$OUT/rec-linux.err"
		rc=$?
		cat "$OUT/rec-linux.err" "$OUT/rec-linux.out" | cut -c1-230 | tail -6
		echo "(exit status $rc)"
		[ "$rc" = 0 ] || problem "record of Linux: exit status $rc, expected 0 (no findings)"
	fi
	record_firmware "$q"
}

# EDK2 as Debian ships it, from reset to its shell: a real finding in released
# firmware (docs/findings/edk2-replace-live-entry-isb.md). Its console is driven
# through a FIFO: wait for the shell prompt, then `reset -s`.
record_firmware() {
	local Q10=$1 TMP=$OUT TEST_WAIT=$WAIT SERIAL_RC SERIAL_SECS
	. scripts/deb-lib.sh
	. tests/record-lib.sh
	if ! deb_fetch bookworm "qemu-efi-aarch64=./usr/share/qemu-efi-aarch64/*" 2>/dev/null; then
		problem "the EDK2 part did not run: $DEB_WHY"
		return 0
	fi
	echo
	echo "# EDK2 ($(echo $DEB_VERSIONS)) at EL2, to its UEFI shell:"
	echo "$ build/fixmapctl record -- \$QEMU10 -M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G -bios QEMU_EFI.fd -serial pipe:CONSOLE ..."
	serial_record edk2 -M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G -nic none \
		-bios "$DEB_ROOT/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
	if serial_wait edk2 1 'Shell>'; then
		echo "# (the shell is up: typing reset -s)"
		serial_send edk2 'reset -s\r'
	fi
	serial_end edk2
	cat "$OUT/edk2.err" | cut -c1-230
	grep -m1 'missing-isb' "$OUT/edk2.out" | sed "s|^$OUT/||" | cut -c1-330
	echo "   ..."
	tail -2 "$OUT/edk2.out"
	echo "(exit status $SERIAL_RC, ${SERIAL_SECS} s; the missing ISB: docs/findings/edk2-replace-live-entry-isb.md)"
	[ "$SERIAL_RC" = 0 ] && grep -q ' missing-isb  ' "$OUT/edk2.out" ||
		problem "EDK2: exit status $SERIAL_RC, expected 0 with missing-isb warnings"
}

[ -n "${NO_QEMU:-}" ] || record_part

say "the offline checker on the sample traces"
for t in tests/traces/seed-local.trace:1 tests/traces/seed-fixed.trace:0; do
	want=${t##*:} t=${t%:*}
	show "$FM" check "$t"
	rc=$?
	echo "(exit status $rc)"
	echo
	[ "$rc" = "$want" ] || problem "check $t: exit status $rc, expected $want"
done
if [ ${#problems[@]} -gt 0 ]; then
	echo "demo: ${#problems[@]} part(s) did not work:" >&2
	printf 'demo:   %s\n' "${problems[@]}" >&2
	exit 1
fi
exit 0

#!/bin/bash
# make demo: show fixmapctl at work.
#
#   1. the EL2 agent on 4 CPUs under QEMU with the seed's `local` maintenance:
#      the slot table (dump), then a few seconds of live trace with its findings;
#   2. the same with the merged `broadcast` sequence: no findings;
#   3. `fixmapctl record` (QEMU 10 and the TCG plugin): the same agent with no help
#      from its rings, then Debian's Linux 6.1 with protected KVM running the KVM
#      initramfs (VMs created, run, their memory unmapped), checked live;
#   4. `fixmapctl check` on the sample traces (the seed's local sequence and the fix).
#
# QEMU is shut down at the end (and on Ctrl-C). Without QEMU or build/agent.elf,
# only part 3 runs.
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
FM=$BUILD/fixmapctl
ELF=$BUILD/agent.elf
SECS=${DEMO_SECONDS:-3}
. scripts/qemu-lib.sh
OUT=$(mktemp -d /tmp/fixmap-demo-XXXXXX)
QEMU_LOG=$OUT/qemu.log
trap 'qemu_stop; rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { # prints the command, runs it
	local line="$*"
	[ -n "$QEMU_SHM" ] && line=${line//$QEMU_SHM/\$SHM}
	printf '$ %s\n' "${line//$BUILD\//build/}"
	"$@"
}

live_part() { # MODE
	local mode=$1 rc
	say "agent on 4 CPUs, mode $mode"
	if ! qemu_start -s 4 -m "$mode" -i 0; then
		echo "demo: QEMU did not start (log: $QEMU_LOG)" >&2
		return 1
	fi
	sleep 0.5
	head -3 "$QEMU_LOG.serial" 2>/dev/null
	echo "# guest RAM is shared in SHM=$QEMU_SHM, the gdbstub listens on port $QEMU_PORT"
	echo
	show "$FM" dump --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" || true
	echo
	# Drop the backlog the rings kept since boot, so what follows is live.
	"$FM" trace --mem "$QEMU_SHM" -q >/dev/null 2>&1
	echo "# live events, with symbolized PCs and the checker's findings as they happen:"
	show "$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --count 24 | cut -c1-160
	echo
	echo "# $SECS seconds over the gdbstub (stop, read every ring, resume, every 100 ms);"
	echo "# findings only (-q), first and last lines:"
	show "$FM" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --duration "$SECS" -q \
		--save "$OUT/$mode.trace" >"$OUT/$mode.out"
	rc=$?
	if [ "$(wc -l <"$OUT/$mode.out")" -gt 14 ]; then
		head -6 "$OUT/$mode.out" | cut -c1-200
		echo "   ..."
	fi
	tail -8 "$OUT/$mode.out" | cut -c1-200
	echo "(exit status $rc; $(grep -c '^c[0-9]' "$OUT/$mode.trace" 2>/dev/null || echo 0) events saved in trace format v1)"
	qemu_stop
}

echo "fixmap demo"
if [ -f "$ELF" ] && command -v qemu-system-aarch64 >/dev/null; then
	live_part local
	live_part broadcast
else
	echo "demo: no $ELF or no qemu-system-aarch64: showing the offline checker only"
fi

record_part() {
	local q cpio=$BUILD/initramfs/kvm.cpio
	say "unmodified guests: fixmapctl record (QEMU 10 TCG plugin)"
	if ! q=$(scripts/qemu10.sh bin 2>/dev/null) || [ ! -f "$BUILD/fixmap-plugin.so" ]; then
		echo "demo: no QEMU 10 or no $BUILD/fixmap-plugin.so: skipped"
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
	. scripts/linux-lib.sh
	if [ -f "$cpio" ] && linux_fetch bookworm 2>/dev/null; then
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
	fi
}

record_part

say "the offline checker on the sample traces"
for t in tests/traces/seed-local.trace tests/traces/seed-fixed.trace; do
	[ -e "$t" ] || continue
	show "$FM" check "$t"
	echo "(exit status $?)"
	echo
done
exit 0

#!/bin/bash
# Reads over QEMU's gdbstub: time, bytes and packets to read 2 MiB of guest
# physical memory one request at a time vs pipelined, and the cost of opening the
# target and reading system registers. Prints figures only.
[ -z "$BASH_VERSION" ] && exec bash "$0" "$@"
cd "$(dirname "$0")/.." || exit 1
. scripts/qemu-lib.sh
PROBE=$BUILD/bench/gdbprobe
make -s --no-print-directory "$PROBE" >/dev/null || exit 1
command -v qemu-system-aarch64 >/dev/null || { echo "gdb: no qemu-system-aarch64, skipped"; exit 0; }

LOG=$(mktemp /tmp/fixmap-bench-gdb-XXXXXX.log)
trap 'qemu_stop; this_shell $$ && rm -f "$LOG"' EXIT
trap 'exit 130' INT TERM
if ! qemu_launch "$LOG" -M virt,virtualization=on,gic-version=3 -cpu max -smp 4 -m 256M -S \
	-nographic -monitor none -serial none; then
	echo "gdb: QEMU did not start, skipped: $(tail -n 2 "$LOG")"
	exit 0
fi
T=127.0.0.1:$QEMU_PORT
SIZE=$((2 * 1024 * 1024))

# best of 5: the machine is shared, the minimum is the least disturbed figure
best_read()
{
	local best="" line
	for _ in 1 2 3 4 5; do
		line=$(FIXMAP_GDB_PIPELINE=$1 "$PROBE" --stay-stopped "$T" read 0x40000000 $SIZE - stats) ||
			return 1
		# "read 0x40000000 N bytes in S s, P packets" / "bytes=.. packets=.. round_trips=.."
		s=$(sed -n '1s/.* in \([0-9.]*\) s.*/\1/p' <<<"$line")
		if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s bestline=$line; fi
	done
	pk=$(sed -n '1s/.*, \([0-9]*\) packets/\1/p' <<<"$bestline")
	wire=$(sed -n '2s/.*round_trips=\([0-9]*\)/\1/p' <<<"$bestline")
	printf '  %-26s %8.4f s  %7.1f MiB/s  %d bytes  %d packets  %s exchanges\n' \
		"$2" "$best" "$(awk "BEGIN{print $SIZE / 1048576 / $best}")" $SIZE "$pk" "$wire"
}

echo "gdb: 2 MiB physical read over QEMU's gdbstub ($(qemu-system-aarch64 --version | head -1 | awk '{print $4}'))"
best_read 1 "unpipelined (depth 1)"
for d in 16 64 256; do best_read $d "pipelined (depth $d)"; done

t0=${EPOCHREALTIME/./}
"$PROBE" --stay-stopped "$T" ncpus >/dev/null
t1=${EPOCHREALTIME/./}
"$PROBE" --stay-stopped "$T" sysreg 0 TTBR0_EL2 sysreg 0 TCR_EL2 sysreg 0 MAIR_EL2 \
	sysreg 0 SCTLR_EL2 >/dev/null
t2=${EPOCHREALTIME/./}
printf '  %-26s %8.4f s\n' "open + thread list" "$(awk "BEGIN{print ($t1 - $t0) / 1e6}")"
printf '  %-26s %8.4f s\n' "open + target.xml + 4 regs" "$(awk "BEGIN{print ($t2 - $t1) / 1e6}")"

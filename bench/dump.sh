#!/bin/bash
# Time to dump the Linux kernel's TTBR1_EL1 tables (Debian's arm64 kernel under
# QEMU, scripts/linux-lib.sh) over the gdbstub and over the memory file, with the
# bytes, round trips and packets read. Targets: < 0.1 s over gdb, < 0.02 s over
# the memory file (the gdb-pt-dump plugin needs about 2.5 s for the same table).
# Prints figures; asserts nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
FM=${FM:-$BUILD/fixmapctl}
. scripts/qemu-lib.sh
. scripts/linux-lib.sh
TMP=$(mktemp -d /tmp/fixmap-bench-XXXXXX)
trap 'qemu_stop; this_shell $$ && rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
RUNS=${RUNS:-5}

if ! linux_fetch; then
	echo "dump: skipped: $LINUX_WHY"
	exit 0
fi
if ! linux_boot; then
	echo "dump: skipped: the kernel did not boot"
	exit 0
fi
G="--gdb 127.0.0.1:$QEMU_PORT"
TTBR1="--range 0xffff000000000000-0xffffffffffffffff"
$FM dump $G --regime el1 $TTBR1 >"$TMP/ref" || exit 1
reg() { sed -n "s/^#.* $1=\(0x[0-9a-f]*\).*/\1/p" "$TMP/ref" | head -n1; }
M="--mem $QEMU_SHM --ttbr1 $(reg TTBR1_EL1) --tcr $(reg TCR_EL1) --mair $(reg MAIR)"
echo "kernel $LINUX_VERSION, TTBR1_EL1 $(reg TTBR1_EL1): $(grep -c '^0x' "$TMP/ref") ranges"

# run NAME ARGS...: best of $RUNS runs; the walk (stats line) and the whole command
run() {
	local name=$1 best="" bestcmd="" line="" i s e ms
	shift
	for i in $(seq "$RUNS"); do
		s=${EPOCHREALTIME/./}
		$FM dump "$@" --regime el1 $TTBR1 --stats >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err"; return 1; }
		e=${EPOCHREALTIME/./}
		cmp -s <(grep "^0x" "$TMP/out") <(grep "^0x" "$TMP/ref") || echo "$name: output differs from the gdb dump" >&2
		w=$(sed -n 's/.*stats: \([0-9.]*\) s.*/\1/p' "$TMP/err")
		if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then
			best=$w line=$(sed -n 's/.*stats: //p' "$TMP/err")
		fi
		ms=$(((e - s) / 1000))
		if [ -z "$bestcmd" ] || [ "$ms" -lt "$bestcmd" ]; then bestcmd=$ms; fi
	done
	printf '%-4s walk %s s (best of %s), whole command %s ms\n      %s\n' "$name" "$best" "$RUNS" "$bestcmd" "$line"
}
run gdb $G
run mem $M
echo "targets: gdb < 0.1 s, mem < 0.02 s (walk time; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"

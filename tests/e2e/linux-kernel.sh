#!/bin/bash
# dump and walk on software nobody here wrote: Debian's arm64 kernel under QEMU
# with protected KVM (REFERENCE.md "A real third-party target"). Checks facts
# that must hold for its EL2 hyp table, its EL1 kernel table and its host
# stage-2, over the gdbstub and over the memory file, and that both targets
# give the same dumps. SKIP (with the reason; a failure under CI=true) when
# the kernel cannot be had.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. scripts/linux-lib.sh

if ! linux_fetch; then
	skip_real linux-kernel "$LINUX_WHY"
	exit 77
fi
echo "kernel: $LINUX_VERSION"
if ! linux_boot; then
	fail linux-boot "$(tail -n5 "$QEMU_LOG")"
	finish
fi
G="--gdb 127.0.0.1:$QEMU_PORT"
M="--mem $QEMU_SHM"
# pKVM's own memory, e.g. "kvm [0]: Reserved 10 MiB at 0x7f200000"
read -r resv_mb resv_pa < <(sed -n 's/.*kvm \[0\]: Reserved \([0-9]*\) MiB at \(0x[0-9a-f]*\).*/\1 \2/p' "$QEMU_LOG")
echo "pKVM reserved: $resv_mb MiB at $resv_pa"

# reg NAME FILE: a register value from a dump's "# ..." header
reg() { sed -n "s/^#.* $1=\(0x[0-9a-f]*\).*/\1/p" "$2" | head -n1; }

# ---- over the gdbstub: registers from the target ----
for r in el2 el1 s2; do
	if $FM dump $G --regime $r >"$TMP/$r.gdb" 2>"$TMP/$r.gdb.err" && grep -q '^0x' "$TMP/$r.gdb"; then
		pass "gdb-dump-$r"
	else
		fail "gdb-dump-$r" "$(cat "$TMP/$r.gdb.err")"
	fi
done
cat "$TMP/el2.gdb"

# ---- over the memory file: the same registers, given on the command line ----
# (TTBR1_EL1 and VTTBR_EL2 by name from the gdbstub's system registers: the
# dumps over the gdbstub name them in their headers.)
EL2REGS="--ttbr $(reg TTBR0_EL2 "$TMP/el2.gdb") --tcr $(reg TCR_EL2 "$TMP/el2.gdb") --mair $(reg MAIR "$TMP/el2.gdb")"
EL1REGS="--ttbr $(reg TTBR0_EL1 "$TMP/el1.gdb") --ttbr1 $(reg TTBR1_EL1 "$TMP/el1.gdb")
	--tcr $(reg TCR_EL1 "$TMP/el1.gdb") --mair $(reg MAIR "$TMP/el1.gdb")"
S2REGS="--vttbr $(reg VTTBR_EL2 "$TMP/s2.gdb") --vtcr $(reg VTCR_EL2 "$TMP/s2.gdb")"
for r in el2 el1 s2; do
	case $r in el2) regs=$EL2REGS ;; el1) regs=$EL1REGS ;; s2) regs=$S2REGS ;; esac
	$FM dump $M --regime $r $regs >"$TMP/$r.mem" 2>"$TMP/$r.mem.err"
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$TMP/$r.mem" ] && cmp -s "$TMP/$r.gdb" "$TMP/$r.mem"; then
		pass "mem-dump-$r-same-as-gdb"
	else
		fail "mem-dump-$r-same-as-gdb" "exit $rc: $(cat "$TMP/$r.mem.err"; diff "$TMP/$r.gdb" "$TMP/$r.mem" | head -n5)"
	fi
done

# ---- EL1: kernel text at 0xffff800008010000 maps PA 0x40210000 read-only executable ----
for t in gdb mem; do
	if [ $t = gdb ]; then args=$G; else args="$M $EL1REGS"; fi
	w=$($FM walk $args --regime el1 -j 0xffff800008010000) || w="exit $?: $w"
	case $w in
	"{"*'"pa":"0x40210000"'*'"read":true,"write":false,"exec":true'*) pass "el1-kernel-text-$t" ;;
	*) fail "el1-kernel-text-$t" "$w" ;;
	esac
done
grep -q '^0xffff800008010000-0x[0-9a-f]* .* L[23]  0x40210000 *ro ' "$TMP/el1.gdb" &&
	! grep '^0xffff800008010000-' "$TMP/el1.gdb" | grep -q ' NX ' &&
	pass el1-dump-kernel-text || fail el1-dump-kernel-text
# the linear map covers the kernel's PA 0x40210000 too, never executable
awk '$1 ~ /^0xffff0000/ && / NX / {ok=1} END {exit !ok}' "$TMP/el1.gdb" &&
	pass el1-linear-map-nx || fail el1-linear-map-nx

# ---- EL2: pKVM's reserved memory mapped RW NX; the hyp idmap page VA == PA, ro, executable ----
[ -n "$resv_pa" ] && grep -q " L3  $resv_pa *RW NX " "$TMP/el2.gdb" &&
	pass el2-hyp-memory-rw-nx || fail el2-hyp-memory-rw-nx "$resv_pa"
idmap=$(while read -r range _ _ pa attrs; do
	case $range in 0x*) ;; *) continue ;; esac
	va=${range%%-*}
	[ $((va)) -eq $((pa)) ] && case " $attrs " in *" ro "*" NX "*) ;; *" ro "*) echo "$range" ;; esac
done <"$TMP/el2.gdb")
[ -n "$idmap" ] && pass el2-idmap-ro-x || fail el2-idmap-ro-x

# ---- host stage-2: an identity map; pKVM's memory is not in it ----
bad=$(while read -r range _ _ pa _; do
	case $range in 0x*) ;; *) continue ;; esac
	va=${range%%-*}
	[ $((va)) -ne $((pa)) ] && echo "$range"
done <"$TMP/s2.gdb")
n=$(grep -c '^0x' "$TMP/s2.gdb")
[ -z "$bad" ] && [ "$n" -gt 0 ] && pass "s2-identity ($n ranges)" || fail s2-identity "$bad"
for t in gdb mem; do
	if [ $t = gdb ]; then args=$G; else args="$M $S2REGS"; fi
	w=$($FM walk $args --regime s2 -j "$resv_pa") || w="exit $?: $w"
	case $w in "{"*'"pa":null,"fault":"translation fault'*) pass "s2-hyp-memory-unmapped-$t" ;;
	*) fail "s2-hyp-memory-unmapped-$t" "$w" ;; esac
	w=$($FM walk $args --regime s2 -j 0x40210000) || w="exit $?: $w"
	case $w in "{"*'"pa":"0x40210000"'*) pass "s2-kernel-text-$t" ;;
	*) fail "s2-kernel-text-$t" "$w" ;; esac
done
qemu_stop
finish

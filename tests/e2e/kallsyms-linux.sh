#!/bin/bash
# The symbols fixmapctl recovers from a stripped kernel (its kallsyms tables,
# cli/kallsyms.c) against the truth: Debian's arm64 kernels, bookworm's 6.1 and
# trixie's 6.12 (scripts/linux-lib.sh), booted under QEMU with the initramfs of
# tests/initramfs/init_kallsyms.c, whose /init prints /proc/kallsyms (with
# kptr_restrict lifted) between two marker lines and powers the machine off.
#
# The set compared: every /proc/kallsyms line without a "[...]" owner, i.e.
# the kernel's own symbols, which are exactly the entries of the kallsyms
# tables in the Image. The lines with an owner are left out because they are
# not in the Image: symbols of loaded modules ([module]), BPF programs ([bpf])
# and the trampolines and pages ftrace and kprobes make at run time
# ([__builtin__ftrace], [__builtin__kprobes]). Which sections the tables cover
# is the kernel's configuration: bookworm's 6.1 is built without
# CONFIG_KALLSYMS_ALL (text and init text only), trixie's 6.12 with it (text,
# rodata, data, bss). Every compared line must come back with the same
# address, type and name, and nothing more. Under nokaslr the addresses are
# the link addresses; one more boot of 6.1 with KASLR checks the offset
# fixmapctl finds from a live gdbstub (VBAR_EL1) and the one given with
# --kaslr-offset. SKIP (FAIL under CI=true) when a kernel cannot be downloaded.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. scripts/linux-lib.sh

CPIO=$BUILD/initramfs/kallsyms.cpio
FMO=$BUILD/fixmapctl # the optimized build: the load time is a requirement
[ -s "$CPIO" ] || { fail "kallsyms initramfs" "no $CPIO (make $CPIO)"; finish; }

# proc_kallsyms LOG OUT: the console lines between the markers, CRs dropped.
proc_kallsyms()
{
	sed -n '/^FIXMAP-KALLSYMS-BEGIN/,/^FIXMAP-KALLSYMS-END/p' "$1" | tr -d '\r' |
		grep -v '^FIXMAP-KALLSYMS-' >"$2"
}

# check_kernel SUITE: boot it nokaslr, compare every symbol.
check_kernel()
{
	s=$1
	if ! linux_fetch "$s"; then
		skip_real "kallsyms-$s" "$LINUX_WHY"
		return
	fi
	echo "kernel: $LINUX_VERSION"
	# Load time: the best of three runs of the optimized build, printing included.
	best=
	for _ in 1 2 3; do
		t0=${EPOCHREALTIME/./}
		"$FMO" symbols --stats "$LINUX_IMAGE" >"$TMP/$s.syms" 2>"$TMP/$s.stats"
		rc=$?
		us=$((${EPOCHREALTIME/./} - t0))
		[ -z "$best" ] || [ $us -lt "$best" ] && best=$us
	done
	[ $rc -eq 0 ] && pass "$s: symbols from the Image ($(cut -d: -f4- "$TMP/$s.stats"))" ||
		{ fail "$s: symbols from the Image" "$(cat "$TMP/$s.stats")"; return; }
	[ "$best" -lt 500000 ] && pass "$s: loaded and printed in $((best / 1000)) ms (< 500)" ||
		fail "$s: loaded in under 0.5 s" "$((best / 1000)) ms"
	"$FM" symbols "$LINUX_IMAGE" >"$TMP/$s.san" && cmp -s "$TMP/$s.san" "$TMP/$s.syms" &&
		pass "$s: the sanitized build recovers the same" ||
		fail "$s: the sanitized build recovers the same"

	if ! linux_boot -i "$CPIO" -w '^FIXMAP-KALLSYMS-END' -a quiet; then
		fail "$s: boot to the kallsyms init under QEMU" "$(tail -n5 "$QEMU_LOG")"
		qemu_stop
		return
	fi
	pass "$s: boots under $(qemu-system-aarch64 --version | head -n1 | sed 's/ (.*//')"
	grep -q '^FIXMAP-KALLSYMS-END lines=[0-9]* errors=0' "$QEMU_LOG" &&
		pass "$s: the init printed /proc/kallsyms" ||
		fail "$s: the init printed /proc/kallsyms" "$(grep -a 'fixmap-init\|KALLSYMS-END' "$QEMU_LOG")"
	proc_kallsyms "$QEMU_LOG" "$TMP/$s.all"
	qemu_stop
	grep -v ' \[[^]]*\]$' "$TMP/$s.all" | sort >"$TMP/$s.proc"
	sort "$TMP/$s.syms" >"$TMP/$s.fm"
	nproc=$(wc -l <"$TMP/$s.proc")
	nfm=$(wc -l <"$TMP/$s.fm")
	nmatch=$(comm -12 "$TMP/$s.proc" "$TMP/$s.fm" | wc -l)
	nowner=$(($(wc -l <"$TMP/$s.all") - nproc))
	ntext=$(grep -c ' [tTwW] ' "$TMP/$s.proc")
	echo "$s: /proc/kallsyms: $nproc kernel symbols ($ntext text, $((nproc - ntext)) others)," \
		"$nowner with an owner left out; recovered $nfm; matching $nmatch"
	if [ "$nproc" -gt 1000 ] && [ "$nmatch" -eq "$nproc" ] && [ "$nfm" -eq "$nproc" ]; then
		pass "$s: all $nproc symbols recovered with the same address, type and name"
	else
		fail "$s: every symbol recovered" "$nproc in /proc/kallsyms, $nfm recovered, $nmatch matching; first differences: $(diff "$TMP/$s.proc" "$TMP/$s.fm" | grep '^[<>]' | head -n4 | tr '\n' ' ')"
	fi
	# lint names the function of every TLBI site: no address-only windows. Exit 1:
	# Linux flushes its own TLB with local TLBIs (local_flush_tlb_all()).
	"$FM" lint --sites "$LINUX_IMAGE" >"$TMP/$s.lint" 2>"$TMP/$s.lint.err"
	rc=$?
	summary=$(tail -n1 "$TMP/$s.lint")
	if [ $rc -eq 1 ] && [ ! -s "$TMP/$s.lint.err" ] &&
		! grep -q '^0x' "$TMP/$s.lint" && [[ $summary == *" TLBI sites in "* ]]; then
		pass "$s: lint names every site's function ($summary)"
	else
		fail "$s: lint names every site's function" "exit $rc, $(grep -c '^0x' "$TMP/$s.lint") unnamed; $(head -c 200 "$TMP/$s.lint.err")"
	fi
}

check_kernel bookworm
BOOKWORM_IMAGE=$LINUX_IMAGE BOOKWORM_OK=$([ -s "$TMP/bookworm.syms" ] && echo y)
check_kernel trixie
TRIXIE_IMAGE=$LINUX_IMAGE

# ---- KASLR: 6.1 at a random address, held up for the gdbstub ----
if [ "$BOOKWORM_OK" != y ]; then
	skip_real "kallsyms-kaslr" "no bookworm kernel"
	finish
fi
linux_fetch bookworm
if ! linux_boot -k -i "$CPIO" -w '^FIXMAP-KALLSYMS-END' -a "quiet -- hold"; then
	fail "kaslr: boot" "$(tail -n5 "$QEMU_LOG")"
	finish
fi
proc_kallsyms "$QEMU_LOG" "$TMP/kaslr.all"
grep -v ' \[[^]]*\]$' "$TMP/kaslr.all" | sort >"$TMP/kaslr.proc"
rt=$(sed -n 's/^\([0-9a-f]*\) T _stext$/\1/p' "$TMP/kaslr.proc")
lk=$(sed -n 's/^\([0-9a-f]*\) T _stext$/\1/p' "$TMP/bookworm.syms")
off=$(printf '%#x' $((0x$rt - 0x$lk)))
echo "kaslr: _stext at 0x$rt, linked at 0x$lk: offset $off"
[ "$off" != 0x0 ] && pass "kaslr: the kernel moved ($off)" || fail "kaslr: the kernel moved" "offset 0"
"$FM" symbols --kaslr-offset "$off" "$LINUX_IMAGE" >"$TMP/kaslr.fm.raw"
rc=$?
sort "$TMP/kaslr.fm.raw" >"$TMP/kaslr.fm"
[ $rc -eq 0 ] && cmp -s "$TMP/kaslr.proc" "$TMP/kaslr.fm" &&
	pass "kaslr: all $(wc -l <"$TMP/kaslr.proc") symbols at their address + $off" ||
	fail "kaslr: every symbol at its address + offset" "$(diff "$TMP/kaslr.proc" "$TMP/kaslr.fm" | grep '^[<>]' | head -n4 | tr '\n' ' ')"
G="--gdb 127.0.0.1:$QEMU_PORT"
fn=$(sed -n 's/^\([0-9a-f]*\) [tT] kvm_share_hyp$/\1/p' "$TMP/kaslr.proc")
va=$(printf '%#x' $((0x$fn + 0x48)))
# walk names the address: the offset found from VBAR_EL1, and given.
if "$FM" walk $G --regime el1 --elf "$LINUX_IMAGE" "$va" >"$TMP/walk" 2>"$TMP/walk.err" &&
	grep -q "^$va <kvm_share_hyp+0x48> " "$TMP/walk"; then
	pass "kaslr: walk names $va kvm_share_hyp+0x48 (offset from VBAR_EL1)"
else
	fail "kaslr: walk names the address" "$(head -n1 "$TMP/walk") $(cat "$TMP/walk.err")"
fi
out=$("$FM" walk $G --regime el1 --elf "$LINUX_IMAGE" --kaslr-offset "$off" "$va" 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "^$va <kvm_share_hyp+0x48> " <<<"$out" && pass "kaslr: walk with --kaslr-offset" ||
	fail "kaslr: walk with --kaslr-offset" "exit $rc: $(head -c 300 <<<"$out")"
# dump names the kernel's ranges: the one at _stext by the kernel's first symbol there.
first=$(awk -v a="$rt" '$1 == a {print $3; exit}' "$TMP/kaslr.all")
if "$FM" dump $G --regime el1 --elf "$LINUX_IMAGE" >"$TMP/dump" 2>"$TMP/dump.err" &&
	grep -q "^0x$rt-.*  <$first+0x0>$" "$TMP/dump"; then
	pass "kaslr: dump names the range at _stext <$first+0x0> ($(grep -c '  <' "$TMP/dump") ranges named)"
else
	fail "kaslr: dump names the kernel's ranges" "$(grep -m1 "^0x$rt" "$TMP/dump") $(cat "$TMP/dump.err")"
fi
"$FM" dump $G --regime el1 --elf "$LINUX_IMAGE" -j >"$TMP/dump.json" 2>"$TMP/dump.err"
rc=$?
[ $rc -eq 0 ] && grep -q "\"sym\": *\"$first+0x0\"" "$TMP/dump.json" &&
	pass "kaslr: dump -j has the name" || fail "kaslr: dump -j has the name" "exit $rc: $(cat "$TMP/dump.err")"
# Another kernel's Image: VBAR_EL1 is at none of its vector tables.
if [ -s "$TRIXIE_IMAGE" ]; then
	"$FM" walk $G --regime el1 --elf "$TRIXIE_IMAGE" "$va" >/dev/null 2>"$TMP/wrong.err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "at no EL1 vector table of .*give --kaslr-offset" "$TMP/wrong.err" &&
		pass "kaslr: another kernel's Image is refused" ||
		fail "kaslr: another kernel's Image is refused" "exit $rc: $(cat "$TMP/wrong.err")"
fi
finish

#!/bin/bash
# dump and walk over a memory file holding hand-built EL2 tables (no QEMU):
# merging, --no-merge, --range, -j, walk, and the errors that name the bad word.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

MEM=$TMP/mem
truncate -s 64K "$MEM"
# put PA VALUE: one little-endian 64-bit word at guest PA (file base 0x40000000)
put() {
	local off=$(($1 - 0x40000000)) v=$2 s="" i
	for i in 0 1 2 3 4 5 6 7; do
		s="$s$(printf '\\x%02x' $(((v >> (8 * i)) & 0xff)))"
	done
	printf "$s" | dd of="$MEM" bs=1 seek=$off conv=notrunc status=none
}
# 39-bit EL2 table: root 0x40001000 (level 1)
#   [1] VA 0x40000000 -> 0x40002000 (level 2): [0] 2M block -> 0x40200000 ro;
#       [1] VA 0x40200000 -> 0x40003000 (level 3): [0],[1] pages -> 0x41000000,
#       0x41001000 (they merge); [2] page -> 0x41005000, device
#   [2] VA 0x80000000 1G block -> 0x80000000, device, XN
put 0x40001008 0x40002003
put 0x40001010 $((0x80000000 | 0x401 | (1 << 54)))
put 0x40002000 $((0x40200000 | 0x400 | 0x80 | 0x4 | 1))
put 0x40002008 0x40003003
put 0x40003000 $((0x41000000 | 0x747))
put 0x40003008 $((0x41001000 | 0x747))
put 0x40003010 $((0x41005000 | 0x403))
REGS="--ttbr 0x40001000 --tcr 0x80853519 --mair 0xff00"

out=$($FM dump --mem "$MEM" --regime el2 $REGS 2>&1)
rc=$?
echo "$out"
lines=$(echo "$out" | grep -c '^0x')
[ $rc -eq 0 ] && [ "$lines" -eq 4 ] && pass dump-merged-ranges || fail dump-merged-ranges "exit $rc, $lines ranges, expected 4"
echo "$out" | grep -q '^0x0000000040200000-0x0000000040202000 *8K L3  0x41000000 *RW SHD AF MEM/NORMAL' &&
	pass dump-merge-contiguous || fail dump-merge-contiguous
echo "$out" | grep -q '^0x0000000040000000-0x0000000040200000 *2M L2  0x40200000 *ro .*BLK' &&
	pass dump-block || fail dump-block
echo "$out" | grep -q '^0x0000000080000000-0x00000000c0000000 *1G L1  0x80000000 *RW NX .*DEVICE' &&
	pass dump-1g-device || fail dump-1g-device

out=$($FM dump --mem "$MEM" --regime el2 $REGS --no-merge)
rc=$?
n=$(grep -c '^0x' <<<"$out")
[ $rc -eq 0 ] && [ "$n" -eq 5 ] && pass dump-no-merge || fail dump-no-merge "exit $rc, $n lines"
out=$($FM dump --mem "$MEM" --regime el2 $REGS --range 0x40201000-0x40205fff)
rc=$?
n=$(grep -c '^0x' <<<"$out")
[ $rc -eq 0 ] && [ "$n" -eq 2 ] && pass dump-range || fail dump-range "exit $rc, $n lines"
j=$($FM dump --mem "$MEM" --regime el2 $REGS -j)
rc=$?
[ $rc -eq 0 ] && [ "$(echo "$j" | wc -l)" -eq 4 ] && echo "$j" | grep -q '"va":"0x40200000","last":"0x40201fff","size":8192,"level":3,"pa":"0x41000000".*"entries":2' &&
	pass dump-json || fail dump-json "$j"

w=$($FM walk --mem "$MEM" $REGS 0x40202abc)
rc=$?
echo "$w"
[ $rc -eq 0 ] && echo "$w" | grep -q 'L3 table 0x40003000\[  2\] entry 0x40003010 = 0x0000000041005403 page' &&
	echo "$w" | grep -q '=> PA 0x41005abc' && pass walk-page || fail walk-page
# An address that does not translate: the walk says where it faults, exit 0.
w=$($FM walk --mem "$MEM" $REGS -j 0x40203000)
rc=$?
[ $rc -eq 0 ] && echo "$w" | grep -q '"pa":null,"fault":"translation fault (invalid entry)","fault_level":3' &&
	pass walk-fault-json || fail walk-fault-json "$w"

# errors: exit 2 and a message naming the word
err_case() { # name expected-text args...
	local name=$1 want=$2
	shift 2
	e=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 2 ] && echo "$e" | grep -q -- "$want"; then pass "$name"; else fail "$name" "rc=$rc: $e"; fi
}
err_case err-regime "'el3'" $FM dump --mem "$MEM" --regime el3 $REGS
err_case err-no-target "no target" $FM dump --regime el2 $REGS
err_case err-no-regs "give --ttbr" $FM dump --mem "$MEM" --regime el2
# a TCR that contradicts itself is refused naming the field
err_case err-ds-64k "TCR_EL2.DS = 1 with the 64K granule" $FM dump --mem "$MEM" --regime el2 --ttbr 0x40001000 --tcr 0x180857519 --mair 0
err_case err-tg-reserved "TCR_EL2.TG0 = 3" $FM dump --mem "$MEM" --regime el2 --ttbr 0x40001000 --tcr 0x8085f519 --mair 0
err_case err-t0sz "TCR_EL2.T0SZ = 12" $FM walk --mem "$MEM" --ttbr 0x40001000 --tcr 0x8085350c --mair 0 0x1000
err_case err-sl0 "VTCR_EL2: SL2:SL0" $FM dump --mem "$MEM" --regime s2 --vttbr 0x40001000 --vtcr 0x2000355d0
err_case err-range "'1-0'" $FM dump --mem "$MEM" --regime el2 $REGS --range 1-0
err_case err-base "'xyz'" $FM dump --mem "$MEM@xyz" --regime el2 $REGS
err_case err-walk-va "'0xg'" $FM walk --mem "$MEM" $REGS 0xg
err_case err-walk-outside "outside" $FM walk --mem "$MEM" $REGS 0x8000000000
err_case err-root-outside "start table" $FM dump --mem "$MEM" --regime el2 --ttbr 0x50000000 --tcr 0x80853519 --mair 0
err_case err-option "--bogus" $FM walk --bogus

# a table whose 512 entries all point at itself (48-bit, from level 0): refused
# by the reference cap at once (it built 512^3 references before)
LOOP=$TMP/loop
truncate -s 64K "$LOOP"
for i in $(seq 0 511); do printf '\x03\x10\x00\x40\x00\x00\x00\x00'; done |
	dd of="$LOOP" bs=1 seek=$((0x1000)) conv=notrunc status=none
t0=$(date +%s%N)
e=$($FM dump --mem "$LOOP" --regime el2 --ttbr 0x40001000 --tcr 0x80853510 --mair 0 2>&1 >/dev/null)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 2 ] && echo "$e" | grep -q "references to level 2 tables" && [ $ms -lt 1000 ]; then
	pass "err-self-reference (${ms} ms)"
else
	fail err-self-reference "rc=$rc ${ms} ms: $e"
fi
out=$($FM dump -h)
rc=$?
[ $rc -eq 0 ] && grep -q -- '--regime' <<<"$out" && pass dump-help || fail dump-help "exit $rc"
finish

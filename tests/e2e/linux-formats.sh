#!/bin/bash
# Translation formats real kernels use, on Debian's own kernels:
#  - trixie's 6.12 with kvm-arm.mode=protected under QEMU 10 -cpu max: pKVM in
#    hVHE mode (HCR_EL2.E2H = 1: the EL2&0 regime) with LPA2 (DS = 1) for its
#    EL2 table, the host stage 2 and the kernel's EL1 tables;
#  - bookworm's 6.1 without it under the system's QEMU: a VHE host, whose own
#    tables are the EL2&0 regime's (TTBR1_EL2 for the kernel).
# Every dump must succeed, name its format, and agree range by range with what
# walk says for sampled addresses (first and last byte of sampled ranges).
# SKIP (with the reason) when a kernel or QEMU 10 cannot be had; FAIL under CI.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. scripts/linux-lib.sh

# qemu10: a QEMU of version 10 or later (scripts/qemu10.sh when present, else
# the unpacked one in the cache, else $FIXMAP_QEMU10)
qemu10() {
	if [ -n "${FIXMAP_QEMU10:-}" ]; then echo "$FIXMAP_QEMU10"; return 0; fi
	if [ -x scripts/qemu10.sh ]; then scripts/qemu10.sh bin 2>/dev/null && return 0; fi
	[ -x "$FIXMAP_CACHE/qemu10/qemu-system-aarch64" ] &&
		echo "$FIXMAP_CACHE/qemu10/qemu-system-aarch64"
}

# check_dump NAME REGIME [ARGS...]: dump -j over the gdbstub, then walk the
# first and last byte of up to 16 ranges spread over the dump: the same PA,
# level and a translation.
check_dump() {
	local name=$1 regime=$2 out=$TMP/$1.json n step i line va last pa lvl w off
	shift 2
	if ! $FM dump $G --regime "$regime" -j "$@" >"$out" 2>"$TMP/err"; then
		fail "$name-dump" "$(cat "$TMP/err")"
		return
	fi
	n=$(grep -c '"va":' "$out")
	if [ "$n" -eq 0 ]; then
		fail "$name-dump" "no ranges"
		return
	fi
	pass "$name-dump ($n ranges)"
	step=$(((n + 15) / 16))
	local bad=0 walked=0
	for ((i = 1; i <= n; i += step)); do
		line=$(grep '"va":' "$out" | sed -n "${i}p")
		case $line in *'"fault"'*) continue ;; esac
		va=$(echo "$line" | sed -n 's/.*"va":"\(0x[0-9a-f]*\)".*/\1/p')
		last=$(echo "$line" | sed -n 's/.*"last":"\(0x[0-9a-f]*\)".*/\1/p')
		pa=$(echo "$line" | sed -n 's/.*"pa":"\(0x[0-9a-f]*\)".*/\1/p')
		lvl=$(echo "$line" | sed -n 's/.*"level":\(-*[0-9]\).*/\1/p')
		for a in "$va" "$last"; do
			w=$($FM walk $G --regime "$regime" -j "$a" 2>&1) || w="exit $?: $w"
			off=$((a - va))
			want=$(printf '0x%x' $((pa + off)))
			case $w in
			"{"*"\"pa\":\"$want\""*) ;;
			*) bad=$((bad + 1)); echo "$name: $a: dump says $want: $w" | head -c 600; echo ;;
			esac
			# the walk's last step is at the range's level
			case $w in *"\"level\":$lvl,"*) ;; *) bad=$((bad + 1)); echo "$name: $a: not level $lvl" ;; esac
			walked=$((walked + 1))
		done
	done
	[ $bad -eq 0 ] && [ $walked -gt 0 ] && pass "$name-walk-agrees ($walked addresses)" ||
		fail "$name-walk-agrees" "$bad of $walked disagree"
}

# ---- trixie 6.12, pKVM in hVHE mode with LPA2, QEMU 10 ----
Q10=$(qemu10)
if [ -z "$Q10" ]; then
	skip_real trixie-hvhe-lpa2 "no QEMU 10 (scripts/qemu10.sh fetch, or FIXMAP_QEMU10)"
elif ! linux_fetch trixie; then
	skip_real trixie-hvhe-lpa2 "$LINUX_WHY"
elif ! LINUX_QEMU=$Q10 linux_boot; then
	fail trixie-boot "$(tail -n5 "$QEMU_LOG")"
else
	echo "kernel: $LINUX_VERSION ($Q10)"
	G="--gdb 127.0.0.1:$QEMU_PORT"
	grep -q 'Protected hVHE mode initialized successfully' "$QEMU_LOG" &&
		pass trixie-hvhe || fail trixie-hvhe "$(grep -m3 kvm "$QEMU_LOG")"
	# --regime el2 notices E2H = 1 and walks el20, saying so
	$FM dump $G --regime el2 >"$TMP/el2.txt" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^# HCR_EL2.E2H = 1 on CPU 0 .*(--regime el20)' "$TMP/el2.txt" &&
		grep -q '^# el20 TTBR0_EL2=.*: 4k granule LPA2, 52-bit, start level -1 ' "$TMP/el2.txt"; then
		pass trixie-el2-is-el20
	else
		fail trixie-el2-is-el20 "exit $rc: $(head -n3 "$TMP/el2.txt"; cat "$TMP/err")"
	fi
	check_dump trixie-el20 el20
	check_dump trixie-s2 s2
	check_dump trixie-el1 el1
	for r in el20 s2 el1; do
		grep -q '"granule":"4k","lpa2":true' "$TMP/trixie-$r.json" &&
			grep -q "\"regime\":\"$r\"" "$TMP/trixie-$r.json" &&
			pass "trixie-$r-json-format" || fail "trixie-$r-json-format"
	done
	# the host stage 2 is an identity map with 52-bit descriptors
	bad=$(sed -n 's/.*"va":"\(0x[0-9a-f]*\)".*"pa":"\(0x[0-9a-f]*\)".*/\1 \2/p' "$TMP/trixie-s2.json" |
		while read -r va pa; do [ $((va)) -ne $((pa)) ] && echo "$va"; done)
	[ -z "$bad" ] && pass trixie-s2-identity || fail trixie-s2-identity "$bad"
	qemu_stop
fi

# ---- bookworm 6.1 as a VHE host (no kvm-arm.mode=protected), system QEMU ----
if ! linux_fetch; then
	skip_real bookworm-vhe "$LINUX_WHY"
elif ! LINUX_KVM= linux_boot; then
	fail bookworm-boot "$(tail -n5 "$QEMU_LOG")"
else
	echo "kernel: $LINUX_VERSION"
	G="--gdb 127.0.0.1:$QEMU_PORT"
	grep -q 'VHE mode initialized successfully' "$QEMU_LOG" &&
		pass bookworm-vhe || fail bookworm-vhe "$(grep -m3 kvm "$QEMU_LOG")"
	check_dump bookworm-el20 el20
	# the kernel runs from TTBR1_EL2: its text is mapped there, executable at EL2
	grep -q '"va":"0xffff8000' "$TMP/bookworm-el20.json" &&
		pass bookworm-kernel-in-ttbr1-el2 || fail bookworm-kernel-in-ttbr1-el2
	w=$($FM walk $G -j 0xffff800008010000 2>&1) || w="exit $?: $w"
	case $w in
	"{"*'"regime":"el20"'*'"pa":"0x40210000"'*'"exec":true'*) pass bookworm-kernel-text ;;
	*) fail bookworm-kernel-text "$w" ;;
	esac
	qemu_stop
fi
finish

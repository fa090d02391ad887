#!/bin/bash
# The real agent builds its shared EL2 table in every format (fixmap.granule=,
# fixmap.lpa2=, fixmap.vhe=) under QEMU on 4 CPUs; for each format x mode
# (broadcast, local): the agent's own self-checks pass, dump names the format
# and shows the slot table, walk of CPU 2's slot ends at CPU 2's entry, and
# trace (live, with the checker) and check (the saved file) agree: broadcast
# is clean, local finds bbm-local-tlbi.
# The EL2&0 (VHE) formats run under QEMU 10: QEMU 7.2 misses TLBI VALE2IS
# with HCR_EL2.E2H = 1 (the agent then reads stale data through its slot).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_build agent-formats "$BUILD/agent.elf"
ELF=$BUILD/agent.elf

q10=
if [ -n "${FIXMAP_QEMU10:-}" ]; then q10=$FIXMAP_QEMU10
elif [ -x scripts/qemu10.sh ]; then q10=$(scripts/qemu10.sh bin 2>/dev/null)
elif [ -x "${FIXMAP_CACHE:-$HOME/.cache/fixmap}/qemu10/qemu-system-aarch64" ]; then
	q10=${FIXMAP_CACHE:-$HOME/.cache/fixmap}/qemu10/qemu-system-aarch64
fi
Q10DIR=$TMP/q10
[ -n "$q10" ] && mkdir -p "$Q10DIR" && ln -sf "$q10" "$Q10DIR/qemu-system-aarch64"

# name | kernel options | granule bytes | lpa2 | regime | needs QEMU 10
while IFS='|' read -r name opts gran lpa2 regime needs10; do
	[ -n "$name" ] || continue
	if [ "$needs10" = 1 ] && [ -z "$q10" ]; then
		skip_real "$name" "no QEMU 10"
		continue
	fi
	for mode in broadcast local; do
		t=$name-$mode
		if [ "$needs10" = 1 ]; then
			PATH=$Q10DIR:$PATH qemu_start -s 4 -m $mode -i 200 -a "$opts"
		else
			qemu_start -s 4 -m $mode -i 200 -a "$opts"
		fi || { fail "$t-boot" "$(tail -3 "$QEMU_LOG.serial" 2>/dev/null)"; continue; }
		qemu_wait
		if ! grep -q 'done: 4 CPUs, .* 0 self-check failures, 0 stale' "$QEMU_LOG.serial"; then
			fail "$t-self-check" "$(grep -m3 'fixmap:' "$QEMU_LOG.serial")"
		else
			pass "$t-self-check"
		fi
		# the table, over the memory file with the agent's registers
		$FM dump --mem "$QEMU_SHM" --regime el2 -j --range 0x40000000+0x400000 \
			>"$TMP/d.json" 2>"$TMP/err"
		rc=$?
		[ $rc -eq 0 ] && grep -q "\"regime\":\"$regime\",\"granule\":\"$((gran / 1024))k\",\"lpa2\":$lpa2" "$TMP/d.json" &&
			pass "$t-dump-format" || fail "$t-dump-format" "$(head -c 300 "$TMP/d.json"; cat "$TMP/err")"
		# the slot table: slot n at 0x80000000 + n granules
		$FM dump --mem "$QEMU_SHM" -j >"$TMP/slots.json" 2>"$TMP/err"
		rc=$?
		va2=$(printf '0x%x' $((0x80000000 + 2 * gran)))
		pte2=$(sed -n '3s/.*"pte_pa":"\(0x[0-9a-f]*\)".*/\1/p' "$TMP/slots.json")
		[ $rc -eq 0 ] && grep -q "\"cpu\":2,\"online\":true,\"slot_va\":\"$va2\"" "$TMP/slots.json" &&
			pass "$t-slots" || fail "$t-slots" "$(sed -n 3p "$TMP/slots.json" | head -c 300)"
		w=$($FM walk --mem "$QEMU_SHM" --cpu 2 -j "$va2" 2>&1) || w="exit $?: $w"
		case $w in "{"*"\"level\":3,\"table\":\"0x"*"\"ptep\":\"$pte2\""*) pass "$t-walk-slot" ;;
		*) fail "$t-walk-slot" "$w" ;; esac
		# trace with the checker, then check of the saved file: the same findings.
		$FM trace --mem "$QEMU_SHM" --elf "$ELF" --save "$TMP/$t.trace" -j >"$TMP/$t.json" 2>"$TMP/err"
		rc=$?
		want=0 want_rules=""
		[ $mode = local ] && want=1 want_rules=$LOCAL_RULES
		live=$(json_rules "$TMP/$t.json")
		if [ $rc = $want ] && [ "$live" = "$want_rules" ] &&
			{ [ "$gran" = 4096 ] || grep -q "^table .*granule=$((gran / 1024))k" "$TMP/$t.trace"; }; then
			pass "$t-trace"
		else
			fail "$t-trace" "rc=$rc findings: [$live], want [$want_rules] $(grep -m1 '^table ' "$TMP/$t.trace") $(head -c 200 "$TMP/err")"
		fi
		$FM check -j "$TMP/$t.trace" >"$TMP/$t.check" 2>&1
		crc=$?
		[ $crc = $want ] && [ "$(json_rules "$TMP/$t.check")" = "$live" ] && pass "$t-check-agrees" ||
			fail "$t-check-agrees" "check rc=$crc: $(json_rules "$TMP/$t.check") vs live $live $(head -c 200 "$TMP/$t.check")"
		qemu_stop
	done
done <<'EOF'
16k|fixmap.granule=16k|16384|false|el2|0
64k|fixmap.granule=64k|65536|false|el2|0
4k-lpa2|fixmap.lpa2=1|4096|true|el2|0
16k-lpa2|fixmap.granule=16k fixmap.lpa2=1|16384|true|el2|0
vhe|fixmap.vhe=1|4096|false|el20|1
vhe-64k|fixmap.vhe=1 fixmap.granule=64k|65536|false|el20|1
vhe-16k-lpa2|fixmap.vhe=1 fixmap.granule=16k fixmap.lpa2=1|16384|true|el20|1
EOF
finish

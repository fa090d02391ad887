#!/bin/bash
# fixmapctl lint on the agent (build/agent.elf): the broadcast code path lints
# clean and the local one is flagged bbm-local-tlbi in fixmap_unmap, where the
# agent keeps every mode's unmap sequence. Which TLBI site belongs to which
# mode is not guessed: the agent runs under QEMU in each mode and the PCs of
# the TLBIs it traces are looked up in lint's site list.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
ELF=$BUILD/agent.elf
need_build lint-agent "$ELF"

# The boot-time TLBI in mmu_on runs before the MMU is on, on the CPU's own TLB.
"$FM" lint -j --sites --private mmu_on "$ELF" >"$TMP/sites.json" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && pass "agent lints with findings (the injected modes)" ||
	fail "agent lints with findings" "rc=$rc $(head -c 200 "$TMP/err")"
grep -q '^{"func":"fixmap_unmap","offset":"0x[0-9a-f]*","addr":"0x[0-9a-f]*","severity":"error","rule":"bbm-local-tlbi","insn":"tlbi vale2, x[0-9]*"' \
	"$TMP/sites.json" && pass "local path: bbm-local-tlbi in fixmap_unmap" ||
	fail "local path: bbm-local-tlbi in fixmap_unmap"
grep -q '^{"func":"fixmap_unmap",.*"site":"tlbi vale2is, x[0-9]*","findings":0}$' "$TMP/sites.json" &&
	pass "a clean vale2is site in fixmap_unmap" || fail "a clean vale2is site in fixmap_unmap"
# Every error is in fixmap_unmap: nothing else in the agent is flagged.
others=$(grep '"severity":"error"' "$TMP/sites.json" | grep -v '^{"func":"fixmap_unmap"')
[ -z "$others" ] && pass "errors only in fixmap_unmap" || fail "errors only in fixmap_unmap" "$(head -c 300 <<<"$others")"

# findings of the site at ADDR ("" if ADDR is no site), and its rules
site_findings() { sed -n "s/.*\"addr\":\"$1\",\"site\":\"[^\"]*\",\"findings\":\([0-9]*\)}$/\1/p" "$TMP/sites.json"; }
site_rules() { grep "\"addr\":\"$1\",\"severity\"" "$TMP/sites.json" | sed -n 's/.*"rule":"\([a-z-]*\)".*/\1/p' | sort -u | tr '\n' ' '; }

need_tool "traced TLBIs are lint sites" qemu-system-aarch64
for mode in broadcast local; do
	if ! qemu_start -s 2 -m $mode -i 20; then
		fail "$mode: boot" "$(tail -3 "$QEMU_LOG.serial" 2>/dev/null)"
		continue
	fi
	qemu_wait
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --disasm -j >"$TMP/$mode.json" 2>"$TMP/$mode.err"
	rc=$?
	qemu_stop
	want=0 && [ $mode = local ] && want=1 # local: the seed's errors
	[ $rc = $want ] && pass "$mode: trace exits $want" || fail "$mode: trace exits $want" "exit $rc: $(head -c 300 "$TMP/$mode.err")"
	# trace --disasm shows the instruction at the PC: the TLBI the event reports.
	op=vale2is && [ $mode = local ] && op=vale2
	grep -q "\"event\":\"c[0-9]* tlbi $op [^\"]*\".*\"insn\":\"tlbi $op, x[0-9]*\"" "$TMP/$mode.json" &&
		pass "$mode: trace --disasm shows tlbi $op at its PC" ||
		fail "$mode: trace --disasm shows tlbi $op at its PC" "$(grep -m1 tlbi "$TMP/$mode.json")"
	pcs=$(grep '"event":"c[0-9]* tlbi ' "$TMP/$mode.json" | sed -n 's/.*"pc":"\(0x[0-9a-f]*\)".*/\1/p' | sort -u)
	if [ -z "$pcs" ]; then
		fail "$mode: TLBI PCs traced" "$(head -c 300 "$TMP/$mode.err")"
		continue
	fi
	for pc in $pcs; do
		n=$(site_findings "$pc")
		if [ $mode = broadcast ]; then
			[ "$n" = 0 ] && pass "broadcast: the TLBI at $pc lints clean" ||
				fail "broadcast: the TLBI at $pc lints clean" "findings=${n:-not a site}: $(site_rules "$pc")"
		else
			case " $(site_rules "$pc")" in
			*" bbm-local-tlbi "*) pass "local: the TLBI at $pc is flagged bbm-local-tlbi" ;;
			*) fail "local: the TLBI at $pc is flagged bbm-local-tlbi" "findings=${n:-not a site}: $(site_rules "$pc")" ;;
			esac
		fi
	done
done
finish

#!/bin/bash
# fixmapctl record on Debian's arm64 kernels (bookworm's 6.1, trixie's 6.12 with
# pKVM's per-CPU hyp fixmap) booted under QEMU 10 with kvm-arm.mode=protected
# and the KVM initramfs (tests/initramfs/init_kvm.c: VMs created, run, their
# memory taken away and given back, destroyed), so that EL2 does stage-2 and hyp
# maintenance. Every finding is one this file explains:
#   On the CPU recorded (QEMU's -cpu max, FEAT_BBM level 2: `feature bbm=2`):
#     none on either kernel.
#   Checked again for a CPU without FEAT_BBM (the trace's `feature bbm=2`
#     dropped), as the kernel's code runs on any CPU: 6.1 none; 6.12 only
#     bbm-no-dsb-after-tlbi (error), all for one TLBI: map_kernel()
#     (arch/arm64/kernel/pi/map_kernel.c, inlined in __pi_early_map_kernel)
#     remaps the kernel text read-only and contiguous with `unmap_segment();
#     dsb(ishst); isb(); __tlbi(vmalle1); isb(); map_segment()`: no DSB
#     completes the TLBI before the new entries are written (Arm ARM D8.17.4,
#     D8.16.1). With FEAT_BBM level 2 the contiguous-bit change needs no
#     break-before-make, so the recorded CPU is fine. docs/findings/
#     linux-map-kernel-tlbi-no-dsb.md.
# Checked under the linux policy (pgattr_change_is_safe()); the saved trace
# re-checks to the same findings.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
. tests/record-lib.sh
. scripts/linux-lib.sh
record_setup record-linux || { finish; exit; }
CPIO=$BUILD/initramfs/kvm.cpio
[ -f "$CPIO" ] || { fail record-linux "no $CPIO (the initramfs builder, tests/initramfs)"; finish; exit; }
findings() { grep -E '^[^ ]+:[0-9]+: (error|warning): ' "$1" | sort; }
rules() { findings "$1" | sed -E 's/^[^ ]+ (error|warning): ([a-z0-9-]+): .*/\2/' | sort | uniq -c; }

for suite in bookworm trixie; do
	if ! linux_fetch "$suite"; then
		skip_real "record-linux-$suite" "$LINUX_WHY"
		continue
	fi
	t=$TMP/$suite
	start=${EPOCHREALTIME/./}
	"$FM" record --policy linux --save "$t.trace" -- "$Q10" -M virt,virtualization=on,gic-version=3 \
		-cpu max,pauth-impdef=on -smp 2 -m 1G -nographic -nic none -no-reboot \
		-kernel "$LINUX_IMAGE" -initrd "$CPIO" \
		-append "console=ttyAMA0 earlycon kvm-arm.mode=protected nokaslr panic=-1" \
		>"$t.out" 2>"$t.err"
	rc=$?
	us=$((${EPOCHREALTIME/./} - start))
	echo "time: $suite $((us / 1000000)).$(((us / 100000) % 10))"
	if grep -q 'fixmap-kvm: done rounds=4 errors=0' "$t.out" && grep -q 'Protected .*VHE mode initialized' "$t.out"; then
		pass "record-linux-$suite-kvm-ran"
	else
		fail "record-linux-$suite-kvm-ran" "$(grep -m3 -E 'fixmap-kvm|kvm \[' "$t.out")"
	fi
	# EL2 did stage-2 maintenance for the guests (TLBI by IPA, then the stage-1 flush of the VMID),
	# from several stage-2 roots (the host's and the guests').
	ns2=$(grep -c '^table s2-' "$t.trace")
	if grep -q ' tlbi ipas2e1is ' "$t.trace" && grep -q ' tlbi vmalle1is ' "$t.trace" && [ "$ns2" -ge 2 ]; then
		pass "record-linux-$suite-stage2"
	else
		fail "record-linux-$suite-stage2" "$ns2 stage-2 tables, $(grep -c ' tlbi ipas2e1is ' "$t.trace") ipas2e1is"
	fi
	# On the CPU recorded: no finding, exit 0.
	[ $rc = 0 ] && [ -z "$(findings "$t.out")" ] && grep -q '^[1-9][0-9]* events, \([0-9]* lost, \)\{0,1\}0 errors' "$t.out" && pass "record-linux-$suite-no-findings" ||
		fail "record-linux-$suite-no-findings" "rc=$rc $(rules "$t.out" | tr '\n' ' ')"
	# For a CPU without FEAT_BBM.
	sed 's/^feature bbm=[12]$/feature bbm=0/' "$t.trace" >"$t.bbm0.trace"
	"$FM" check --policy linux "$t.bbm0.trace" >"$t.bbm0" 2>&1
	brc=$?
	if [ $suite = bookworm ]; then
		[ $brc = 0 ] && [ -z "$(findings "$t.bbm0")" ] && grep -q '^[1-9][0-9]* events, \([0-9]* lost, \)\{0,1\}0 errors' "$t.bbm0" && pass record-linux-bookworm-bbm0-no-findings ||
			fail record-linux-bookworm-bbm0-no-findings "rc=$brc $(rules "$t.bbm0" | tr '\n' ' ')"
	else
		# pKVM's hyp fixmap (6.12, EL2&0 regime): level-3 stores on the hyp table, tlbi vale2is.
		nfix=$(grep -cE '^c[0-9]+ pte .* level=3 .*table=el20-' "$t.trace")
		[ "$nfix" -gt 0 ] && grep -q ' tlbi vale2is ' "$t.trace" && pass record-linux-trixie-hyp-fixmap ||
			fail record-linux-trixie-hyp-fixmap "$nfix level-3 stores on el20 tables"
		# map_kernel: errors of one rule, all for one tlbi vmalle1 (one line), nothing else.
		other=$(findings "$t.bbm0" | grep -v -E ': error: bbm-no-dsb-after-tlbi: .*: tlbi vmalle1 at line [0-9]+ was not completed by a DSB on cpu0 ')
		ntlbi=$(findings "$t.bbm0" | grep -o 'tlbi vmalle1 at line [0-9]*' | sort -u | wc -l)
		n=$(findings "$t.bbm0" | wc -l)
		if [ $brc = 1 ] && [ -z "$other" ] && [ "$ntlbi" = 1 ] && [ "$n" -gt 0 ]; then
			pass record-linux-trixie-bbm0-map-kernel-only
		else
			fail record-linux-trixie-bbm0-map-kernel-only "rc=$brc, $n findings for $ntlbi TLBIs, others: $(echo "$other" | head -n2)"
		fi
	fi
	"$FM" check --policy linux "$t.trace" >"$t.check" 2>&1
	crc=$?
	if [ $rc -ge 128 ] || [ $crc -ge 128 ] || grep -q 'ERROR: AddressSanitizer' "$t.err" "$t.check"; then
		fail "record-linux-$suite-save-rechecks-same" "the checker died (record $rc, check $crc): $(grep -h -m1 -A3 'ERROR: AddressSanitizer' "$t.err" "$t.check" | tr '\n' ' ')"
	elif [ $crc = $rc ] && diff <(findings "$t.out") <(findings "$t.check") >/dev/null; then
		pass "record-linux-$suite-save-rechecks-same"
	else
		fail "record-linux-$suite-save-rechecks-same" "exit $crc (record $rc): $(diff <(findings "$t.out") <(findings "$t.check") | head -n3)"
	fi
done
finish

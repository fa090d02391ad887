#!/bin/bash
# fixmapctl record on the other software that manages AArch64 EL2 translation
# tables and that people run, each Debian bookworm's package, unmodified, under
# QEMU 10 virt with virtualization=on (the downloads: scripts/deb-lib.sh; Linux
# with protected KVM is tests/e2e/record-linux.sh):
#   EDK2 (qemu-efi-aarch64, QEMU_EFI.fd as -bios) to its shell, then reset -s;
#   U-Boot (u-boot-qemu, qemu_arm64/u-boot.bin as -bios) to its prompt, an EFI
#     application (bootefi hello), then Debian's 6.1 booted from it with
#     booti (U-Boot turns its MMU off and hands over; Linux runs as a VHE
#     host at EL2) to its root-fs panic;
#   Xen 4.17 (xen-hypervisor-4.17-arm64) with Debian's 6.1 kernel as dom0
#     (QEMU's guest-loader) through dom0's boot to its root-fs panic.
# Each is recorded once and checked under the arm policy. Every finding is one
# this file explains:
#   EDK2: missing-isb warnings only (exit status 0), each at the first use of
#     a 2 MiB block EDK2 has just split into a table while it was live:
#     ArmReplaceLiveTranslationEntry() (ArmPkg/Library/ArmMmuLib/AArch64/
#     ArmMmuLibReplaceEntry.S) ends with the new entry, `dsb nshst` and a
#     return: no ISB after the completed TLBI and the make (Arm ARM D8.2.6,
#     D8.17.4). docs/findings/edk2-replace-live-entry-isb.md.
#   U-Boot: none (it builds its tables before its MMU is on and changes none
#     after: one root, no table store seen; no prompt command of this build
#     changes them), nor in the VHE host it boots.
#   Xen: none (its own EL2 tables, dom0's stage 2 and dom0's EL1 tables).
# The time each takes is printed (time: NAME SECONDS).
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
. tests/record-lib.sh
. scripts/linux-lib.sh
record_setup record-systems || { finish; exit; }
findings() { grep -E '^[^ ]+:[0-9]+: (error|warning): ' "$1"; }
rules() { findings "$1" | sed -E 's/^[^ ]+ (error|warning): ([a-z0-9-]+): .*/\1 \2/' | sort | uniq -c; }
VIRT=(-M virt,virtualization=on,gic-version=3 -cpu max -nic none)

if ! deb_fetch bookworm "qemu-efi-aarch64=./usr/share/qemu-efi-aarch64/*" \
	"u-boot-qemu=./usr/lib/u-boot/qemu_arm64/*" "xen-hypervisor-4.17-arm64=./boot/*"; then
	skip_real record-systems "$DEB_WHY"
	finish
	exit
fi
echo "packages: $(echo $DEB_VERSIONS)"

# --- EDK2 ---
serial_record edk2 "${VIRT[@]}" -smp 2 -m 1G -bios "$DEB_ROOT/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
if serial_wait edk2 1 'Shell>'; then
	pass edk2-shell
	serial_send edk2 'reset -s\r'
else
	fail edk2-shell "$(tail -c 300 "$TMP/edk2.console")"
fi
serial_end edk2
echo "time: edk2 $SERIAL_SECS"
t=$TMP/edk2.trace
npte=$(grep -c '^c[0-9]* pte ' "$t") ntlbi=$(grep -c '^c[0-9]* tlbi ' "$t")
if [ "$(grep -c '^table el2-' "$t")" = 1 ] && [ "$(grep -c '^table ' "$t")" = 1 ] &&
	[ "$npte" -ge 1000 ] && [ "$ntlbi" -ge 1000 ]; then
	pass edk2-tables
else
	fail edk2-tables "$(grep -c '^table ' "$t") tables, $npte pte, $ntlbi tlbi"
fi
# Warnings only; each after a completed TLBI (tlbi vae2; dsb nsh) that the
# make of a level-2 table entry follows (the live block split), no isb since.
bad=
while read -r line; do
	m=$(echo "$line" | sed -n 's/.*completing the TLB maintenance at line \([0-9]*\) .*/\1/p')
	seq=$(sed -n "$((m - 1)),$((m + 1))p" "$t" | cut -d' ' -f2-4 | tr '\n' '|')
	case $line in
	*': warning: missing-isb: cpu0 el2-'*' L2 '*)
		case $seq in
		"tlbi vae2 "*"|dsb nsh "*"|pte va="*" level=2|") ;;
		*) bad="$bad [maintenance at $m: $seq]" ;;
		esac
		;;
	*) bad="$bad [$(echo "$line" | cut -c1-160)]" ;;
	esac
done < <(findings "$TMP/edk2.out")
n=$(findings "$TMP/edk2.out" | wc -l)
if [ "$SERIAL_RC" = 0 ] && [ "$n" -ge 1 ] && [ -z "$bad" ]; then
	pass edk2-only-explained-findings
else
	fail edk2-only-explained-findings "rc=$SERIAL_RC, $n findings:$bad $(rules "$TMP/edk2.out" | tr '\n' ' ')"
fi

# --- U-Boot, then Debian's 6.1 booted from it (a VHE host at EL2) ---
if ! linux_fetch bookworm; then
	skip_real uboot "$LINUX_WHY"
else
	serial_record uboot "${VIRT[@]}" -smp 2 -m 1G -no-reboot \
		-bios "$DEB_ROOT/usr/lib/u-boot/qemu_arm64/u-boot.bin" \
		-device "loader,file=$LINUX_IMAGE,addr=0x40400000"
	if serial_wait uboot 1 '^=>'; then
		serial_send uboot 'bootefi hello\r'
		if serial_wait uboot 1 'Hello, world!' && serial_wait uboot 2 '^=>'; then
			pass uboot-prompt-and-efi-app
		else
			fail uboot-prompt-and-efi-app "$(tail -c 300 "$TMP/uboot.console")"
		fi
		serial_send uboot 'setenv bootargs console=ttyAMA0 panic=-1\r'
		serial_wait uboot 3 '^=>'
		serial_send uboot 'booti 0x40400000 - ${fdtcontroladdr}\r'
	else
		fail uboot-prompt-and-efi-app "no prompt: $(tail -c 300 "$TMP/uboot.console")"
	fi
	serial_end uboot
	echo "time: uboot $SERIAL_SECS"
	grep -q 'VFS: Unable to mount root fs' "$TMP/uboot.console" && pass uboot-linux-booted ||
		fail uboot-linux-booted "$(tail -c 300 "$TMP/uboot.console")"
	# U-Boot's one root: used once its MMU is on, retired at the handover (MMU off,
	# tlbi alle2), no store into it seen; then Linux's EL2&0 tables.
	t=$TMP/uboot.trace
	ub=$(sed -n 's/^table \(el2-[^ ]*\) .*/\1/p' "$t" | head -n1)
	if [ -n "$ub" ] && grep -q "^c0 use table=$ub " "$t" && grep -q "^# $ub: retired (alle2)" "$t" &&
		! grep -q "^c[0-9]* pte .*table=$ub " "$t" && grep -q '^table el20-' "$t"; then
		pass uboot-tables
	else
		fail uboot-tables "U-Boot's root '$ub', $(grep -c '^table ' "$t") tables"
	fi
	[ "$SERIAL_RC" = 0 ] && [ -z "$(findings "$TMP/uboot.out")" ] && grep -q '^[1-9][0-9]* events, \([0-9]* lost, \)\{0,1\}0 errors' "$TMP/uboot.out" && pass uboot-no-findings ||
		fail uboot-no-findings "rc=$SERIAL_RC $(rules "$TMP/uboot.out" | tr '\n' ' ')"
fi

# --- Xen, Debian's 6.1 as dom0 ---
if ! linux_fetch bookworm; then
	skip_real xen "$LINUX_WHY"
else
	start=${EPOCHREALTIME/./}
	"$FM" record --save "$TMP/xen.trace" -- "$Q10" "${VIRT[@]}" -smp 2 -m 2G -nographic \
		-monitor none -no-reboot -kernel "$DEB_ROOT/boot/xen-4.17-arm64" \
		-append "dom0_mem=512M console=dtuart" \
		-device "guest-loader,addr=0x49000000,kernel=$LINUX_IMAGE,bootargs=console=hvc0 panic=-1" \
		>"$TMP/xen.out" 2>"$TMP/xen.err" </dev/null
	rc=$?
	us=$((${EPOCHREALTIME/./} - start))
	echo "time: xen $((us / 1000000)).$(((us / 100000) % 10))"
	if grep -q 'VFS: Unable to mount root fs' "$TMP/xen.out" && grep -q '(XEN) Hardware Dom0 shutdown' "$TMP/xen.out"; then
		pass xen-dom0-booted
	else
		fail xen-dom0-booted "$(grep -m3 -E 'XEN|Kernel panic' "$TMP/xen.out")"
	fi
	t=$TMP/xen.trace
	# Xen's EL2 tables (boot and runtime), dom0's stage 2 under its VMID, and
	# dom0's EL1 tables followed through that stage 2 (tagged with the VMID).
	vmid=$(sed -n 's/^c[0-9]* use table=s2-[^ ]* vmid=\([0-9]*\).*/\1/p' "$t" | head -n1)
	if [ "$(grep -c '^table el2-' "$t")" -ge 2 ] && [ -n "$vmid" ] && [ "$vmid" != 0 ] &&
		grep -q "^c[0-9]* use table=el1-[^ ]* asid=[0-9]* vmid=$vmid " "$t" &&
		grep -q '^c[0-9]* pte .*table=el1-' "$t" && grep -q ' tlbi vae2is ' "$t" &&
		grep -q ' tlbi vmalls12e1is ' "$t"; then
		pass xen-tables
	else
		fail xen-tables "$(grep -c '^table ' "$t") tables, dom0 VMID '${vmid}'"
	fi
	[ $rc = 0 ] && [ -z "$(findings "$TMP/xen.out")" ] && grep -q '^[1-9][0-9]* events, \([0-9]* lost, \)\{0,1\}0 errors' "$TMP/xen.out" && pass xen-no-findings ||
		fail xen-no-findings "rc=$rc $(rules "$TMP/xen.out" | tr '\n' ' ')"
fi
finish

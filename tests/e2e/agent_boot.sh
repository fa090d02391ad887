#!/bin/bash
# The EL2 agent under QEMU: boots 1, 4 and 8 CPUs in every mode with guest RAM in a
# file, drains the rings after the run with `fixmapctl trace --save`, and checks that
# every CPU recorded exactly the events of its iterations, in its mode's pattern
# (local: tlbi vale2 + dsb nsh*, broadcast: tlbi vale2is + dsb ish*, ...), without
# loss; a ring nobody drains reports exactly the number of events it dropped; a bad
# option fails the boot; an exception is reported and fails the run.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
need_build agent_boot "$BUILD/agent.elf"
need_tool agent_boot qemu-system-aarch64

ITERS=50
RING_RECS=4096 # FIXMAP_RING_SIZE / 64

# The events one CPU records for n iterations of a mode (agent/fixmap.h, agent/main.c):
# map = pte, dsb ishst, isb (not in no-isb); access; unmap = pte (valid bit cleared) + the mode's sequence.
# As "key=count" words, sorted, in the terms of histogram() below.
pattern() {
	local n=$2 t=ttl7
	case $1 in
	broadcast) echo "access=$n dsb_ish=$n dsb_ishst=$((2 * n)) isb=$((2 * n)) pte=$((2 * n)) tlbi_vale2is_$t=$n" ;;
	local) echo "access=$n dsb_ishst=$n dsb_nsh=$n dsb_nshst=$n isb=$((2 * n)) pte=$((2 * n)) tlbi_vale2_$t=$n" ;;
	no-tlbi) echo "access=$n dsb_ish=$n dsb_ishst=$((2 * n)) isb=$((2 * n)) pte=$((2 * n))" ;;
	no-dsb) echo "access=$n dsb_ishst=$n isb=$((2 * n)) pte=$((2 * n)) tlbi_vale2is_$t=$n" ;;
	bad-ttl) echo "access=$n dsb_ish=$n dsb_ishst=$((2 * n)) isb=$((2 * n)) pte=$((2 * n)) tlbi_vale2is_ttl6=$n" ;;
	no-isb) echo "access=$n dsb_ish=$n dsb_ishst=$((2 * n)) pte=$((2 * n)) tlbi_vale2is_$t=$n" ;;
	# Remaps in place (valid -> valid) after the first map; one broadcast unmap at the end.
	no-break) echo "access=$n dsb_ish=1 dsb_ishst=$((n + 1)) isb=$((n + 1)) pte=2 pte_v2v=$((n - 1)) tlbi_vale2is_$t=1" ;;
	esac
}

# One line per CPU of a saved trace: "cN key=count ..." with sorted keys.
histogram() {
	awk '
	/^c[0-9]+ / {
		k = $2
		if (k == "dsb" || k == "dmb") k = k "_" $3
		else if (k == "tlbi") {
			k = "tlbi_" $3
			for (i = 4; i <= NF; i++) if ($i ~ /^ttl=/) k = k "_ttl" substr($i, 5)
		} else if (k == "pte") {
			old = ""; new = ""
			for (i = 3; i <= NF; i++) {
				if ($i ~ /^old=/) old = substr($i, length($i))
				if ($i ~ /^new=/) new = substr($i, length($i))
			}
			if (index("13579bdf", old) && index("13579bdf", new)) k = "pte_v2v"
		}
		n[$1 " " k]++
		cpus[$1] = 1
	}
	END {
		for (c in cpus) {
			line = ""
			cnt = 0
			for (key in n) {
				split(key, p, " ")
				if (p[1] == c) keys[++cnt] = p[2] "=" n[key]
			}
			for (i = 2; i <= cnt; i++) {	# insertion sort
				v = keys[i]
				for (j = i - 1; j >= 1 && keys[j] > v; j--) keys[j + 1] = keys[j]
				keys[j + 1] = v
			}
			for (i = 1; i <= cnt; i++) line = line (i > 1 ? " " : "") keys[i]
			print c " " line
		}
	}' "$1" | sort
}

# boot_case SMP MODE ITERS [-a ...]: runs to completion; sets RC (exit status).
boot_case() {
	local smp=$1 mode=$2 iters=$3 st
	shift 3
	qemu_start -s "$smp" -m "$mode" -i "$iters" "$@"
	st=$?
	# A short run may end before qemu_start saw the gdbstub; it then returned the status.
	if [ "$st" = 0 ]; then
		qemu_wait
		RC=$?
	else
		RC=$st
	fi
}

# drain OUT MODE SMP: saves the rings' events to OUT, the summary (JSON) to
# OUT.sum; fails unless trace exits as the mode's findings want.
drain() {
	"$FM" trace --mem "$QEMU_SHM" --elf "$BUILD/agent.elf" --no-trim -q -j --save "$1" \
		>"$1.sum" 2>"$1.err"
	DRAIN_RC=$?
	[ $DRAIN_RC = "$(mode_rc "$2" "$3")" ]
}

check_mode() { # NAME SMP MODE ITERS OUT
	local name=$1 smp=$2 mode=$3 iters=$4 out=$5 why="" want got c
	if [ "$RC" != 0 ]; then
		why="exit status $RC: $(tr '\r\n' '  ' <"$QEMU_LOG.serial" | tail -c 300)"
	elif ! drain "$out" "$mode" "$smp"; then
		why="fixmapctl trace exited $DRAIN_RC, want $(mode_rc "$mode" "$smp"): $(head -c 300 "$out.err")"
	elif ! grep -q "^cpus $smp\$" "$out"; then
		why="trace does not declare $smp CPUs"
	elif ! grep -q '"lost":0,' "$out.sum" || grep -q '"lost_total":[1-9]' "$out.sum"; then
		why="events lost: $(head -c 300 "$out.sum")"
	else
		want=""
		for ((c = 0; c < smp; c++)); do
			want+="c$c $(pattern "$mode" "$iters")"$'\n'
		done
		got=$(histogram "$out")
		[ "$got" = "${want%$'\n'}" ] || why="events per CPU: got [$(echo "$got" | head -2 | tr '\n' '|')] want [$(echo "$want" | head -1)]"
	fi
	if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
	[ -z "$why" ] && check_rules "$mode" "$smp" "$out"
}

# The findings each mode's sequence gives (DESIGN.md section 4), as distinct
# RULE:SEVERITY words, sorted; MODE SMP. Every CPU maps its slot, uses it and
# unmaps it, on one table all CPUs walk; the last unmap is never followed by a
# map (the trace ends with it pending where maintenance is missing).
mode_rules() {
	case $1 in
	broadcast) ;;
	# the seed: dsb nshst; tlbi vale2; dsb nsh is right when only one CPU walks
	local) [ "$2" -gt 1 ] && echo "${LOCAL_RULES% }" ;;
	# map over a live slot (another output address), one correct unmap at the end
	no-break) echo "bbm-valid-to-valid:error" ;;
	# the map after each unmap without a TLBI; the last unmap never invalidated
	no-tlbi) echo "bbm-no-tlbi:error stale-tlb:error" ;;
	# tlbi vale2is with no DSB before or after; the last one never completed
	no-dsb) echo "bbm-no-dsb-after-tlbi:error bbm-no-dsb-before-tlbi:error stale-tlb:error" ;;
	# a level-2 hint for a level-3 entry
	bad-ttl) echo "tlbi-ttl-mismatch:error" ;;
	# the slot used after the map's dsb without an isb
	no-isb) echo "missing-isb:warning" ;;
	esac
}
# The exit status of trace and check for MODE SMP: 1 when an error is expected.
mode_rc() { case "$(mode_rules "$1" "$2")" in *:error*) echo 1 ;; *) echo 0 ;; esac; }

# check_rules MODE SMP TRACE: the recorded events through `fixmapctl check`:
# exactly the mode's findings, with their severities, and the exit status they
# mean; the live trace found the same.
check_rules() {
	local mode=$1 smp=$2 out=$3 name="check smp=$2 mode=$1" rc want got live
	"$FM" check -j "$out" >"$out.check" 2>"$out.check.err"
	rc=$?
	want=$(mode_rules "$mode" "$smp")
	got=$(json_rules "$out.check")
	live=$(json_rules "$out.sum")
	if [ "$rc" = "$(mode_rc "$mode" "$smp")" ] && [ "${got% }" = "$want" ] && [ "$live" = "$got" ] &&
		grep -q '^{"summary":' "$out.check"; then
		pass "$name"
	else
		fail "$name" "exit $rc, findings [${got% }], live [${live% }], want [$want] $(head -c 200 "$out.check.err")"
	fi
}

# One worker per CPU count, in parallel (QEMU start-up dominates); each with its own files.
for smp in 1 4 8; do
	(
		QEMU_LOG=$TMP/qemu-$smp.log
		nfail=0
		for mode in broadcast local no-break no-tlbi no-dsb bad-ttl no-isb; do
			boot_case "$smp" "$mode" "$ITERS"
			check_mode "boot smp=$smp mode=$mode" "$smp" "$mode" "$ITERS" "$TMP/$mode-$smp.trace"
			qemu_stop
		done
		exit "$nfail"
	) >"$TMP/out-$smp" 2>&1 &
done

# Meanwhile: an undrained ring. 600 iterations x 9 events > 4096 records: the ring
# holds the first 4096 of each CPU, `lost` counts exactly the rest (lost_total in
# the trace summary), and the saved trace ends each CPU's events with that gap.
boot_case 2 broadcast 600
why=""
if [ "$RC" != 0 ]; then
	why="exit status $RC"
elif ! drain "$TMP/full.trace" broadcast 2; then
	why="fixmapctl trace failed: $(head -c 300 "$TMP/full.trace.err")"
else
	want_lost=$((9 * 600 - RING_RECS))
	for c in 0 1; do
		grep -q "{\"cpu\":$c,\"events\":$RING_RECS,\"lost\":[0-9]*,\"lost_total\":$want_lost," \
			"$TMP/full.trace.sum" || why="$why cpu$c"
		n=$(grep "^c$c " "$TMP/full.trace" | grep -vc "^c$c lost ")
		[ "$n" = "$RING_RECS" ] || why="$why cpu$c has $n events saved"
		# The drops follow the ring's last record: one gap at the end of the file.
		grep -q "c$c lost count=$want_lost" "$TMP/full.trace" || why="$why cpu$c has no gap of $want_lost saved"
	done
	[ -z "$why" ] || why="want $RING_RECS events and $want_lost lost per CPU:$why; $(head -c 400 "$TMP/full.trace.sum")"
fi
if [ -z "$why" ]; then pass "full ring counts lost exactly"; else fail "full ring counts lost exactly" "$why"; fi
qemu_stop

# A bad option: message on the UART, exit status 2.
boot_case 1 broadcast 1 -a "fixmap.bogus=1"
if [ "$RC" = 2 ] && grep -q "bad option 'fixmap.bogus=1'" "$QEMU_LOG.serial"; then
	pass "unknown option fails the boot"
else
	fail "unknown option fails the boot" "exit $RC, UART: $(tr '\r\n' '  ' <"$QEMU_LOG.serial")"
fi
qemu_stop
boot_case 1 local 12x
if [ "$RC" = 2 ] && grep -q "bad option 'fixmap.iters=12x'" "$QEMU_LOG.serial"; then
	pass "malformed option fails the boot"
else
	fail "malformed option fails the boot" "exit $RC"
fi
qemu_stop

# An exception is reported (ESR/ELR/FAR) on the UART and ends the run with status 3.
# Only the architecture's fields are asserted: the ISS's register fields (SRT ...)
# name whatever register the compiler chose for the load.
boot_case 2 broadcast 1 -a "fixmap.fault=abort"
esr=$(sed -n 's/.*ESR_EL2=\(0x[0-9a-f]*\).*/\1/p' "$QEMU_LOG.serial" | head -n 1)
far=$(sed -n 's/.*FAR_EL2=\(0x[0-9a-f]*\).*/\1/p' "$QEMU_LOG.serial" | head -n 1)
why=""
if [ "$RC" != 3 ]; then
	why="exit status $RC, want 3"
elif ! grep -q "exception: synchronous" "$QEMU_LOG.serial" || [ -z "$esr" ] || [ -z "$far" ]; then
	why="no exception report"
# ESR_EL2 (Arm ARM D19.2): EC [31:26] = 0x25, a Data Abort taken without a change
# in Exception level; ISS.DFSC [5:0] = 0b0001xx, a translation fault at level xx.
elif [ $(((esr >> 26) & 0x3f)) != $((0x25)) ]; then
	why="ESR_EL2 $esr: EC $(((esr >> 26) & 0x3f)), want 0x25 (data abort at EL2)"
elif [ $((esr & 0x3c)) != 4 ]; then
	why="ESR_EL2 $esr: DFSC $((esr & 0x3f)), want a translation fault (0x4-0x7)"
elif [ $((far)) != $((0x100000000)) ]; then
	why="FAR_EL2 $far, want 0x100000000 (the address read)"
fi
if [ -z "$why" ]; then
	pass "exception reported, run fails"
else
	fail "exception reported, run fails" "$why; UART: $(tr '\r\n' '  ' <"$QEMU_LOG.serial" | tail -c 300)"
fi
qemu_stop

wait
for smp in 1 4 8; do
	cat "$TMP/out-$smp"
	nfail=$((nfail + $(grep -c '^FAIL: ' "$TMP/out-$smp")))
done
finish

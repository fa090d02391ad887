#!/bin/bash
# dump and walk against the agent under QEMU (4 CPUs), over the gdbstub and the
# memory file: the slot table (found by --elf symbol and by magic scan), the
# EL2 table from system registers and from the agent's recorded registers,
# and the walk of a slot's VA down to that CPU's entry.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_build dump-agent "$BUILD/agent.elf"
for mode in broadcast local; do
	qemu_start -s 4 -m $mode || { fail "boot-$mode"; continue; }
	G="--gdb 127.0.0.1:$QEMU_PORT"
	M="--mem $QEMU_SHM"
	# wait until the agent is up on every CPU
	all_online() { [ "$($FM dump $M -j 2>/dev/null | grep -c '"online":true')" = 4 ]; }
	wait_until "$TEST_WAIT" all_online ||
		{ fail "boot-$mode" "not all 4 CPUs online within $TEST_WAIT s"; qemu_stop; continue; }
	for t in gdb mem; do
		if [ $t = gdb ]; then args="$G --elf $BUILD/agent.elf"; else args=$M; fi
		$FM dump $args -j >"$TMP/slots.$t" 2>"$TMP/err" || { fail "slots-$mode-$t" "$(cat "$TMP/err")"; continue; }
		ok=1
		[ "$(wc -l <"$TMP/slots.$t")" -eq 4 ] || ok=0
		pte0=$(sed -n '1s/.*"pte_pa":"\(0x[0-9a-f]*\)".*/\1/p' "$TMP/slots.$t")
		for i in 0 1 2 3; do
			line=$(sed -n "$((i + 1))p" "$TMP/slots.$t")
			va=$(printf '0x%x' $((0x80000000 + i * 4096)))
			pa=$(printf '0x%x' $((pte0 + i * 8)))
			case $line in
			"{\"cpu\":$i,\"online\":true,\"slot_va\":\"$va\",\"pte_pa\":\"$pa\","*) ;;
			*) ok=0; echo "cpu $i: $line" ;;
			esac
		done
		[ $ok = 1 ] && pass "slots-$mode-$t" || fail "slots-$mode-$t" "$(head -c 300 "$TMP/slots.$t")"
	done
	out=$($FM dump $M 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -q "^# agent at 0x[0-9a-f]*: protocol 1\.[0-9]*, running, mode $mode, 4 of" <<<"$out" &&
		pass "slots-header-$mode" || fail "slots-header-$mode" "exit $rc: $(head -c 300 <<<"$out")"
	# EL2 table: system registers (gdb) and the agent's registers (mem) agree; the
	# part outside the fixmap slots is stable while the agent runs
	$FM dump $G --regime el2 --range 0-0x7fffffff >"$TMP/el2.gdb" 2>"$TMP/err"
	rc1=$?
	$FM dump $M --regime el2 --range 0-0x7fffffff >"$TMP/el2.mem" 2>>"$TMP/err"
	rc2=$?
	if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -s "$TMP/el2.gdb" ] && cmp -s "$TMP/el2.gdb" "$TMP/el2.mem" &&
		grep -q 'L2  0x40000000 *RW SHD AF BLK MEM/NORMAL' "$TMP/el2.gdb"; then
		pass "el2-table-$mode"
	else
		fail "el2-table-$mode" "exit $rc1/$rc2 $(cat "$TMP/err"; diff "$TMP/el2.gdb" "$TMP/el2.mem")"
	fi
	# the walk of CPU 2's slot ends at CPU 2's entry
	pte2=$(sed -n '3s/.*"pte_pa":"\(0x[0-9a-f]*\)".*/\1/p' "$TMP/slots.mem")
	for t in gdb mem; do
		if [ $t = gdb ]; then args=$G; else args=$M; fi
		w=$($FM walk $args --cpu 2 -j 0x80002000) || w="exit $?: $w"
		case $w in "{"*"\"level\":3,\"table\":\"0x"*"\"ptep\":\"$pte2\""*) pass "walk-slot-$mode-$t" ;;
		*) fail "walk-slot-$mode-$t" "$w" ;; esac
	done
	qemu_stop
done
finish

#!/bin/bash
# fixmapctl record on the real agent under QEMU 10 with fixmap-plugin.so, 4 CPUs:
# local mode -> bbm-local-tlbi at fixmap_unmap's PCs (exit 1), broadcast -> clean
# (exit 0); a --save file re-checked by `check` gives the same findings; the
# plugin's pte and TLBI events equal the agent's own ring for the same run;
# Ctrl-C (SIGINT) ends with `cut`, the summary and no leftover RAM file.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
. tests/record-lib.sh
record_setup record-agent || { finish; exit; }
findings() { grep -E '^[^ ]+:[0-9]+: (error|warning): ' "$1" | sort; }

# 1. local and broadcast through record, text output with symbols.
for mode in local broadcast; do
	want=0 && [ $mode = local ] && want=1
	"$FM" record --quiet --elf "$BUILD/agent.elf" --save "$TMP/$mode.trace" -- \
		"$Q10" "${AGENT[@]}" -smp 4 -append "fixmap.mode=$mode fixmap.iters=200" \
		>"$TMP/$mode.out" 2>"$TMP/$mode.err"
	rc=$?
	[ $rc = $want ] && pass "record-$mode-exit-$want" ||
		fail "record-$mode-exit-$want" "rc=$rc $(tail -n3 "$TMP/$mode.err")"
	nlocal=$(grep -c ': error: bbm-local-tlbi: ' "$TMP/$mode.out")
	if [ $mode = local ]; then
		# 200 unmaps on each of 4 CPUs with a local TLBI; the finding comes at the
		# next map, so the last unmap of each CPU has none (the trace ends cut:
		# the guest powered off, no TLB survives).
		[ "$nlocal" -eq 796 ] && pass record-local-796-local-tlbi ||
			fail record-local-796-local-tlbi "$nlocal findings"
		# Every finding is in fixmap_unmap (the TLBI and DSBs of its local branch).
		nall=$(findings "$TMP/$mode.out" | wc -l)
		nunmap=$(findings "$TMP/$mode.out" | grep -c ': pc=0x[0-9a-f]* (fixmap_unmap+0x[0-9a-f]*): ')
		[ "$nall" -gt 0 ] && [ "$nall" = "$nunmap" ] && pass record-local-pcs-in-fixmap_unmap ||
			fail record-local-pcs-in-fixmap_unmap "$nunmap of $nall at fixmap_unmap: $(findings "$TMP/$mode.out" | head -n1)"
	else
		# clean, and record did run: the summary counts the events
		[ -z "$(findings "$TMP/$mode.out")" ] && grep -q '^[1-9][0-9]* events, 0 errors, 0 warnings' "$TMP/$mode.out" &&
			pass record-broadcast-clean ||
			fail record-broadcast-clean "$(findings "$TMP/$mode.out" | head -n2) $(tail -n3 "$TMP/$mode.out")"
	fi
	# The saved file, re-checked, gives the same findings (same FILE:LINE).
	"$FM" check --elf "$BUILD/agent.elf" "$TMP/$mode.trace" >"$TMP/$mode.check" 2>&1
	crc=$?
	if [ $crc = $want ] && diff <(findings "$TMP/$mode.out") <(findings "$TMP/$mode.check") >/dev/null; then
		pass "record-$mode-save-rechecks-same"
	else
		fail "record-$mode-save-rechecks-same" "rc=$crc $(diff <(findings "$TMP/$mode.out") <(findings "$TMP/$mode.check") | head -n3)"
	fi
done

# 2. The plugin and the agent's own rings, for the same run: every CPU's table
#    stores and TLBIs, in order, from its first table store on (before it, the
#    plugin also sees the boot code's TLBI, which the agent does not record).
shm=/dev/shm/fixmap-rec-$(id -u)-$$
"$Q10" "${AGENT[@]}" -smp 4 -serial null -append "fixmap.mode=local fixmap.iters=100" \
	-object "memory-backend-file,id=mem,size=256M,mem-path=$shm,share=on" \
	-machine memory-backend=mem -plugin "$PLUGIN,out=$TMP/plugin.trace" >"$TMP/q.log" 2>&1
qrc=$?
"$FM" trace --mem "$shm" --elf "$BUILD/agent.elf" --save "$TMP/ring.trace" -q >/dev/null 2>"$TMP/ring.err"
trc=$? # 1: local mode's errors
rm -f "$shm"
same=0
for c in 0 1 2 3; do
	for f in plugin ring; do
		grep -E "^c$c (pte|tlbi) " "$TMP/$f.trace" |
			sed -e 's/ pc=0x[0-9a-f]*//' -e 's/ table=[^ ]*//' -e 's/ ptep=0x[0-9a-f]*//' |
			sed -n '/ pte /,$p' >"$TMP/$f.$c"
	done
	[ -s "$TMP/ring.$c" ] && cmp -s "$TMP/plugin.$c" "$TMP/ring.$c" && same=$((same + 1))
done
n=$(cat "$TMP"/ring.[0-3] | wc -l)
if [ $qrc = 0 ] && [ $trc = 1 ] && [ $same = 4 ] && [ "$n" -eq $((4 * 100 * 3)) ]; then
	pass plugin-equals-agent-ring
else
	fail plugin-equals-agent-ring "qemu rc=$qrc, trace rc=$trc, $same CPUs equal, $n ring events: $(diff "$TMP/plugin.1" "$TMP/ring.1" | head -n3)"
fi

# 2b. --explain and --perfetto while recording: a lane diagram under each finding,
#     and trace-event JSON whose findings are those of the saved trace.
"$FM" record --quiet --elf "$BUILD/agent.elf" --explain --perfetto "$TMP/rec.json" \
	--save "$TMP/rec.trace" -- "$Q10" "${AGENT[@]}" -smp 4 \
	-append "fixmap.mode=local fixmap.iters=20" >"$TMP/rec.out" 2>"$TMP/rec.err"
rc=$?
if [ $rc = 1 ] && grep -q '^  line cpu0 cpu1 cpu2 cpu3$' "$TMP/rec.out" &&
	grep -Eq '<- wrong: use (tlbi vale2is|dsb ishst)' "$TMP/rec.out" &&
	grep -q '<fixmap_unmap+0x' "$TMP/rec.out" &&
	awk 'length($0) > 100 { bad = 1 } END { exit bad }' "$TMP/rec.out"; then
	pass record-explain
else
	fail record-explain "rc=$rc $(grep -m3 -E 'line cpu|wrong' "$TMP/rec.out") $(tail -n2 "$TMP/rec.err")"
fi
"$FM" check -j "$TMP/rec.trace" >"$TMP/rec.jsonl" 2>/dev/null
rc=$?
[ $rc = 1 ] && python3 tests/tools/trace_event_check.py "$TMP/rec.json" "$TMP/rec.jsonl" >"$TMP/rec.chk" 2>&1 &&
	pass record-perfetto || fail record-perfetto "check exited $rc (want 1); $(head -n3 "$TMP/rec.chk")"

# 3. Ctrl-C: SIGINT to record while the guest runs (iters=0: forever).
"$FM" record --quiet --save "$TMP/int.trace" -- "$Q10" "${AGENT[@]}" -smp 4 \
	-append "fixmap.mode=broadcast fixmap.iters=0" >"$TMP/int.out" 2>"$TMP/int.err" &
rpid=$!
if wait_lines "$TMP/int.trace" 5000; then
	kill -INT $rpid
	wait $rpid
	rc=$?
	if [ $rc = 0 ] && grep -qx cut "$TMP/int.trace" && grep -q '^[0-9]* events, 0 errors' "$TMP/int.out" &&
		! ls /dev/shm/fixmap-record-"$(id -u)"-$rpid >/dev/null 2>&1; then
		pass record-sigint-cut-summary
	else
		fail record-sigint-cut-summary "rc=$rc $(tail -n2 "$TMP/int.out") $(tail -n2 "$TMP/int.err")"
	fi
else
	kill $rpid 2>/dev/null
	wait $rpid
	fail record-sigint-cut-summary "the trace never reached 5000 lines"
fi
finish

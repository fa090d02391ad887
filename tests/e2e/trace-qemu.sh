#!/bin/bash
# fixmapctl trace against the real agent under QEMU on 4 CPUs: over the memory
# file and over the gdbstub, broadcast mode clean, local mode bbm-local-tlbi;
# a saved file re-checked by `fixmapctl check` gives the same findings; SIGINT
# ends with the summary and a complete file; the guest runs on after a gdb trace;
# an agent still booting is waited for (--wait); live traces of 8 CPUs in
# forever mode lose nothing, over both targets, and their findings are those of
# `check` on the saved file; --lossy loses events and marks the gaps.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
ELF=$BUILD/agent.elf
[ -f "$ELF" ] || { skip trace-qemu "no $ELF"; exit 0; }
command -v qemu-system-aarch64 >/dev/null || { skip trace-qemu "no qemu-system-aarch64"; exit 0; }

rules() { grep -o '"rule":"[a-z-]*"' "$1" | sort | uniq -c | tr -s ' '; }
nevents() { sed -n 's/.*{"summary":{"events":\([0-9]*\),.*/\1/p' "$1"; }
# Whether `fixmapctl check` exists in this build (exit 2 with "not available" if not).
check_ok=1
"$FM" check /dev/null 2>&1 | grep -q "not available" && check_ok=0
# Whether trace has the checker (it says so on stderr when it has not): set by the
# first run below (broadcast, which expects no findings either way).
bbm_ok=1
# want_findings NAME FILE: local mode's bbm-local-tlbi (skipped without a checker)
want_findings() {
	if [ $bbm_ok = 0 ]; then
		skip "$1" "no checker in this build"
	elif grep -q '"rule":"bbm-local-tlbi"' "$2" || grep -q 'findings:.*bbm-local-tlbi' "$2"; then
		pass "$1"
	else
		fail "$1" "$(rules "$2")"
	fi
}

# 1. A finished run (no loss): drain once, then re-check the saved file.
for mode in broadcast local; do
	want=0 && [ $mode = local ] && [ $bbm_ok = 1 ] && want=1
	if ! qemu_start -s 4 -m $mode -i 200; then
		fail "mem-$mode-boot" "$(tail -3 "$QEMU_LOG.serial" 2>/dev/null)"
		continue
	fi
	qemu_wait
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --save "$TMP/$mode.trace" -j >"$TMP/$mode.json" 2>"$TMP/$mode.err"
	rc=$?
	grep -q "no checker" "$TMP/$mode.err" && bbm_ok=0
	n=$(nevents "$TMP/$mode.json")
	if [ "$rc" = $want ] && [ "${n:-0}" -eq $((4 * 200 * 9)) ]; then
		pass "mem-$mode-exit-and-events"
	else
		fail "mem-$mode-exit-and-events" "rc=$rc events=$n $(head -c 300 "$TMP/$mode.err")"
	fi
	if [ $mode = local ]; then
		want_findings mem-local-finds-local-tlbi "$TMP/$mode.json"
	else
		[ -z "$(rules "$TMP/$mode.json")" ] && pass mem-broadcast-clean ||
			fail mem-broadcast-clean "$(rules "$TMP/$mode.json")"
	fi
	grep -q '^# agent at 0x' "$TMP/$mode.trace" && grep -q '^fixmap-trace 1$' "$TMP/$mode.trace" &&
		[ "$(grep -c '^c[0-3] ' "$TMP/$mode.trace")" -eq $((4 * 200 * 9)) ] &&
		pass "mem-$mode-save" || fail "mem-$mode-save" "$(grep -c '^c' "$TMP/$mode.trace") event lines"
	if [ $check_ok = 1 ]; then
		"$FM" check -j "$TMP/$mode.trace" >"$TMP/$mode.check" 2>&1
		crc=$?
		if [ $crc = $want ] && [ "$(rules "$TMP/$mode.check")" = "$(rules "$TMP/$mode.json")" ]; then
			pass "mem-$mode-recheck-same-findings"
		else
			fail "mem-$mode-recheck-same-findings" "check rc=$crc: $(rules "$TMP/$mode.check") vs live $(rules "$TMP/$mode.json")"
		fi
	else
		skip "mem-$mode-recheck-same-findings" "no check command in this build"
	fi
	# Drained: a second look finds nothing new.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -j >"$TMP/again.json" 2>&1
	[ "$(nevents "$TMP/again.json")" = 0 ] && pass "mem-$mode-tail-written-back" ||
		fail "mem-$mode-tail-written-back" "$(tail -1 "$TMP/again.json")"
	qemu_stop
done

# gdb_case MODE: over the gdbstub for a second; the guest runs on afterwards.
# The trace may start while the agent still boots: it waits for the header.
gdb_case() {
	local mode=$1 want=0 rc n
	[ $mode = local ] && [ $bbm_ok = 1 ] && want=1
	"$FM" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --wait "$TEST_WAIT" --duration 1 -j \
		>"$TMP/g.json" 2>"$TMP/g.err"
	rc=$?
	if grep -q "not in this build" "$TMP/g.err"; then
		skip "gdb-$mode" "no gdb target in this build"
		return
	fi
	n=$(nevents "$TMP/g.json")
	if [ $rc = $want ] && [ "${n:-0}" -gt 0 ]; then
		pass "gdb-$mode-exit-and-events"
	else
		fail "gdb-$mode-exit-and-events" "rc=$rc events=$n $(head -c 300 "$TMP/g.err")"
	fi
	if [ $mode = local ]; then
		want_findings gdb-local-finds-local-tlbi "$TMP/g.json"
	else
		[ -z "$(rules "$TMP/g.json")" ] && pass gdb-broadcast-clean ||
			fail gdb-broadcast-clean "$(rules "$TMP/g.json")"
	fi
	# The guest was resumed: new events keep arriving in the memory file.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q -j >/dev/null 2>&1
	new_events() { "$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q -j >"$TMP/after.json" 2>/dev/null
		[ "$(nevents "$TMP/after.json")" -gt 0 ]; }
	wait_until "$TEST_WAIT" new_events && pass "gdb-$mode-guest-runs-on" ||
		fail "gdb-$mode-guest-runs-on" "no new event in $TEST_WAIT s: $(tail -1 "$TMP/after.json")"
}

# 2. Live over the memory file while the agent runs forever; SIGINT ends it. Then
#    --count with JSON, and the gdbstub on the same guest.
if qemu_start -s 4 -m local -i 0; then
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --wait "$TEST_WAIT" --follow --save "$TMP/live.trace" -q \
		>"$TMP/live.out" 2>"$TMP/live.err" &
	tpid=$!
	# SIGINT once trace has saved events (it handles SIGINT from before it writes the
	# file; a background job of a script starts with SIGINT ignored until then).
	if ! wait_until "$TEST_WAIT" grep -q '^c[0-3] ' "$TMP/live.trace"; then
		fail mem-live-saves-events "no event saved in $TEST_WAIT s: $(head -c 300 "$TMP/live.err")"
	fi
	kill -INT $tpid 2>/dev/null
	if ! wait_until "$TEST_WAIT" eval "! kill -0 $tpid"; then
		kill -KILL $tpid
		fail mem-live-sigint-ends "still running $TEST_WAIT s after SIGINT"
	fi
	wait $tpid
	rc=$?
	want_findings mem-live-findings "$TMP/live.out"
	if [ $rc = $((bbm_ok)) ] && grep -q '^summary: [1-9][0-9]* events' "$TMP/live.out"; then
		pass mem-live-sigint-summary
	else
		fail mem-live-sigint-summary "rc=$rc $(tail -3 "$TMP/live.out") $(head -c 300 "$TMP/live.err")"
	fi
	last=$(tail -c 1 "$TMP/live.trace" | od -An -c | tr -d ' ')
	if [ "$last" = '\n' ] && [ "$(grep -c '^c[0-3] ' "$TMP/live.trace")" -gt 0 ]; then
		pass mem-live-sigint-file-complete
	else
		fail mem-live-sigint-file-complete "last byte '$last'"
	fi
	if [ $check_ok = 1 ]; then
		"$FM" check "$TMP/live.trace" >"$TMP/live.check" 2>&1
		crc=$?
		want=0 && [ $bbm_ok = 1 ] && want=1
		[ $crc = $want ] && pass mem-live-file-checks ||
			fail mem-live-file-checks "rc=$crc $(tail -2 "$TMP/live.check")"
	fi
	# JSON Lines: every line one object.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --count 300 -j >"$TMP/count.json" 2>"$TMP/count.err"
	bad=$(grep -vc '^{.*}$' "$TMP/count.json")
	[ "$(nevents "$TMP/count.json")" = 300 ] && [ "$bad" = 0 ] && grep -q '"sym":"fixmap_' "$TMP/count.json" &&
		pass mem-count-json || fail mem-count-json "events=$(nevents "$TMP/count.json") non-json=$bad"
	gdb_case local
	qemu_stop
else
	fail mem-live-boot
fi

# 3. Over the gdbstub in broadcast mode, straight after QEMU is up: clean.
if qemu_start -s 4 -m broadcast -i 0; then
	gdb_case broadcast
	qemu_stop
else
	fail gdb-broadcast-boot
fi

# 4. An agent still booting (QEMU stopped at reset, -S): told, and waited for.
if qemu_start -s 2 -m broadcast -i 0 -- -S; then
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --wait 1 >"$TMP/boot1.out" 2>"$TMP/boot1.err"
	rc=$?
	if [ $rc = 2 ] && grep -q 'is still booting (no header yet): waiting up to 1 s' "$TMP/boot1.err" &&
		grep -q 'did not publish its header within 1 s' "$TMP/boot1.err"; then
		pass booting-agent-deadline
	else
		fail booting-agent-deadline "rc=$rc $(cat "$TMP/boot1.err")"
	fi
	# Without --elf the scan finds the image's note, not a header.
	"$FM" dump --mem "$QEMU_SHM" --wait 0 >/dev/null 2>"$TMP/boot2.err"
	rc=$?
	[ $rc = 2 ] && grep -q 'did not publish its header' "$TMP/boot2.err" && pass booting-agent-scan ||
		fail booting-agent-scan "rc=$rc $(cat "$TMP/boot2.err")"
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --wait "$TEST_WAIT" --count 10 -q -j \
		>"$TMP/boot3.json" 2>"$TMP/boot3.err" &
	tpid=$!
	wait_until "$TEST_WAIT" grep -q 'still booting' "$TMP/boot3.err" ||
		fail booting-agent-told "trace never said it waits: $(cat "$TMP/boot3.err")"
	# Let the guest run: connecting stops a running VM, `c` (continue) resumes it.
	(exec 3<>"/dev/tcp/127.0.0.1/$QEMU_PORT" && printf '+$c#63' >&3 && sleep 0.5) 2>/dev/null
	wait_until "$TEST_WAIT" eval "! kill -0 $tpid" || kill $tpid
	wait $tpid
	rc=$?
	[ $rc = 0 ] && [ "$(nevents "$TMP/boot3.json")" = 10 ] && pass booting-agent-waited-for ||
		fail booting-agent-waited-for "rc=$rc $(tail -c 300 "$TMP/boot3.json") $(cat "$TMP/boot3.err")"
	qemu_stop
else
	fail booting-agent-boot
fi

# 5. Lossless: 8 CPUs in forever mode, drained live over both targets. Nothing is
#    lost, and the saved file checks to the findings the live run reported.
summary_field() { sed -n "s/.*{\"summary\":{.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
if qemu_start -s 8 -m local -i 0; then
	for t in mem gdb; do
		if [ $t = mem ]; then tgt="--mem $QEMU_SHM"; else tgt="--gdb 127.0.0.1:$QEMU_PORT"; fi
		"$FM" trace $tgt --elf "$ELF" --wait "$TEST_WAIT" --duration 3 -q -j \
			--save "$TMP/lossless-$t.trace" >"$TMP/lossless-$t.json" 2>"$TMP/lossless-$t.err"
		rc=$?
		lost=$(summary_field "$TMP/lossless-$t.json" lost)
		n=$(nevents "$TMP/lossless-$t.json")
		if [ $rc = $((bbm_ok)) ] && [ "$lost" = 0 ] && [ "${n:-0}" -gt 1000 ] &&
			! grep -q ' lost count=' "$TMP/lossless-$t.trace"; then
			pass "lossless-$t-8-cpus"
		else
			fail "lossless-$t-8-cpus" "rc=$rc events=$n lost=$lost $(grep -c ' lost count=' "$TMP/lossless-$t.trace") gaps; $(head -c 300 "$TMP/lossless-$t.err")"
		fi
		if [ $check_ok = 1 ]; then
			"$FM" check -j "$TMP/lossless-$t.trace" >"$TMP/lossless-$t.check" 2>&1
			if [ "$(rules "$TMP/lossless-$t.check")" = "$(rules "$TMP/lossless-$t.json")" ] &&
				[ "$(summary_field "$TMP/lossless-$t.check" errors)" = "$(summary_field "$TMP/lossless-$t.json" errors)" ]; then
				pass "lossless-$t-recheck-same-findings"
			else
				fail "lossless-$t-recheck-same-findings" "check: $(rules "$TMP/lossless-$t.check") live: $(rules "$TMP/lossless-$t.json")"
			fi
		fi
	done
	# --lossy: the agent at full speed drops events; each gap is counted and saved.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --duration 2 --lossy -q -j \
		--save "$TMP/lossy.trace" >"$TMP/lossy.json" 2>"$TMP/lossy.err"
	lost=$(summary_field "$TMP/lossy.json" lost)
	gaps=$(summary_field "$TMP/lossy.json" gaps)
	if [ "${lost:-0}" -gt 0 ] && [ "${gaps:-0}" -gt 0 ] &&
		[ "$(grep -c '^c[0-7] lost count=[1-9]' "$TMP/lossy.trace")" = "$gaps" ]; then
		pass lossy-gaps-counted-and-saved
	else
		fail lossy-gaps-counted-and-saved "lost=$lost gaps=$gaps saved=$(grep -c 'lost count=' "$TMP/lossy.trace") $(head -c 300 "$TMP/lossy.err")"
	fi
	# The gaps invent nothing: the saved file checks to the live findings.
	if [ $check_ok = 1 ]; then
		"$FM" check -j "$TMP/lossy.trace" >"$TMP/lossy.check" 2>&1
		if [ "$(rules "$TMP/lossy.check")" = "$(rules "$TMP/lossy.json")" ] &&
			[ "$(summary_field "$TMP/lossy.check" errors)" = "$(summary_field "$TMP/lossy.json" errors)" ]; then
			pass lossy-recheck-same-findings
		else
			fail lossy-recheck-same-findings "check: $(rules "$TMP/lossy.check") $(tail -c 200 "$TMP/lossy.check") live: $(rules "$TMP/lossy.json")"
		fi
	fi
	qemu_stop
else
	fail lossless-boot
fi
finish

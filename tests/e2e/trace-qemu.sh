#!/bin/bash
# fixmapctl trace against the real agent under QEMU on 4 CPUs: over the memory
# file and over the gdbstub, broadcast mode clean (exit 0), local mode the
# seed's two errors (exit 1); a saved file re-checked by `fixmapctl check` gives
# the same findings; SIGINT and SIGTERM end with the summary and a complete
# file; the guest runs on after a gdb trace, and stays stopped with
# --stay-stopped; an agent still booting is waited for (--wait); live traces of
# 8 CPUs in forever mode lose nothing, over both targets, and their findings
# are those of `check` on the saved file; --lossy loses events and marks the
# gaps; the drains follow the documented --interval defaults (100 ms over
# --gdb, 5 ms over --mem).
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
ELF=$BUILD/agent.elf
need_build trace-qemu "$ELF"
need_tool trace-qemu qemu-system-aarch64

# Findings of a JSON output, counted: "N RULE:SEVERITY" lines.
rules() { json_findings "$1" | sort | uniq -c | tr -s ' '; }
nevents() { sed -n 's/.*{"summary":{"events":\([0-9]*\),.*/\1/p' "$1"; }
summary_field() { sed -n "s/.*{\"summary\":{.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
# The findings of each mode (LOCAL_RULES: tests/lib.sh) and its exit status.
want_rules() { [ "$1" = local ] && echo "$LOCAL_RULES"; }
want_rc() { [ "$1" = local ] && echo 1 || echo 0; }
# findings_are NAME MODE FILE: the findings of FILE (JSON) are those of the mode
findings_are() {
	local want
	want=$(want_rules "$2")
	[ "$(json_rules "$3")" = "$want" ] && pass "$1" || fail "$1" "[$(json_rules "$3")], want [$want]"
}
# recheck NAME MODE TRACE LIVE_JSON: check -j TRACE exits as the mode wants and
# finds what the live run found, finding for finding
recheck() {
	local name=$1 mode=$2 crc
	"$FM" check -j "$3" >"$3.check" 2>"$3.check.err"
	crc=$?
	if [ $crc = "$(want_rc "$mode")" ] && [ "$(json_rules "$3.check")" = "$(want_rules "$mode")" ] &&
		[ "$(rules "$3.check")" = "$(rules "$4")" ] &&
		[ "$(summary_field "$3.check" errors)" = "$(summary_field "$4" errors)" ]; then
		pass "$name"
	else
		fail "$name" "check rc=$crc: $(rules "$3.check") vs live $(rules "$4") $(head -c 200 "$3.check.err")"
	fi
}
# ends_with_newline FILE
ends_with_newline() { [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }

# 1. A finished run (no loss): drain once, then re-check the saved file.
for mode in broadcast local; do
	want=$(want_rc $mode)
	if ! qemu_start -s 4 -m $mode -i 200; then
		fail "mem-$mode-boot" "$(tail -3 "$QEMU_LOG.serial" 2>/dev/null)"
		continue
	fi
	qemu_wait
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --save "$TMP/$mode.trace" -j >"$TMP/$mode.json" 2>"$TMP/$mode.err"
	rc=$?
	n=$(nevents "$TMP/$mode.json")
	if [ "$rc" = "$want" ] && [ "${n:-0}" -eq $((4 * 200 * 9)) ]; then
		pass "mem-$mode-exit-and-events"
	else
		fail "mem-$mode-exit-and-events" "rc=$rc events=$n $(head -c 300 "$TMP/$mode.err")"
	fi
	findings_are "mem-$mode-findings" $mode "$TMP/$mode.json"
	grep -q '^# agent at 0x' "$TMP/$mode.trace" && grep -q '^fixmap-trace 1$' "$TMP/$mode.trace" &&
		[ "$(grep -c '^c[0-3] ' "$TMP/$mode.trace")" -eq $((4 * 200 * 9)) ] &&
		pass "mem-$mode-save" || fail "mem-$mode-save" "$(grep -c '^c' "$TMP/$mode.trace") event lines"
	recheck "mem-$mode-recheck-same-findings" $mode "$TMP/$mode.trace" "$TMP/$mode.json"
	# Drained: a second look finds nothing new (and so nothing to report).
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -j >"$TMP/again.json" 2>&1
	rc=$?
	[ $rc = 0 ] && [ "$(nevents "$TMP/again.json")" = 0 ] && pass "mem-$mode-tail-written-back" ||
		fail "mem-$mode-tail-written-back" "exit $rc: $(tail -1 "$TMP/again.json")"
	qemu_stop
done

# new_events: the agent wrote events since the last drain of the memory file
new_events() {
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q -j >"$TMP/after.json" 2>/dev/null
	[ "$(nevents "$TMP/after.json")" -gt 0 ]
}
# gdb_case MODE: over the gdbstub for a second; the guest runs on afterwards.
# The trace may start while the agent still boots: it waits for the header.
gdb_case() {
	local mode=$1 want rc n
	want=$(want_rc "$mode")
	"$FM" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --wait "$TEST_WAIT" --duration 1 -j \
		>"$TMP/g.json" 2>"$TMP/g.err"
	rc=$?
	n=$(nevents "$TMP/g.json")
	if [ $rc = "$want" ] && [ "${n:-0}" -gt 0 ]; then
		pass "gdb-$mode-exit-and-events"
	else
		fail "gdb-$mode-exit-and-events" "rc=$rc events=$n $(head -c 300 "$TMP/g.err")"
	fi
	findings_are "gdb-$mode-findings" "$mode" "$TMP/g.json"
	# The guest was resumed: new events keep arriving in the memory file.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q -j >/dev/null 2>&1
	wait_until "$TEST_WAIT" new_events && pass "gdb-$mode-guest-runs-on" ||
		fail "gdb-$mode-guest-runs-on" "no new event in $TEST_WAIT s: $(tail -1 "$TMP/after.json")"
}

# signal_case NAME SIGNAL: a --follow trace of the running local agent ended by
# SIGNAL: exit status 1 (its findings), the summary, a complete --save file
# (which signal_recheck checks to the same findings once QEMU is gone).
signal_case() {
	local name=$1 sig=$2 tpid rc
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --wait "$TEST_WAIT" --follow --save "$TMP/$sig.trace" -q -j \
		>"$TMP/$sig.json" 2>"$TMP/$sig.err" &
	tpid=$!
	# Signal once trace has saved events (it handles the signal from before it writes
	# the file; a background job of a script starts with SIGINT ignored until then).
	if ! wait_until "$TEST_WAIT" grep -q '^c[0-3] ' "$TMP/$sig.trace"; then
		fail "$name" "no event saved in $TEST_WAIT s: $(head -c 300 "$TMP/$sig.err")"
	fi
	kill -"$sig" $tpid 2>/dev/null
	if ! wait_until "$TEST_WAIT" eval "! kill -0 $tpid"; then
		kill -KILL $tpid
		fail "$name-ends" "still running $TEST_WAIT s after SIG$sig"
	fi
	wait $tpid
	rc=$?
	if [ $rc = 1 ] && [ "$(nevents "$TMP/$sig.json")" -gt 0 ]; then
		pass "$name-summary"
	else
		fail "$name-summary" "rc=$rc $(tail -c 300 "$TMP/$sig.json") $(head -c 300 "$TMP/$sig.err")"
	fi
	findings_are "$name-findings" local "$TMP/$sig.json"
	if ends_with_newline "$TMP/$sig.trace" && [ "$(grep -c '^c[0-3] ' "$TMP/$sig.trace")" -gt 0 ]; then
		pass "$name-file-complete"
	else
		fail "$name-file-complete" "last byte '$(tail -c 1 "$TMP/$sig.trace" | od -An -c)'"
	fi
}
signal_recheck() { recheck "$1-file-checks" local "$TMP/$2.trace" "$TMP/$2.json"; }

# 2. Live over the memory file while the agent runs forever; SIGINT, then
#    SIGTERM, ends it. Then --count with JSON, and the gdbstub on the same guest.
if qemu_start -s 4 -m local -i 0; then
	signal_case mem-live-sigint INT
	signal_case mem-live-sigterm TERM
	# JSON Lines: every line one object. The end of a stream cut at --count is
	# not judged, but its 300 events hold the local mode's errors.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --count 300 -j >"$TMP/count.json" 2>"$TMP/count.err"
	rc=$?
	bad=$(grep -vc '^{.*}$' "$TMP/count.json")
	[ $rc = 1 ] && [ "$(nevents "$TMP/count.json")" = 300 ] && [ "$bad" = 0 ] &&
		grep -q '"sym":"fixmap_' "$TMP/count.json" &&
		pass mem-count-json || fail mem-count-json "exit $rc, events=$(nevents "$TMP/count.json") non-json=$bad"
	gdb_case local
	qemu_stop
	signal_recheck mem-live-sigint INT
	signal_recheck mem-live-sigterm TERM
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
#    lost, and the saved file checks to the findings the live run reported (checked
#    after QEMU is gone: the agent at full speed on 8 vCPUs would slow it down).
if qemu_start -s 8 -m local -i 0; then
	for t in mem gdb; do
		if [ $t = mem ]; then tgt="--mem $QEMU_SHM"; else tgt="--gdb 127.0.0.1:$QEMU_PORT"; fi
		"$FM" trace $tgt --elf "$ELF" --wait "$TEST_WAIT" --duration 3 -q -j \
			--save "$TMP/lossless-$t.trace" >"$TMP/lossless-$t.json" 2>"$TMP/lossless-$t.err"
		rc=$?
		lost=$(summary_field "$TMP/lossless-$t.json" lost)
		n=$(nevents "$TMP/lossless-$t.json")
		if [ $rc = 1 ] && [ "$lost" = 0 ] && [ "${n:-0}" -gt 1000 ] &&
			! grep -q ' lost count=' "$TMP/lossless-$t.trace"; then
			pass "lossless-$t-8-cpus"
		else
			fail "lossless-$t-8-cpus" "rc=$rc events=$n lost=$lost $(grep -c ' lost count=' "$TMP/lossless-$t.trace") gaps; $(head -c 300 "$TMP/lossless-$t.err")"
		fi
	done
	# --lossy: the agent at full speed drops events; each gap is counted and saved.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --duration 2 --lossy -q -j \
		--save "$TMP/lossy.trace" >"$TMP/lossy.json" 2>"$TMP/lossy.err"
	rc=$?
	lost=$(summary_field "$TMP/lossy.json" lost)
	gaps=$(summary_field "$TMP/lossy.json" gaps)
	if [ $rc = 1 ] && [ "${lost:-0}" -gt 0 ] && [ "${gaps:-0}" -gt 0 ] &&
		[ "$(grep -c '^c[0-7] lost count=[1-9]' "$TMP/lossy.trace")" = "$gaps" ]; then
		pass lossy-gaps-counted-and-saved
	else
		fail lossy-gaps-counted-and-saved "exit $rc, lost=$lost gaps=$gaps saved=$(grep -c 'lost count=' "$TMP/lossy.trace") $(head -c 300 "$TMP/lossy.err")"
	fi
	qemu_stop
	for t in mem gdb; do
		recheck "lossless-$t-recheck-same-findings" local "$TMP/lossless-$t.trace" "$TMP/lossless-$t.json"
	done
	# The gaps invent nothing: the saved file checks to the live findings.
	recheck lossy-recheck-same-findings local "$TMP/lossy.trace" "$TMP/lossy.json"
else
	fail lossless-boot
fi

# 6. --stay-stopped leaves the guest stopped after a gdb trace; the drains of a
#    --duration run follow the --interval defaults: the summary names the
#    interval in use, and the drains are bounded from above by it (no more than
#    duration / interval + 2; a busy machine only makes them fewer).
if qemu_start -s 2 -m broadcast -i 0 && qemu_wait_agent "$TEST_WAIT"; then
	"$FM" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --duration 2 --stay-stopped -q -j \
		>"$TMP/stay.json" 2>"$TMP/stay.err"
	rc=$?
	drains=$(summary_field "$TMP/stay.json" drains)
	[ $rc = 0 ] && [ "$(nevents "$TMP/stay.json")" -gt 0 ] && pass gdb-stay-stopped-trace ||
		fail gdb-stay-stopped-trace "exit $rc: $(tail -c 300 "$TMP/stay.json") $(head -c 300 "$TMP/stay.err")"
	iv=$(summary_field "$TMP/stay.json" interval_ms)
	[ "$iv" = 100 ] && [ "${drains:-0}" -ge 1 ] && [ "$drains" -le 22 ] &&
		pass "gdb-interval-default-100ms ($drains drains in 2 s)" ||
		fail gdb-interval-default-100ms "interval ${iv:-?} ms, $drains drains in 2 s, want 100 ms, 1 to 22"
	# Stopped: what the trace left in the rings is all there is, twice over.
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q -j >"$TMP/s1.json" 2>&1
	rc1=$?
	"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" --duration 1 -q -j >"$TMP/s2.json" 2>&1
	rc2=$?
	drains=$(summary_field "$TMP/s2.json" drains)
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(nevents "$TMP/s2.json")" = 0 ]; then
		pass gdb-stay-stopped-guest-stopped
	else
		fail gdb-stay-stopped-guest-stopped "exit $rc1/$rc2, $(nevents "$TMP/s2.json") events while stopped"
	fi
	iv=$(summary_field "$TMP/s2.json" interval_ms)
	[ "$iv" = 5 ] && [ "${drains:-0}" -ge 1 ] && [ "$drains" -le 202 ] &&
		pass "mem-interval-default-5ms ($drains drains in 1 s)" ||
		fail mem-interval-default-5ms "interval ${iv:-?} ms, $drains drains in 1 s, want 5 ms, 1 to 202"
	# ... until someone resumes it.
	(exec 3<>"/dev/tcp/127.0.0.1/$QEMU_PORT" && printf '+$c#63' >&3 && sleep 0.5) 2>/dev/null
	wait_until "$TEST_WAIT" new_events && pass gdb-stay-stopped-resumes ||
		fail gdb-stay-stopped-resumes "no new event in $TEST_WAIT s after c"
	qemu_stop
else
	fail stay-stopped-boot
fi
finish

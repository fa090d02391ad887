#!/bin/bash
# The test harness itself (tests/lib.sh, scripts/qemu-lib.sh, tests/run-tests.sh):
#  - a test's QEMU survives what subshells do: qemu_stop, exit, an EXIT trap
#    run in a command substitution or a background job, SIGTERM to a watchdog
#    (agent_ctrl.sh once lost its QEMU and memory file that way);
#  - the test's own exit, normal or by SIGTERM (the runner's timeout), ends its
#    QEMU and removes its memory file, log and $TMP;
#  - wait_until gives up after its deadline;
#  - run-tests.sh counts a non-zero exit without a FAIL line (a sanitizer's
#    86/87) as a failure, lists skips by name, and fails a skipped third-party
#    target under CI=true.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
[ -f "$BUILD/agent.elf" ] || { fail harness "no $BUILD/agent.elf"; finish; }

alive() { kill -0 "$QEMU_PID" 2>/dev/null && [ -f "$QEMU_SHM" ]; }

if ! qemu_start -s 1 -m broadcast -i 0; then
	fail harness-qemu-start "$(tail -3 "$QEMU_LOG" 2>/dev/null)"
	finish
fi
# What subshells do to the test's QEMU: nothing.
x=$(qemu_stop; echo done)
alive && [ "$x" = done ] && pass subshell-qemu-stop-in-command-substitution ||
	fail subshell-qemu-stop-in-command-substitution "QEMU $QEMU_PID or $QEMU_SHM gone"
(qemu_stop)
alive && pass subshell-qemu-stop || fail subshell-qemu-stop "QEMU $QEMU_PID or $QEMU_SHM gone"
x=$(trap 'qemu_stop' EXIT; exit 3)
alive && pass exit-trap-in-command-substitution || fail exit-trap-in-command-substitution
# A watchdog in the background (it inherits the test's traps), ended by SIGTERM
# at once: a signal that reaches it while bash forks it runs the test's traps
# in it with the test's $BASHPID (this_shell); 20 times, to meet that window.
for i in $(seq 20); do
	(while :; do sleep 1; done) 2>/dev/null &
	w=$!
	kill -TERM $w
	# bash itself may drop a signal that reaches a subshell while it forks (it
	# resets the traps it inherited): until the watchdog has ended (a zombie
	# or gone), send it again every 2 s, and only then wait for it.
	n=0
	while [ -e "/proc/$w" ] && [ "$(cut -d' ' -f3 "/proc/$w/stat" 2>/dev/null)" != Z ]; do
		n=$((n + 1))
		[ $((n % 20)) = 0 ] && kill -TERM $w 2>/dev/null
		sleep 0.1
	done
	wait $w 2>/dev/null
	alive || break
done
alive && [ -d "$TMP" ] && pass watchdog-sigterm || fail watchdog-sigterm "QEMU $QEMU_PID, $QEMU_SHM or $TMP gone (watchdog $i)"
(exit 1)
[ -d "$TMP" ] && pass subshell-exit-keeps-tmp || fail subshell-exit-keeps-tmp
pid=$QEMU_PID shm=$QEMU_SHM
qemu_stop
! kill -0 "$pid" 2>/dev/null && [ ! -e "$shm" ] && [ -z "$QEMU_PID" ] && pass qemu-stop-in-owner ||
	fail qemu-stop-in-owner "QEMU $pid or $shm still there"

# A test that ends (normally, by SIGTERM): its QEMU and files go with it.
cat >"$TMP/child.sh" <<'EOF'
#!/bin/bash
cd "$1" || exit 1
. tests/lib.sh
qemu_start -s 1 -m broadcast -i 0 || exit 9
echo "$QEMU_PID $QEMU_SHM $QEMU_LOG $TMP" >"$2"
[ "$3" = wait ] && while :; do sleep 0.1; done
exit 0
EOF
chmod +x "$TMP/child.sh"
for how in exit term; do
	rm -f "$TMP/child.out"
	if [ $how = exit ]; then
		"$TMP/child.sh" "$PWD" "$TMP/child.out"
		rc=$?
	else
		"$TMP/child.sh" "$PWD" "$TMP/child.out" wait &
		c=$!
		wait_until "$TEST_WAIT" test -s "$TMP/child.out"
		kill -TERM $c
		wait $c
		rc=$?
	fi
	read -r cpid cshm clog ctmp <"$TMP/child.out"
	gone() { ! kill -0 "$cpid" 2>/dev/null && [ ! -e "$cshm" ] && [ ! -e "$clog" ] && [ ! -e "$ctmp" ]; }
	if [ -n "$cpid" ] && wait_until "$TEST_WAIT" gone; then
		pass "test-$how-cleans-up (exit $rc)"
	else
		fail "test-$how-cleans-up" "exit $rc; QEMU $cpid, $cshm, $clog or $ctmp left"
		kill "$cpid" 2>/dev/null
	fi
done

# wait_until: false after its deadline, true as soon as the condition holds.
t0=$SECONDS
! wait_until 1 false && [ $((SECONDS - t0)) -le 3 ] && wait_until 1 true && pass wait-until-deadline ||
	fail wait-until-deadline

# run-tests.sh on stand-in tests.
mkdir -p "$TMP/rt"
printf '#!/bin/sh\necho "PASS: fine"\nexit 86\n' >"$TMP/rt/sanitizer.sh"
printf '#!/bin/sh\nexit 87\n' >"$TMP/rt/silent.sh"
printf '#!/bin/sh\necho "PASS: one"\necho "SKIP: two (offline) [third-party]"\necho "SKIP: three (no tool)"\n' >"$TMP/rt/skips.sh"
printf '#!/bin/sh\nexit 77\n' >"$TMP/rt/whole.sh"
chmod +x "$TMP"/rt/*.sh
out=$(CI= BUILD=$TMP/rt/build tests/run-tests.sh "$TMP/rt/sanitizer.sh" "$TMP/rt/silent.sh")
rc=$?
[ $rc -ne 0 ] && grep -q '^1 passed, 2 failed, 0 skipped$' <<<"$out" && pass runner-nonzero-exit-fails ||
	fail runner-nonzero-exit-fails "exit $rc: $out"
out=$(CI= BUILD=$TMP/rt/build tests/run-tests.sh "$TMP/rt/skips.sh" "$TMP/rt/whole.sh")
rc=$?
[ $rc -eq 0 ] && grep -q '^1 passed, 0 failed, 3 skipped (skips.sh: two; skips.sh: three; whole.sh: whole.sh)$' <<<"$out" &&
	pass runner-lists-skips || fail runner-lists-skips "exit $rc: $out"
printf '#!/bin/sh\nexit 0\n' >"$TMP/rt/quiet.sh"
printf '#!/bin/sh\necho "PASS: first"\nexit 77\n' >"$TMP/rt/late.sh"
chmod +x "$TMP/rt/quiet.sh" "$TMP/rt/late.sh"
out=$(CI= BUILD=$TMP/rt/build TEST_JOBS=2 tests/run-tests.sh "$TMP/rt/quiet.sh" "$TMP/rt/late.sh")
rc=$?
[ $rc -ne 0 ] && grep -q '^1 passed, 1 failed, 1 skipped (late.sh: late.sh)$' <<<"$out" &&
	grep -q '^FAIL: quiet.sh printed no PASS, FAIL or SKIP line' "$TMP/rt/build/test-logs/quiet.sh.log" &&
	pass runner-silent-test-fails || fail runner-silent-test-fails "exit $rc: $out"
out=$(CI=true BUILD=$TMP/rt/build tests/run-tests.sh "$TMP/rt/skips.sh")
rc=$?
[ $rc -ne 0 ] && grep -q '^1 passed, 1 failed, 1 skipped (skips.sh: three)$' <<<"$out" &&
	grep -q 'FAIL: two (offline) (a third-party target skipped under CI=true)' "$TMP/rt/build/test-logs/skips.sh.log" &&
	pass runner-ci-fails-third-party-skip || fail runner-ci-fails-third-party-skip "exit $rc: $out"
finish

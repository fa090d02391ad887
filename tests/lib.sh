# Helpers for tests/e2e/*.sh (bash): sourced, after `cd` to the repository root.
#   pass NAME / fail NAME [why] / skip NAME [why]   print one case result
#   wait_until SECS CMD...   runs CMD (its output discarded) every 0.1 s until it
#                            succeeds; returns 1 if it did not within SECS
# A test script sources this, runs its cases, and ends with `finish`.
#
# Tests wait for conditions (a log line, the agent's header, a state), never for
# a fixed time, with deadlines long enough for a loaded machine (TEST_WAIT, default
# 60 s): a deadline only bounds a hang, so a generous one costs nothing when all is well.
. scripts/qemu-lib.sh
FM=${FM:-$BUILD/fixmapctl-san}
TEST_WAIT=${TEST_WAIT:-60}
TMP=$(mktemp -d /tmp/fixmap-test-XXXXXX)
# Subshells inherit this trap: qemu_stop ends only their own QEMU, and only the
# test's own shell removes $TMP.
trap 'qemu_stop; [ "$BASHPID" = "$$" ] && rm -rf "$TMP"' EXIT
# A signal (e.g. the runner's timeout) ends the test; the EXIT trap cleans up.
trap 'exit 1' INT TERM
nfail=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }
skip() { echo "SKIP: $1${2:+ ($2)}"; }
finish() { [ "$nfail" -eq 0 ]; exit $?; }
wait_until()
{
	local n=$(($1 * 10))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $((n -= 1)) -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

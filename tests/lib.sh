# Helpers for tests/e2e/*.sh: sourced, after `cd` to the repository root.
#   pass NAME / fail NAME [why] / skip NAME [why]   print one case result
# A test script sources this, runs its cases, and ends with `finish`.
. scripts/qemu-lib.sh
FM=${FM:-$BUILD/fixmapctl-san}
TMP=$(mktemp -d /tmp/fixmap-test-XXXXXX)
trap 'qemu_stop; rm -rf "$TMP"' EXIT
# A signal (e.g. the runner's timeout) ends the test; the EXIT trap cleans up.
trap 'exit 1' INT TERM
nfail=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }
skip() { echo "SKIP: $1${2:+ ($2)}"; }
finish() { [ "$nfail" -eq 0 ]; exit $?; }

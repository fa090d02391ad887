# Helpers for tests/e2e/*.sh (bash): sourced, after `cd` to the repository root.
#   pass NAME / fail NAME [why] / skip NAME [why]   print one case result
#   skip_real NAME WHY       a case that stands for a real third-party target (a
#                            downloaded kernel, QEMU 10) cannot run: a SKIP that
#                            run-tests.sh counts as a failure under CI=true
#   lint_cases OUT           assembles tests/lint/cases.S into the ELF OUT, linked
#                            at 0x40200000 (the AArch64 binutils of the agent's
#                            build, else clang + lld); sets AS, LD, OBJCOPY, NM,
#                            STRIP; 77 with the reason in WHY without a toolchain
#   wait_until SECS CMD...   runs CMD (its output discarded) every 0.1 s until it
#                            succeeds; returns 1 if it did not within SECS
# A test script sources this, runs its cases, and ends with `finish`.
#
# Tests wait for conditions (a log line, the agent's header, a state), never for
# a fixed time, with deadlines long enough for a loaded machine (TEST_WAIT, default
# 60 s): a deadline only bounds a hang, so a generous one costs nothing when all is well.
. scripts/qemu-lib.sh
FM=${FM:-$BUILD/fixmapctl-san}
# A sanitizer report exits 86 or 87, never 1 (findings) or 2 (bad input).
case ${ASAN_OPTIONS:-} in *exitcode=*) ;; *) export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;; esac
case ${UBSAN_OPTIONS:-} in *exitcode=*) ;; *) export UBSAN_OPTIONS="exitcode=87${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" ;; esac
TEST_WAIT=${TEST_WAIT:-60}
TMP=$(mktemp -d /tmp/fixmap-test-XXXXXX)
# Subshells may run this trap (scripts/qemu-lib.sh, this_shell): qemu_stop ends
# only their own QEMU, and only the test's own shell removes $TMP.
trap 'qemu_stop; this_shell $$ && rm -rf "$TMP"' EXIT
# A signal (e.g. the runner's timeout) ends the test; the EXIT trap cleans up.
trap 'exit 1' INT TERM
nfail=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }
skip() { echo "SKIP: $1${2:+ ($2)}"; }
skip_real() { echo "SKIP: $1 (${2:-no reason given}) [third-party]"; }
# json_findings FILE: a RULE:SEVERITY line per finding of a JSON output (-j);
# json_rules FILE: the distinct ones, "RULE:SEVERITY RULE:SEVERITY " (sorted).
json_findings() { sed -n 's/.*"severity":"\([a-z]*\)","rule":"\([a-z0-9-]*\)".*/\2:\1/p' "$1"; }
json_rules() { json_findings "$1" | sort -u | tr '\n' ' '; }
# The agent's local mode is the seed's sequence (dsb nshst; tlbi vale2; dsb
# nsh) on a table more than one CPU walks: both errors of
# tests/traces/seed-local.trace, exit status 1. Broadcast mode: none, 0.
LOCAL_RULES="bbm-dsb-domain:error bbm-local-tlbi:error "
# need_build NAME FILE: FILE is built by make check; without it the test fails.
need_build() { [ -e "$2" ] && return 0; fail "$1" "no $2 (make check builds it)"; finish; }
# need_tool NAME CMD: CMD comes from scripts/deps.sh; without it the test is
# skipped, which fails under CI=true like a missing third-party target.
need_tool() { command -v "$2" >/dev/null && return 0; skip_real "$1" "no $2 (scripts/deps.sh installs it)"; exit 0; }
finish() { [ "$nfail" -eq 0 ]; exit $?; }
lint_cases()
{
	if command -v aarch64-linux-gnu-as >/dev/null && command -v aarch64-linux-gnu-ld >/dev/null; then
		AS="aarch64-linux-gnu-as -march=armv8.4-a"
		LD=aarch64-linux-gnu-ld
		OBJCOPY=aarch64-linux-gnu-objcopy
		NM=aarch64-linux-gnu-nm
		STRIP=aarch64-linux-gnu-strip
	elif command -v clang >/dev/null && command -v ld.lld >/dev/null; then
		AS="clang --target=aarch64-none-elf -march=armv8.4-a -c -x assembler"
		LD=ld.lld
		OBJCOPY=llvm-objcopy
		NM=llvm-nm
		STRIP=llvm-strip
	else
		WHY="no AArch64 assembler: aarch64-linux-gnu-as or clang + ld.lld"
		return 77
	fi
	WHY="could not assemble tests/lint/cases.S"
	$AS -o "$1.o" tests/lint/cases.S && $LD -Ttext=0x40200000 -e ok_broadcast -o "$1" "$1.o"
}
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

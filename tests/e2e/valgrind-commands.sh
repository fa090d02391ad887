#!/bin/bash
# One end-to-end run of each command under valgrind (memcheck, the optimized
# non-sanitized build): no invalid access, no use of uninitialised values, no
# definite leak. The agent runs a finite workload under QEMU on 2 CPUs, so the
# memory file holds its final state; a second QEMU keeps running for --gdb.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_tool valgrind valgrind
need_build valgrind "$BUILD/agent.elf"
FMV=$BUILD/fixmapctl
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"

# vg NAME WANT_STATUS CMD...: runs CMD under valgrind; passes when its status is
# WANT and it printed something (view prints its screen to --dump-screen).
vg() {
	local name=$1 want=$2 rc
	shift 2
	$VG "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	case $name in
	view*) [ -s "$TMP/screen.txt" ] || rc="$rc with an empty screen" ;;
	*) [ -s "$TMP/$name.out" ] || rc="$rc with nothing on stdout" ;;
	esac
	if [ "$rc" = "$want" ]; then
		pass "valgrind-$name"
	else
		fail "valgrind-$name" "status $rc, want $want: $(grep -m5 '==' "$TMP/$name.err" | tr '\n' ' ' | head -c 400)"
	fi
}

vg check 1 "$FMV" check tests/traces/seed-local.trace
vg check-json 1 "$FMV" check -j tests/traces/seed-local.trace
vg check-explain 1 "$FMV" check --explain tests/traces/seed-local.trace
vg check-explain-json 1 "$FMV" check --explain -j tests/traces/stale-access.trace
vg export 0 "$FMV" export --perfetto "$TMP/t.json" tests/traces/seed-local.trace
vg lint 1 "$FMV" lint "$BUILD/agent.elf"
vg lint-sarif 1 "$FMV" lint --sarif "$BUILD/agent.elf"
vg symbols 0 "$FMV" symbols "$BUILD/agent.elf"
# A small Image with kallsyms tables (the fuzz seed, without its mode byte).
tail -c +2 tests/fuzz/kallsyms/6.1-seqs-rela >"$TMP/Image"
vg symbols-image 0 "$FMV" symbols --stats "$TMP/Image"
vg lint-image 0 "$FMV" lint "$TMP/Image"

qemu_start -s 2 -m local -i 50 || { fail "valgrind-boot"; finish; }
qemu_wait
M="--mem $QEMU_SHM --elf $BUILD/agent.elf"
vg dump 0 "$FMV" dump $M
vg dump-table 0 "$FMV" dump $M --regime el2
vg walk 0 "$FMV" walk $M 0x80001000
vg trace 1 "$FMV" trace $M --save "$TMP/t.trace"
vg view 0 "$FMV" view $M --iterations 3 --dump-screen "$TMP/screen.txt"
rm -f "$TMP/screen.txt"
vg view-explain 0 "$FMV" view $M --iterations 4 --keys je --dump-screen "$TMP/screen.txt"
qemu_stop

qemu_start -s 2 -m broadcast -i 0 || { fail "valgrind-boot-gdb"; finish; }
vg trace-gdb 0 "$FMV" trace --gdb "127.0.0.1:$QEMU_PORT" --elf "$BUILD/agent.elf" --wait "$TEST_WAIT" --duration 1 -q
vg dump-gdb 0 "$FMV" dump --gdb "127.0.0.1:$QEMU_PORT" --regime el2
finish

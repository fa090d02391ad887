#!/bin/bash
# fixmapctl view, interactively in tmux, against the agent under QEMU on 4 CPUs:
# broadcast mode (slot rows, detail pane, help, q restores the terminal), then
# local mode (a finding highlighted in red, none with NO_COLOR; SIGTERM, SIGINT
# and SIGHUP restore the terminal), then a lost gdb target (said on screen,
# last state kept), and batch mode over the gdbstub.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_build view-qemu "$BUILD/agent.elf"
need_tool view-qemu tmux
need_tool view-qemu qemu-system-aarch64

SOCK=fixmap-view-$$ # our own tmux servers: killing them touches nobody else's
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
# (tests/lib.sh's INT/TERM trap stays: a signal ends the test, this cleans up)
trap 'this_shell $$ && T kill-server 2>/dev/null; qemu_stop; this_shell $$ && rm -rf "$TMP"' EXIT
FMA=$(realpath "$FM")
ELF=$(realpath "$BUILD/agent.elf")

screen() { T capture-pane -p -t view; }
# Until the agent has published its shared area (QEMU is up before the agent is).
wait_agent() { qemu_wait_agent "$TEST_WAIT"; }
# wait_for REGEX [SECONDS]: until the pane shows it
shows() { screen | grep -Eq -- "$1"; }
wait_for() { wait_until "${2:-$TEST_WAIT}" shows "$1"; }
# wait_gone REGEX [SECONDS]: until the pane no longer shows it
hides() { ! shows "$1"; }
wait_gone() { wait_until "${2:-$TEST_WAIT}" hides "$1"; }
# A shell in a fixed-size pane; the viewer runs in it and the shell reports its status.
# Each on a server of its own: kill-server returns before the old server has
# gone, and a session started on its socket then can reach the dying server
# ("server exited unexpectedly", seen on a loaded machine).
NSHELL=0
start_shell() {
	T kill-server 2>/dev/null
	SOCK=fixmap-view-$$-$((NSHELL += 1))
	T new-session -d -s view -x 150 -y 45 "env -i PATH=$PATH HOME=$TMP HISTFILE=/dev/null TERM=screen PS1='fmshell\$ ' bash --norc --noprofile -i"
	wait_for 'fmshell\$'
}
run_view() { # args... (VIEW_ENV: NAME=VALUE words for its environment)
	rm -f "$TMP/view.pid"
	T send-keys -t view "clear; sh -c 'echo \$\$ >$TMP/view.pid; exec env $VIEW_ENV $FMA view $*' 2>$TMP/view.err; echo VIEW-EXIT=\$?" Enter
	wait_until "$TEST_WAIT" test -s "$TMP/view.pid"
}
# After the viewer: the shell prompt is back with the terminal in cooked mode.
check_restored() { # name expected-status
	if wait_for "^VIEW-EXIT=$2" && wait_for 'fmshell\$ *$'; then
		T send-keys -t view 'stty -a | tr " " "\n" | grep -Ex -- "-?(icanon|echo)" | tr "\n" " "; echo; echo STTY-DONE' Enter
		wait_for '^STTY-DONE'
		if screen | grep -q '^icanon echo'; then
			pass "$1"
		else
			fail "$1" "terminal not restored: $(screen | grep -E 'icanon' | tail -1)"
		fi
	else
		fail "$1" "viewer did not end with status $2: $(screen | tail -5 | tr '\n' '|') $(cat $TMP/view.err)"
	fi
}

# ---- broadcast ----
qemu_start -s 4 -m broadcast && wait_agent || { fail view-qemu-start; finish; }
start_shell || fail view-shell
run_view --mem "$QEMU_SHM" --elf "$ELF"
# Every CPU's row shows its last sequence once that CPU has unmapped (on a
# busy machine some CPUs get there later than others).
slot_rows() { screen | grep -cE '^[ >][ !]cpu[0-3] +0x8000[0-3]000 +0x[0-9a-f]{16} .*dsb ishst; tlbi vale2is; dsb ish; isb'; }
four_rows() { [ "$(slot_rows)" -eq 4 ]; }
if wait_for '^>[ !]cpu0 +0x80000000 .*dsb ishst; tlbi vale2is; dsb ish; isb' && wait_until "$TEST_WAIT" four_rows; then
	pass view-slot-rows
else
	fail view-slot-rows "$(slot_rows) rows: $(screen)"
fi
echo "$(screen)" | grep -q 'Normal WB' && pass view-memtype || fail view-memtype
wait_for 'c[0-3] tlbi vale2is va=0x8000[0-3]000.*<fixmap_unmap\+0x' && pass view-events ||
	fail view-events "$(screen | tail -8)"
T send-keys -t view j Enter
if wait_for '^DETAIL cpu1' && wait_for 'walk TTBR0_EL2' &&
	wait_for 'L3 0x[0-9a-f]+\[  1\] = 0x' && wait_for 'last tlbi at 0x[0-9a-f]+ <fixmap_unmap\+0x' &&
	wait_for '=> 0x[0-9a-f]+: +tlbi vale2is'; then
	pass view-detail
else
	fail view-detail "$(screen)"
fi
screen > "$TMP/broadcast.txt"
T send-keys -t view '?'
wait_for '\| fixmapctl view: keys' && pass view-help || fail view-help "$(screen)"
T send-keys -t view x
# The detail pane was on screen under the help box all along: wait for the box to go.
wait_gone '\| fixmapctl view: keys' && shows '^DETAIL cpu1' && pass view-help-closes ||
	fail view-help-closes "$(screen)"
# A resize lays the screen out again; too small a terminal says so instead of drawing.
T resize-window -t view -x 70 -y 14
wait_for 'terminal too small \(70x14\)' && pass view-too-small || fail view-too-small "$(screen)"
T resize-window -t view -x 100 -y 30
if wait_for '^[ >][ !]cpu3 +0x80003000 ' && ! screen | grep -q 'too small' &&
	[ "$(screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 100 ]; then
	pass view-resize
else
	fail view-resize "$(screen)"
fi
T send-keys -t view q
check_restored view-quit-restores 0
qemu_stop

# ---- local: the seed's bug ----
qemu_start -s 4 -m local && wait_agent || { fail view-qemu-start-local; finish; }
start_shell || fail view-shell
run_view --mem "$QEMU_SHM" --elf "$ELF"
if wait_for '^[ >][ !]cpu[0-3] .*dsb nshst; tlbi vale2; dsb nsh; isb'; then
	pass view-local-sequence
else
	fail view-local-sequence "$(screen)"
fi
if wait_for '^[ >]!cpu[0-3] ' && wait_for '<< bbm-local-tlbi' &&
	wait_for 'findings: .*bbm-local-tlbi [0-9]+'; then
	# Colour: the finding's event is red (SGR 31) in the pane's escape codes.
	T capture-pane -e -p -t view | grep '<< bbm-local-tlbi' | grep -q '31m' &&
		pass view-finding-highlight || fail view-finding-highlight "not red"
else
	fail view-finding-highlight "$(screen)"
fi
# e: the selected CPU's newest finding as a lane diagram, symbolized; e closes it.
T send-keys -t view e
if wait_for '^EXPLAIN cpu0  finding 1 of' && wait_for '^ +seq cpu0 cpu1 cpu2 cpu3' &&
	wait_for '<- wrong: use (tlbi vale2is|dsb ishst)' && wait_for '<fixmap_unmap\+0x'; then
	pass view-explain
else
	fail view-explain "$(screen)"
fi
T send-keys -t view e
# The events pane is on screen under the diagram too: wait for the diagram to go.
wait_gone '^EXPLAIN' && shows '^EVENTS ' && pass view-explain-closes ||
	fail view-explain-closes "$(screen)"
T send-keys -t view f
wait_for 'rule:findings' && pass view-rule-filter || fail view-rule-filter
T send-keys -t view p
wait_for '^ PAUSED ' && pass view-pause || fail view-pause "$(screen | tail -1)"
# A signal ends the viewer through the same exit path as q.
kill -TERM "$(cat "$TMP/view.pid")"
check_restored view-sigterm-restores 0
# NO_COLOR: the same finding, marked without colour (no SGR 31 anywhere).
VIEW_ENV=NO_COLOR=1 run_view --mem "$QEMU_SHM" --elf "$ELF"
if wait_for '<< bbm-local-tlbi'; then
	T capture-pane -e -p -t view | grep -q '\[[0-9;]*31m' && fail view-no-color "red with NO_COLOR set" ||
		pass view-no-color
else
	fail view-no-color "$(screen)"
fi
kill -INT "$(cat "$TMP/view.pid")"
check_restored view-sigint-restores 0
run_view --mem "$QEMU_SHM" --elf "$ELF"
wait_for '^[ >]!cpu[0-3] ' || fail view-sighup-start "$(screen)"
kill -HUP "$(cat "$TMP/view.pid")"
check_restored view-sighup-restores 0

# ---- the same QEMU over the gdbstub: batch mode, then the target goes away ----
out=$($FM view --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF" --iterations 2 --size 120x30 2>&1)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -qE '^>[ !]cpu0 +0x80000000 ' && echo "$out" | grep -q 'gdb 127.0.0.1' &&
	pass view-batch-gdb || fail view-batch-gdb "exit $rc: $out"
start_shell || fail view-shell
run_view --gdb "127.0.0.1:$QEMU_PORT" --elf "$ELF"
wait_for '^>[ !]cpu0 +0x80000000 ' || fail view-gdb-start "$(screen)"
qemu_stop
if wait_for 'TARGET LOST: ' && screen | grep -qE '^>[ !]cpu0 +0x80000000 '; then
	pass view-target-lost
else
	fail view-target-lost "$(screen)"
fi
T send-keys -t view q
check_restored view-lost-exit 2
finish

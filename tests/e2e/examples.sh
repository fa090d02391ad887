#!/bin/bash
# The examples in the manual pages and README.md are what fixmapctl prints
# (tests/examples.py): each marked block's commands run in a work folder that
# holds what the examples name (tests/ and build/ of this tree; cases.elf,
# tests/lint/cases.S assembled; agent.mem, the sample agent memory of
# test_view, written again before each block; scripts/ for QEMU 10), and
# their output and exit status must be the block's.
# `tests/e2e/examples.sh --update` writes the tool's output into the blocks.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

W=$TMP/work
mkdir -p "$W"
ln -s "$PWD/tests" "$W/tests"
ln -s "$(realpath "$BUILD")" "$W/build"
lint_cases "$W/cases.elf" || { fail examples-setup "$WHY"; finish; }
rm -f "$W/cases.elf.o"
# test_view writes its sample agent memory (2 CPUs, local mode, events in the
# rings) before each block: a trace or view in one block drains the rings.
VIEW=$(realpath "$BUILD/tests/test_view")
"$VIEW" "$W/agent.mem" || { fail examples-setup "no sample agent memory ($VIEW)"; finish; }
# The record examples run the agent under QEMU 10 with the plugin (scripts/qemu10.sh).
ln -s "$PWD/scripts" "$W/scripts"
have=()
scripts/qemu10.sh bin >/dev/null 2>&1 && [ -f "$BUILD/fixmap-plugin.so" ] && have+=(--have qemu10)
python3 tests/examples.py "$(realpath "$FM")" "$W" --prepare "$VIEW agent.mem" "${have[@]}" "$@" man/*.[1-9] README.md

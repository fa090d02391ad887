#!/bin/sh
# Cost of recording one event in the EL2 agent, counted from the disassembly of
# build/agent.elf (the figure README.md states): the fast path of the ring
# producer (ring_put2: barriers, TLBIs, accesses; ring_put: table stores) plus
# the work at one call site (a DSB's record in fixmap_map). Prints figures only.
B=${BUILD:-build}
ELF=$B/agent.elf
[ -f "$ELF" ] || { echo "agent-event-cost: no $ELF (make agent)"; exit 0; }
OBJDUMP=aarch64-linux-gnu-objdump
command -v $OBJDUMP >/dev/null 2>&1 || OBJDUMP=llvm-objdump
DIS=$(mktemp)
trap 'rm -f "$DIS"' EXIT
$OBJDUMP -d --no-show-raw-insn "$ELF" >"$DIS" 2>/dev/null || { echo "agent-event-cost: $OBJDUMP failed"; exit 0; }

# fast_path FUNC: instructions from entry to the ret after the store-release of
# head, when the CPU records and the ring has room (the LL/SC loop once). Off the
# fast path: the early `ret` of a CPU that does not record, where the compiler made
# one, and the tail call to ring_slow (a full ring) placed after that ret.
fast_path() {
	awk -v f="$1" '
	$0 ~ "<" f ">:$" { on = 1; next }
	on && /^$/ { exit }
	on && /^ *[0-9a-f]+:/ {
		n++
		if (n == 3 && $0 ~ /\tret/) early = 1
		if ($0 ~ /\tstlr\t/) published = 1
		if (published && $0 ~ /\tret/) { print n - early; exit }
	}' "$DIS"
}

# call_site: instructions a DSB record adds where it is issued: from after the dsb
# in fixmap_map up to and including the bl to ring_put2.
call_site() {
	awk '
	/<fixmap_map>:$/ { on = 1; next }
	on && /^$/ { exit }
	on && /\tdsb\t/ { c = 0; counting = 1; next }
	counting { c++; if ($0 ~ /\tbl\t/) { print c; exit } }' "$DIS"
}

p2=$(fast_path ring_put2)
p7=$(fast_path ring_put)
cs=$(call_site)
echo "ring_put2 fast path:        $p2 instructions"
echo "ring_put fast path:         $p7 instructions"
echo "call site of a DSB record:  $cs instructions"
echo "per barrier/TLBI event:     $((p2 + cs)) instructions (target <= 40)"

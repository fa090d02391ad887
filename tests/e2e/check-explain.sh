#!/bin/bash
# fixmapctl check --explain on every trace of tests/traces: the same findings
# and exit status as without it; every line ASCII and at most 100 columns, no
# colour unless asked; with -j one JSON object per finding, each with its
# "explain". Then symbols from --elf, colour, and bad usage.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
. tests/lib.sh

bad=0 n=0
mkdir -p "$TMP/json"
for t in tests/traces/*.trace; do
	name=explain-$(basename "$t" .trace)
	policy=$(sed -n 's/^# policy:[[:space:]]*//p' "$t" | head -1)
	"$FM" check --explain ${policy:+--policy "$policy"} "$t" >"$TMP/ex" 2>&1
	rc1=$?
	"$FM" check --explain -j ${policy:+--policy "$policy"} "$t" >"$TMP/exj" 2>&1
	rc2=$?
	# the findings and the exit status the trace states (check-traces.sh checks them)
	nf=$(sed -n 's/^# expect:[[:space:]]*//p' "$t" | tr ' ' '\n' | grep -c '@')
	rc0=$(sed -n 's/^# exit:[[:space:]]*//p' "$t")
	why=""
	[ $rc0 -eq $rc1 ] && [ $rc0 -eq $rc2 ] || why="exit status $rc1 with --explain, $rc2 with -j, expected $rc0"
	[ "$(grep -c '^tests/traces/[^ ]*:[0-9]*: \(error\|warning\): ' "$TMP/ex")" -eq "$nf" ] ||
		why="$why; not every finding's FILE:LINE: first"
	awk 'length($0) > 100 { exit 1 }' "$TMP/ex" || why="$why; a line over 100 columns"
	LC_ALL=C grep -q '[^ -~]' "$TMP/ex" && why="$why; not plain ASCII"
	cp "$TMP/exj" "$TMP/json/$name.$nf.jsonl"
	if [ -n "$why" ]; then
		fail "$name" "${why#; }"
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done
# The JSON of all of them, in one run: one object per expected finding, each explained.
python3 -c '
import glob, json, os, sys
bad = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    name, nf = os.path.basename(path).rsplit(".", 2)[:2]
    objs = [json.loads(l) for l in open(path)]
    finds = [o for o in objs if "rule" in o]
    why = []
    if len(finds) != int(nf):
        why.append(f"{len(finds)} findings, expected {nf}")
    if not all(o.get("explain") and o["explain"]["steps"] and o["explain"]["diagram"] for o in finds):
        why.append("a finding without its explain")
    if "summary" not in objs[-1]:
        why.append("no summary last")
    if why:
        bad += 1
        msg = "; ".join(why)
        print(f"FAIL: {name} (JSON: {msg})")
sys.exit(1 if bad else 0)' "$TMP/json" >"$TMP/py" || { cat "$TMP/py"; bad=$((bad + 1)); nfail=$((nfail + 1)); }
[ $bad -eq 0 ] && pass "explain-every-trace ($n traces)"

# PCs named by --elf: a trace whose pc= are inside the agent's fixmap_unmap.
if [ -f "$BUILD/agent.elf" ] && command -v nm >/dev/null; then
	a=$(nm "$BUILD/agent.elf" | awk '$3 == "fixmap_unmap" { print $1 }')
	if [ -n "$a" ]; then
		pc=$(printf '0x%x' $((0x$a + 8)))
		sed "s/^c1 tlbi vale2 va=0x80001000\$/c1 tlbi vale2 va=0x80001000 pc=$pc/" \
			tests/traces/seed-local.trace >"$TMP/pc.trace"
		"$FM" check --explain --elf "$BUILD/agent.elf" "$TMP/pc.trace" >"$TMP/out" 2>&1
		[ $? = 1 ] && grep -q "x .*tlbi vale2 va=0x80001000  <fixmap_unmap+0x8>" "$TMP/out" &&
			grep -q "(fixmap_unmap+0x8)" "$TMP/out" && pass explain-elf-symbols ||
			fail explain-elf-symbols "$(grep -m2 'vale2' "$TMP/out")"
	else
		fail explain-elf-symbols "no fixmap_unmap in $BUILD/agent.elf"
	fi
else
	fail explain-elf-symbols "no $BUILD/agent.elf or nm"
fi
# Colour only when asked (standard output is not a terminal here).
"$FM" check --explain tests/traces/no-tlbi.trace >"$TMP/out"
[ $? = 1 ] && grep -q '^  line ' "$TMP/out" && ! grep -q $'\033' "$TMP/out" && pass explain-no-colour ||
	fail explain-no-colour
"$FM" check --explain --color always tests/traces/no-tlbi.trace >"$TMP/out"
[ $? = 1 ] && grep -q $'\033\[1;33m+' "$TMP/out" && pass explain-colour-always || fail explain-colour-always
# Standard input, and a window too small for the steps.
"$FM" check --explain - <tests/traces/seed-local.trace >"$TMP/out"
[ $? = 1 ] && grep -q '^<stdin>:14: error: bbm-local-tlbi' "$TMP/out" && pass explain-stdin ||
	fail explain-stdin "$(head -n1 "$TMP/out")"
"$FM" check --explain --window 1 tests/traces/seed-local.trace >"$TMP/out"
[ $? = 1 ] && grep -q 'no longer kept: only the last 1 events of each CPU are' "$TMP/out" && pass explain-window ||
	fail explain-window "$(grep -m3 kept "$TMP/out")"
# Bad usage: exit 2 and a message naming the word.
usage() { # name expected-message args...
	local name=$1 msg=$2
	shift 2
	"$FM" check "$@" >/dev/null 2>"$TMP/err"
	[ $? -eq 2 ] && grep -q "$msg" "$TMP/err" && pass "$name" || fail "$name" "$(cat "$TMP/err")"
}
usage explain-bad-color "check: --color sometimes: expected auto, always or never" \
	--explain --color sometimes tests/traces/no-tlbi.trace
usage explain-bad-window "check: --window 0: expected 1 to 16777216" --window 0 tests/traces/no-tlbi.trace
usage explain-bad-elf "check: --elf /nonexistent.elf" --elf /nonexistent.elf tests/traces/no-tlbi.trace
finish

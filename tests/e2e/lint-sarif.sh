#!/bin/bash
# fixmapctl lint --sarif: a SARIF 2.1.0 log whose results are the text output's
# findings and whose rule metadata is the rule table of -h, validated by real
# validators: the SARIF Multitool (npm: the schema and the SARIF rules) and the
# published 2.1.0 schema (shipped in that package) with Debian's
# python3-jsonschema. A broken log must fail both (the validators are live).
# The npm download SKIPs when offline (FAIL under CI=true).
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
. tests/lib.sh
unavailable() { skip_real "$1" "$2"; }

ELF=$TMP/cases.elf
lint_cases "$ELF" || { fail lint-sarif-assemble "$WHY"; finish; }

"$FM" lint --private private_local "$ELF" >"$TMP/text" 2>/dev/null
rc=$?
[ $rc -eq 1 ] || fail lint-sarif-text "text lint exited $rc, want 1"
"$FM" lint --sarif --private private_local "$ELF" >"$TMP/cases.sarif" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && pass "lint-sarif-exit-status" || fail lint-sarif-exit-status "rc=$rc $(cat "$TMP/err")"
# The results are the text findings: function and rule, severity, in the same order.
want=$(sed -n 's/^\([A-Za-z_0-9.]*\)+0x[0-9a-f]* (0x[0-9a-f]*): \(error\|warning\): \([a-z0-9-]*\): .*/\1 \3 \2/p' "$TMP/text")
got=$(python3 -c '
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
for r in run["results"]:
    fn = r["locations"][0]["logicalLocations"][0]["name"]
    print(fn, r["ruleId"], r["level"])' "$TMP/cases.sarif")
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	pass "lint-sarif-results ($(echo "$got" | wc -l) results)"
else
	fail lint-sarif-results "$(diff <(echo "$want") <(echo "$got") | head -10 | tr '\n' '|')"
fi
# Rule metadata: the table that -h prints, in its order.
want=$("$FM" lint -h | sed -n 's/^  \([a-z][a-z0-9-]*\) \+\(.*\)/\1 \2/p' | sed 's/ (warning)$/ warning/')
got=$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["runs"][0]["tool"]["driver"]["rules"]:
    w = " warning" if r["defaultConfiguration"]["level"] == "warning" else ""
    print(r["id"], r["shortDescription"]["text"] + w)' "$TMP/cases.sarif")
[ "$(echo "$want" | wc -l)" -eq 12 ] && [ "$want" = "$got" ] && pass lint-sarif-rules ||
	fail lint-sarif-rules "$(diff <(echo "$want") <(echo "$got") | head -6 | tr '\n' '|')"
# Byte offsets point at the TLBI in the file.
off=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]["results"][0]
print(r["locations"][0]["physicalLocation"]["region"]["byteOffset"])' "$TMP/cases.sarif")
word=$(od -An -tx4 -j "$off" -N4 "$ELF" | tr -d ' ')
# TLBI is SYS #op1, C8, Cm, #op2, Xt: bits [31:19] 0b1101010100001, CRn (bits [15:12]) 8
[ -n "$word" ] && (( (0x$word & 0xfff80000) == 0xd5080000 && (0x$word >> 12 & 0xf) == 8 )) &&
	pass lint-sarif-byte-offset ||
	fail lint-sarif-byte-offset "word at $off is $word"
"$FM" lint --sarif -j "$ELF" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q 'not with -j' "$TMP/err" && pass lint-sarif-usage || fail lint-sarif-usage

# ---- real validators ----
if ! NPM=$(scripts/npm-tools.sh 2>"$TMP/npm.err"); then
	unavailable lint-sarif-multitool "npm packages not available: $(cat "$TMP/npm.err")"
	finish
fi
MT=$NPM/node_modules/.bin/sarif-multitool
SCHEMA=$NPM/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json
ok_files=("$TMP/cases.sarif")
if [ -f "$BUILD/agent.elf" ]; then
	"$FM" lint --sarif "$BUILD/agent.elf" >"$TMP/agent.sarif" 2>/dev/null
	rc=$?
	# the agent's local-mode fixmap_unmap is a finding of lint (exit status 1)
	[ $rc -eq 1 ] || fail lint-sarif-agent "lint --sarif agent.elf exited $rc, want 1"
	ok_files+=("$TMP/agent.sarif")
else
	fail lint-sarif-agent "no $BUILD/agent.elf"
fi
# A log that breaks the schema: both validators must reject it.
sed 's/"byteLength":4/"byteLength":-4/' "$TMP/cases.sarif" >"$TMP/broken.sarif"

# multitool FILE: its findings of level error or warning, one per line (none: valid).
# SARIF2005 (no informationUri) is left: fixmapctl has no web page to name.
multitool() {
	timeout 300 "$MT" validate "$1" --output "$TMP/mt.sarif" --log ForceOverwrite >"$TMP/mt.out" 2>&1 ||
		{ echo "multitool failed: $(tail -3 "$TMP/mt.out")"; return; }
	python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["runs"][0].get("results", []):
    if r.get("level", "warning") in ("error", "warning") and r["ruleId"] != "SARIF2005":
        print(r["ruleId"], r["message"].get("text") or r["message"].get("arguments"))' "$TMP/mt.sarif"
}
for f in "${ok_files[@]}"; do
	name=lint-sarif-multitool-$(basename "$f" .sarif)
	out=$(multitool "$f")
	[ -z "$out" ] && pass "$name" || fail "$name" "$(echo "$out" | head -5 | tr '\n' '|')"
done
out=$(multitool "$TMP/broken.sarif")
echo "$out" | grep -q '^JSON1008 ' && pass lint-sarif-multitool-rejects-broken ||
	fail lint-sarif-multitool-rejects-broken "$out"

if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	unavailable lint-sarif-jsonschema "no python3-jsonschema (scripts/deps.sh installs it)"
	finish
fi
for f in "${ok_files[@]}"; do
	name=lint-sarif-jsonschema-$(basename "$f" .sarif)
	/usr/bin/python3 -m jsonschema -i "$f" "$SCHEMA" >"$TMP/js.out" 2>&1 && pass "$name" ||
		fail "$name" "$(head -c 300 "$TMP/js.out")"
done
/usr/bin/python3 -m jsonschema -i "$TMP/broken.sarif" "$SCHEMA" >"$TMP/js.out" 2>&1
[ $? -ne 0 ] && grep -q -- '-4' "$TMP/js.out" && pass lint-sarif-jsonschema-rejects-broken ||
	fail lint-sarif-jsonschema-rejects-broken "$(head -c 300 "$TMP/js.out")"
finish

#!/bin/bash
# fixmapctl lint on hand-assembled sequences (tests/lint/cases.S): every rule,
# near misses, exit codes, JSON, the raw-image mode and malformed ELF files.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh

CASES=tests/lint/cases.S
BASE=0x40200000

ELF=$TMP/cases.elf
lint_cases "$ELF"
case $? in
0) ;;
77) skip_real lint-snippets "$WHY"; exit 0 ;;
*) fail assemble "$WHY"; finish ;;
esac

# "func rule[:warning]" for every finding in text output, sorted.
findings() {
	sed -n 's/^\([A-Za-z_0-9.]*\)+0x[0-9a-f]* (0x[0-9a-f]*): \(error\|warning\): \([a-z0-9-]*\): .*/\1 \3:\2/p' |
		sed 's/:error$//' | sort
}

# Every case in cases.S gives exactly the findings its EXPECT line names.
out=$TMP/all.txt
"$FM" lint --private private_local "$ELF" >"$out" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && [ ! -s "$TMP/err" ] && pass "exit 1 with error findings" ||
	fail "exit 1 with error findings" "rc=$rc $(head -c 300 "$TMP/err")"
got=$(findings <"$out")
sed -n 's|^/\* EXPECT \([a-z_0-9]*\) \(.*\) \*/$|\1 \2|p' "$CASES" | while read -r fn rules; do
	want=$(for r in $rules; do [ "$r" = clean ] || echo "$fn $r"; done | sort)
	have=$(grep "^$fn " <<<"$got")
	if [ "$want" = "$have" ]; then
		pass "case $fn"
	else
		fail "case $fn" "expected [${want//$'\n'/, }], got [${have//$'\n'/, }]"
	fi
done
n=$(grep -c '^/\* EXPECT' "$CASES")
[ "$n" -ge 25 ] && pass "cases listed ($n)" || fail "cases listed" "$n"
grep -q "^28 TLBI sites in 26 functions: 16 errors, 3 warnings$" "$out" &&
	pass "summary line" || fail "summary line" "$(tail -n1 "$out")"

# The window: the site marked, the DSB before it and the completing ISB shown.
if grep -A8 '^seed_local+0x8 (0x[0-9a-f]*): error: bbm-local-tlbi' "$out" |
	grep -q '^   > 0x[0-9a-f]*  +0x8 *tlbi vale2, x1$' &&
	grep -A8 '^seed_local+0x8 (0x[0-9a-f]*): error: bbm-local-tlbi' "$out" | grep -q 'dsb nshst$' &&
	grep -A8 '^seed_local+0x8 (0x[0-9a-f]*): error: bbm-local-tlbi' "$out" | grep -q ' isb$'; then
	pass "disassembled window"
else
	fail "disassembled window"
fi

# Without --private the per-CPU function is flagged like the seed.
"$FM" lint --func private_local "$ELF" >"$TMP/p.txt"
rc=$?
[ $rc -eq 1 ] && [ "$(findings <"$TMP/p.txt" | tr '\n' ' ')" = "private_local bbm-dsb-domain private_local bbm-local-tlbi " ] &&
	pass "--private matters" || fail "--private matters" "rc=$rc $(findings <"$TMP/p.txt")"

# Clean functions exit 0; warnings alone exit 0; --policy strict makes them errors.
"$FM" lint --func ok_broadcast --func loop_ok --func branch_ok --func s2_ok --func call_plain \
	--func batch_ok --func range_ok "$ELF" >"$TMP/c.txt"
rc=$?
[ $rc -eq 0 ] && grep -q "^9 TLBI sites in 7 functions: 0 errors, 0 warnings$" "$TMP/c.txt" &&
	pass "clean functions exit 0" || fail "clean functions exit 0" "rc=$rc $(tail -n1 "$TMP/c.txt")"
"$FM" lint --func caller_dsb --func no_isb "$ELF" >"$TMP/w.txt"
rc=$?
[ $rc -eq 0 ] && [ "$(findings <"$TMP/w.txt" | tr '\n' ' ')" = "caller_dsb bbm-no-dsb-before-tlbi:warning no_isb missing-isb:warning " ] &&
	pass "warnings exit 0" || fail "warnings exit 0" "rc=$rc $(findings <"$TMP/w.txt")"
"$FM" lint --policy strict --func caller_dsb "$ELF" >"$TMP/s.txt"
rc=$?
[ $rc -eq 1 ] && grep -q 'error: bbm-no-dsb-before-tlbi' "$TMP/s.txt" &&
	pass "--policy strict" || fail "--policy strict" "rc=$rc"

# JSON Lines: one object per finding with the contract's field names, then a summary.
"$FM" lint -j --private private_local "$ELF" >"$TMP/j.txt"
rc=$?
if [ $rc -ne 1 ]; then
	fail "json lines" "exit $rc"
elif python3 - "$TMP/j.txt" "$CASES" <<'EOF'; then
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
finds = [o for o in objs if "rule" in o]
for o in finds:
    for k in ("rule", "severity", "func", "offset", "addr", "message", "window"):
        assert k in o, (k, o)
    assert o["addr"].startswith("0x") and o["window"]
assert objs[-1] == {"summary": {"sites": 28, "functions": 26, "errors": 16, "warnings": 3}}, objs[-1]
assert len(finds) == 19
assert any(o["func"] == "bad_local" and o["rule"] == "bbm-local-tlbi" for o in finds)
# The same findings and severities as the EXPECT lines of cases.S say.
want = set()
for m in re.finditer(r"^/\* EXPECT (\w+) (.*) \*/$", open(sys.argv[2]).read(), re.M):
    for w in m.group(2).split():
        if w != "clean":
            r, _, sev = w.partition(":")
            want.add((m.group(1), r, sev or "error"))
got = {(o["func"], o["rule"], o["severity"]) for o in finds}
assert got == want, (got ^ want)
EOF
	pass "json lines"
else
	fail "json lines"
fi
"$FM" lint -j --sites --func ok_broadcast "$ELF" >"$TMP/sites.txt"
rc=$?
[ $rc -eq 0 ] && grep -q '"site":"tlbi vale2is, x1","findings":0' "$TMP/sites.txt" &&
	pass "--sites" || fail "--sites" "rc=$rc $(head -c 300 "$TMP/sites.txt")"

# Raw image: the same bytes at --base with nm's symbols give the same findings;
# without symbols every site is still found and checked.
$OBJCOPY -O binary "$ELF" "$TMP/cases.bin"
$NM "$ELF" >"$TMP/cases.map"
"$FM" lint --raw --base $BASE --symbols "$TMP/cases.map" --private private_local "$TMP/cases.bin" >"$TMP/r.txt"
rc=$?
if [ $rc -eq 1 ] && [ "$(findings <"$TMP/r.txt")" = "$got" ]; then
	pass "raw image with System.map"
else
	fail "raw image with System.map" "rc=$rc"
	diff <(echo "$got") <(findings <"$TMP/r.txt") | head -5
fi
"$FM" lint --raw --base $BASE --sites "$TMP/cases.bin" >"$TMP/r2.txt"
rc=$?
local_addr=$(printf '0x%x' $((0x$($NM "$ELF" | sed -n 's/^\([0-9a-f]*\) T bad_local$/\1/p') + 8)))
if [ $rc -eq 1 ] && [ "$(grep -c '^0x[0-9a-f]*: tlbi ' "$TMP/r2.txt")" -eq 28 ] &&
	grep -q "^$local_addr: error: bbm-local-tlbi" "$TMP/r2.txt"; then
	pass "raw image without symbols"
else
	fail "raw image without symbols" "rc=$rc"
fi

# Malformed files: clear errors, exit 2.
bad() { # name expected-text file [args]
	local name=$1 want=$2
	shift 2
	"$FM" lint "$@" >/dev/null 2>"$TMP/e"
	local rc=$?
	if [ $rc -eq 2 ] && grep -q "^fixmapctl: lint: .*$want" "$TMP/e"; then
		pass "$name"
	else
		fail "$name" "rc=$rc: $(head -c 200 "$TMP/e")"
	fi
}
size=$(stat -c %s "$ELF")
head -c $((size - 100)) "$ELF" >"$TMP/trunc.elf"
bad "truncated ELF" "truncated" "$TMP/trunc.elf"
head -c 50 "$ELF" >"$TMP/trunc2.elf"
bad "truncated ELF header" "truncated" "$TMP/trunc2.elf"
# Section 1's sh_offset (at e_shoff + 64 + 24) pointed past the end of the file.
cp "$ELF" "$TMP/badoff.elf"
shoff=$(od -An -t u8 -j 40 -N 8 "$ELF" | tr -d ' ')
printf '\xff\xff\xff\x7f\x00\x00\x00\x00' |
	dd of="$TMP/badoff.elf" bs=1 seek=$((shoff + 64 + 24)) conv=notrunc status=none
bad "bad section offset" "section 1 (.text) at offset 0x7fffffff .* runs past the end" "$TMP/badoff.elf"
$STRIP -o "$TMP/stripped.elf" "$ELF"
bad "no symbols" "no symbol table" "$TMP/stripped.elf"
bad "not an ELF file" "not an ELF file (use --raw" "$CASES"
bad "missing file" "No such file" "$TMP/none.elf"
bad "unknown --func" "--func nosuch: no such symbol" --func nosuch "$ELF"
bad "--raw without --base" "--raw needs --base" --raw "$TMP/cases.bin"
bad "bad --base" "--base 'zz'" --raw --base zz "$TMP/cases.bin"
bad "bad --policy" "--policy 'lax'" --policy lax "$ELF"
bad "bad System.map" "cases.S:1: expected" --raw --base $BASE --symbols "$CASES" "$TMP/cases.bin"
bad "unknown option" "--frobnicate: unknown option" --frobnicate "$ELF"
out=$("$FM" lint -h)
rc=$?
[ $rc -eq 0 ] && grep -q "^usage: fixmapctl lint" <<<"$out" && pass "-h" || fail "-h" "rc=$rc"
err=$("$FM" trace --mem "$TMP/cases.bin" --disasm 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] && grep -q -- "--disasm needs --elf" <<<"$err" &&
	pass "trace --disasm needs --elf" || fail "trace --disasm needs --elf" "rc=$rc $err"

finish

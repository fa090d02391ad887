#!/bin/bash
# fixmapctl check on every tests/traces/*.trace. Each file states, in header
# comments, what check must find and how it must exit, independently of the
# tool's output:
#   # expect: RULE@LINE:SEVERITY ...   one word per finding (SEVERITY error or
#                                      warning; DESIGN.md section 4: missing-isb
#                                      is the only warning), or: # expect: clean
#   # exit: 0|1                        1 when an error is expected, else 0
#   # policy: arm|linux|strict         (optional)
# Several `# expect:` lines add up. The findings are compared exactly (a missing
# or an extra finding, another line or another severity fails), and so are the
# exit status, the summary's error and warning counts, and stderr (empty).
# Then text output, standard input, -p, the JSON fields of the contract, bad
# input (exit 2 with a message naming the line) and usage errors.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh

for t in tests/traces/*.trace; do
	name=check-$(basename "$t" .trace)
	words=$(sed -n 's/^# expect:[[:space:]]*//p' "$t" | tr ' \t' '\n\n' | grep -v '^$')
	want_rc=$(sed -n 's/^# exit:[[:space:]]*//p' "$t")
	policy=$(sed -n 's/^# policy:[[:space:]]*//p' "$t" | head -1)
	if [ -z "$words" ]; then
		fail "$name" "no '# expect:' header"
		continue
	fi
	bad=$(grep -vxE '[a-z0-9-]+@[0-9]+:(error|warning)' <<<"$words")
	if [ "$words" = clean ]; then
		words=""
	elif [ -n "$bad" ]; then
		fail "$name" "'# expect:' words must be RULE@LINE:error|warning or clean, not: $(echo $bad)"
		continue
	fi
	nerr=$(grep -c ':error$' <<<"$words")
	nwarn=$(grep -c ':warning$' <<<"$words")
	if [ "$want_rc" != 0 ] && [ "$want_rc" != 1 ]; then
		fail "$name" "no '# exit: 0|1' header"
		continue
	elif [ "$want_rc" != $((nerr > 0)) ]; then
		fail "$name" "'# exit: $want_rc' contradicts the expected findings ($nerr errors)"
		continue
	fi
	want=$([ -n "$words" ] && sort <<<"$words" | tr '\n' ' ')
	"$FM" check -j ${policy:+--policy "$policy"} "$t" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	got=$(sed -n 's/.*"line":\([0-9]*\),"severity":"\([a-z]*\)","rule":"\([^"]*\)".*/\3@\1:\2/p' "$TMP/out" |
		sort | tr '\n' ' ')
	nfind=$(grep -c '"rule":' "$TMP/out")
	if [ "$got" != "$want" ] || [ "$nfind" -ne $((nerr + nwarn)) ]; then
		fail "$name" "expected [${want% }], got [${got% }] $(head -c 300 "$TMP/err")"
	elif [ "$rc" -ne "$want_rc" ]; then
		fail "$name" "exit status $rc, expected $want_rc"
	elif ! tail -1 "$TMP/out" | grep -Eq '^\{"summary":\{"events":[1-9][0-9]*,("lost":[0-9]+,)?"errors":'"$nerr"',"warnings":'"$nwarn"','; then
		fail "$name" "summary line, expected $nerr errors and $nwarn warnings: $(tail -1 "$TMP/out")"
	elif [ -s "$TMP/err" ]; then
		fail "$name" "stderr: $(head -c 300 "$TMP/err")"
	else
		pass "$name"
	fi
done

# Text output: one line per finding, FILE:LINE: SEVERITY: RULE first, then the summary.
out=$("$FM" check tests/traces/seed-local.trace)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | grep -c '^tests/traces/seed-local.trace:[0-9]*: error: bbm-')" -eq 2 ] &&
	printf '%s\n' "$out" | grep -q '^9 events, 2 errors, 0 warnings'; then
	pass check-text-output
else
	fail check-text-output "exit $rc: $out"
fi
out=$("$FM" check tests/traces/missing-isb.trace)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^tests/traces/missing-isb.trace:[0-9]*: warning: missing-isb: ' &&
	printf '%s\n' "$out" | grep -q '^[0-9]* events, 0 errors, 1 warnings'; then
	pass check-text-warning
else
	fail check-text-warning "exit $rc: $out"
fi
# Standard input, and -p (the short --policy).
out=$("$FM" check - <tests/traces/seed-fixed.trace)
rc=$?
[ $rc -eq 0 ] && grep -q '^9 events, 0 errors, 0 warnings (policy arm)$' <<<"$out" && pass check-stdin ||
	fail check-stdin "exit $rc: $out"
out=$("$FM" check -p strict tests/traces/v2v-perm-strict.trace 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q '(policy strict)$' <<<"$out" && grep -q ': error: bbm-valid-to-valid: ' <<<"$out" &&
	pass check-short-policy || fail check-short-policy "exit $rc: $out"

# JSON Lines (DESIGN.md section 5, fixmapctl(1)): every field of a finding and of
# the summary, with its type.
"$FM" check -j --elf "$BUILD/agent.elf" tests/traces/seed-local.trace >"$TMP/j" 2>"$TMP/err"
rc=$?
if [ $rc -ne 1 ] || [ -s "$TMP/err" ]; then
	fail check-json-fields "exit $rc: $(head -c 300 "$TMP/err")"
elif python3 - "$TMP/j" <<'EOF'; then
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
finds, summary = objs[:-1], objs[-1]
assert len(finds) == 2, finds
hexs = lambda v: isinstance(v, str) and v.startswith("0x") and int(v, 16) >= 0
for f in finds:
    assert f["file"] == "tests/traces/seed-local.trace", f
    for k, ty in (("line", int), ("cpu", int), ("seq", int), ("level", int), ("severity", str),
                  ("rule", str), ("table", str), ("message", str), ("old_attrs", str),
                  ("new_attrs", str)):
        assert isinstance(f[k], ty), (k, f)
    for k in ("va", "old", "new"):
        assert hexs(f[k]), (k, f)
    assert f["severity"] == "error" and f["cpu"] == 1 and f["table"] == "hyp" and f["level"] == 3
    assert f["va"] == "0x80001000" and f["message"]
assert {(f["rule"], f["line"]) for f in finds} == {("bbm-local-tlbi", 14), ("bbm-dsb-domain", 13)}
assert summary == {"summary": {"events": 9, "errors": 2, "warnings": 0, "policy": "arm",
                               "rules": {"bbm-local-tlbi": 1, "bbm-dsb-domain": 1}}}, summary
EOF
	pass check-json-fields
else
	fail check-json-fields "$(cat "$TMP/j")"
fi
# pc= in a trace: the finding names it, and its symbol with --elf.
pc=$(nm "$BUILD/agent.elf" 2>/dev/null | sed -n 's/^\([0-9a-f]*\) T fixmap_unmap$/\1/p')
[ -n "$pc" ] && pc=$(printf '%x' $((16#$pc)))
if [ -z "$pc" ]; then
	fail check-json-pc "no fixmap_unmap in $BUILD/agent.elf"
else
	sed "s/^c1 tlbi vale2 va=0x80001000\$/& pc=0x$pc/" tests/traces/seed-local.trace >"$TMP/pc.trace"
	"$FM" check -j --elf "$BUILD/agent.elf" "$TMP/pc.trace" >"$TMP/j" 2>"$TMP/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "\"rule\":\"bbm-local-tlbi\".*\"pc\":\"0x$pc\",\"symbol\":\"fixmap_unmap+0\"" "$TMP/j" &&
		pass check-json-pc || fail check-json-pc "exit $rc: $(grep bbm-local-tlbi "$TMP/j") $(head -c 300 "$TMP/err")"
fi

# Bad input: exit 2, message on stderr naming FILE:LINE.
bad() { # name expected-message-regex; input in $TMP/in
	"$FM" check "$TMP/in" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "$1" "exit status $rc, expected 2"
	elif ! grep -Eq "^fixmapctl: check: $TMP/in:$2" "$TMP/err"; then
		fail "$1" "message: $(head -c 300 "$TMP/err")"
	else
		pass "$1"
	fi
}
: >"$TMP/in"
bad check-bad-empty "1: empty file"
head -c 4096 /dev/urandom >"$TMP/in"
printf '\x7fELF' | dd of="$TMP/in" conv=notrunc 2>/dev/null
bad check-bad-garbage "1: "
{ printf 'fixmap-trace 1\ncpus 2\n# '; head -c 10485760 /dev/zero | tr '\0' x; printf '\nc0 isb\n'; } >"$TMP/in"
bad check-bad-10mb-line "3: line longer than"
printf 'fixmap-trace 1\ncpus 2\nc0 pte va=0 level=3 old=0 new=0x10000000000000000\n' >"$TMP/in"
bad check-bad-overflow "3: new 0x10000000000000000 is out of range"
printf 'fixmap-trace 1\ncpus 2\nc0 pte va=99999999999999999999 level=3 old=0 new=0\n' >"$TMP/in"
bad check-bad-overflow-decimal "3: va 99999999999999999999 is out of range"
printf 'fixmap-trace 1\ncpus 2\nc0 isb\nc1 tlbi vale7is va=0\n' >"$TMP/in"
bad check-bad-unknown-tlbi "4: unknown TLBI operation 'vale7is'"
printf 'fixmap-trace 1\ncpus 2\nc0 flush\n' >"$TMP/in"
bad check-bad-unknown-op "3: unknown operation 'flush'"
printf 'fixmap-trace 1\ncpus 2\nc2 isb\n' >"$TMP/in"
bad check-bad-cpu "3: CPU c2 does not exist"

# Usage errors: exit 2 with a message; -h exits 0.
usage() { # name expected-message args...
	local name=$1 want=$2
	shift 2
	"$FM" check "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "^fixmapctl: check: .*$want" "$TMP/err" && pass "$name" ||
		fail "$name" "exit $rc: $(head -c 300 "$TMP/err")"
}
usage check-usage-no-file "expected a trace FILE"
usage check-usage-policy "--policy lax: expected arm, linux or strict" --policy lax tests/traces/seed-fixed.trace
usage check-missing-file "/nonexistent.trace: No such file" /nonexistent.trace
usage check-usage-option "--bogus: unknown option" --bogus tests/traces/seed-fixed.trace
out=$("$FM" check -h)
rc=$?
[ $rc -eq 0 ] && grep -q '^usage: fixmapctl check' <<<"$out" && pass check-help || fail check-help "exit $rc"
finish

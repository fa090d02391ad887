#!/bin/bash
# fixmapctl check on every tests/traces/*.trace: each file states its expected
# findings in a header comment, compared exactly (a missing or an extra finding
# fails):
#   # expect: RULE@LINE ...     or     # expect: clean
#   # policy: arm|linux|strict  (optional)
# Then bad input: each must exit 2 with a message that names the line.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh

for t in tests/traces/*.trace; do
	name=check-$(basename "$t" .trace)
	want=$(sed -n 's/^# expect:[[:space:]]*//p' "$t" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
	policy=$(sed -n 's/^# policy:[[:space:]]*//p' "$t" | head -1)
	if [ -z "$want" ]; then
		fail "$name" "no '# expect:' header"
		continue
	fi
	[ "$want" = "clean " ] && want=""
	out=$("$FM" check -j ${policy:+--policy "$policy"} "$t" 2>"$TMP/err")
	rc=$?
	got=$(printf '%s\n' "$out" | grep '"rule":' |
		sed 's/.*"line":\([0-9]*\).*"rule":"\([^"]*\)".*/\2@\1/' | sort | tr '\n' ' ')
	errors=$(printf '%s\n' "$out" | grep -c '"severity":"error"')
	if [ "$errors" -gt 0 ]; then exp_rc=1; else exp_rc=0; fi
	if [ "$got" != "$want" ]; then
		fail "$name" "expected [${want% }], got [${got% }] $(head -c 300 "$TMP/err")"
	elif [ "$rc" -ne "$exp_rc" ]; then
		fail "$name" "exit status $rc, expected $exp_rc"
	elif ! printf '%s\n' "$out" | tail -1 | grep -Eq '^\{"summary":\{"events":[0-9]+,("lost":[0-9]+,)?"errors":'"$errors"',"warnings":'; then
		fail "$name" "bad summary line: $(printf '%s\n' "$out" | tail -1)"
	else
		pass "$name"
	fi
done

# Text output: one line per finding, FILE:LINE first, then the summary.
out=$("$FM" check tests/traces/seed-local.trace)
if [ $? -eq 1 ] && printf '%s\n' "$out" | head -1 | grep -q '^tests/traces/seed-local.trace:[0-9]*: error: bbm-' &&
	printf '%s\n' "$out" | grep -q '^9 events, 2 errors, 0 warnings'; then
	pass check-text-output
else
	fail check-text-output "$out"
fi
# Standard input.
if "$FM" check - <tests/traces/seed-fixed.trace >/dev/null; then pass check-stdin; else fail check-stdin; fi

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

# Usage errors.
"$FM" check >/dev/null 2>&1; [ $? -eq 2 ] && pass check-usage-no-file || fail check-usage-no-file
"$FM" check --policy lax tests/traces/seed-fixed.trace >/dev/null 2>&1
[ $? -eq 2 ] && pass check-usage-policy || fail check-usage-policy
"$FM" check /nonexistent.trace >/dev/null 2>&1; [ $? -eq 2 ] && pass check-missing-file || fail check-missing-file
"$FM" check -h | grep -q 'usage: fixmapctl check' && pass check-help || fail check-help
finish

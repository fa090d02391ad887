#!/bin/bash
# The command line as fixmapctl(1) documents it, for every command: -h and
# --help print the usage on stdout and exit 0; an unknown option exits 2 with
# "fixmapctl: COMMAND: " on stderr; the top level's -h, no command, an unknown
# command and -V; and the manual's COMMANDS section names every command the
# top-level usage lists.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

# run WANT_RC CMD...: stdout to $TMP/out, stderr to $TMP/err; true when CMD
# exits WANT_RC; WHY says what it did
run() {
	local want=$1 rc
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	WHY="exit $rc (want $want): $(head -c 200 "$TMP/out") $(head -c 200 "$TMP/err")"
	[ $rc = "$want" ]
}
# case_ NAME CONDITION...: PASS when CONDITION holds, else FAIL with WHY
case_() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "$WHY"; fi; }

usage_out() { grep -q '^usage: fixmapctl COMMAND' "$TMP/out" && [ ! -s "$TMP/err" ]; }
usage_err() { grep -q '^usage: fixmapctl COMMAND' "$TMP/err" && [ ! -s "$TMP/out" ]; }
unknown() { grep -qx 'fixmapctl: bogus: unknown command (try fixmapctl -h)' "$TMP/err" && [ ! -s "$TMP/out" ]; }
run 0 "$FM" -h; case_ top-help usage_out
run 0 "$FM" --help; case_ top-help-long usage_out
run 2 "$FM"; case_ top-no-command usage_err
run 2 "$FM" bogus; case_ top-unknown-command unknown
run 0 "$FM" -V; case_ top-version grep -q '^fixmapctl [0-9]' "$TMP/out"

# The commands are those of the manual page (its lowercase .SS headings under
# COMMANDS); -h lists the same, no more and no fewer.
cmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH /s/^\.SS \([a-z]*\)$/\1/p' man/fixmapctl.1 | sort)
listed=$("$FM" -h | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | sort)
[ "$(wc -w <<<"$cmds")" -ge 8 ] && [ "$(echo $listed)" = "$(echo $cmds)" ] &&
	pass "commands listed ($(echo $cmds))" || fail "commands listed" "-h: $(echo $listed); man: $(echo $cmds)"
for c in $cmds; do
	for h in -h --help; do
		ok=0
		run 0 "$FM" "$c" "$h" && grep -q "^usage: fixmapctl $c" "$TMP/out" && [ ! -s "$TMP/err" ] && ok=1
		case_ "$c $h" [ $ok = 1 ]
	done
	ok=0
	run 2 "$FM" "$c" --bogus && grep -q "^fixmapctl: $c: --bogus: unknown option" "$TMP/err" && ok=1
	case_ "$c --bogus" [ $ok = 1 ]
done
finish

#!/bin/bash
# fixmapctl export --perfetto: every trace in tests/traces becomes trace-event
# JSON that a checker of the Trace Event Format accepts, whose findings are
# check's; then a recording of the real agent (QEMU, 4 CPUs, local mode) is
# imported by a real consumer of the format: speedscope (npm) in Debian's
# headless Chromium, which must show one track per CPU with every event.
# The npm download SKIPs when offline (FAIL under CI=true).
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
. tests/lib.sh
QEMU_LOG=$TMP/qemu.log
# unavailable NAME WHY: SKIP, or FAIL under CI
unavailable() { skip_real "$1" "$2"; }

n=0 bad=0 pairs=()
mkdir -p "$TMP/each"
for t in tests/traces/*.trace; do
	name=$(basename "$t" .trace)
	policy=$(sed -n 's/^# policy:[[:space:]]*//p' "$t" | head -1)
	"$FM" check -j ${policy:+--policy "$policy"} "$t" >"$TMP/each/$name.jsonl" 2>/dev/null
	if ! "$FM" export --perfetto "$TMP/each/$name.json" ${policy:+--policy "$policy"} "$t" >"$TMP/out" 2>&1; then
		fail "export-$name" "exit status $?: $(head -c 300 "$TMP/out")"
		bad=$((bad + 1))
	else
		pairs+=("$TMP/each/$name.json" "$TMP/each/$name.jsonl")
	fi
	n=$((n + 1))
done
# One checker run for all of them: each file's problems are named by file.
if ! python3 tests/tools/trace_event_check.py --pairs "${pairs[@]}" >"$TMP/chk"; then
	grep -v '^ok: ' "$TMP/chk" | head -10 | while read -r l; do fail export-format "$l"; done
	bad=$((bad + 1))
fi
[ $bad -eq 0 ] && pass "export-every-trace ($n traces)"

# Standard input to standard output; the summary goes to stderr then.
if "$FM" export --perfetto - - <tests/traces/seed-local.trace >"$TMP/o.json" 2>"$TMP/err" &&
	python3 tests/tools/trace_event_check.py "$TMP/o.json" >/dev/null &&
	grep -q '^-: 9 events, 1 break-before-make windows, 2 errors, 0 warnings' "$TMP/err"; then
	pass export-stdio
else
	fail export-stdio "$(cat "$TMP/err")"
fi
# An open window is closed at the end and says so.
"$FM" export --perfetto "$TMP/e.json" tests/traces/stale-end.trace >/dev/null 2>&1
rc=$?
[ $rc = 0 ] && grep -q '"ph":"e".*"open_at_end":true' "$TMP/e.json" && pass export-open-window ||
	fail export-open-window "rc=$rc"

# Usage: no output named, an unknown option, a bad trace.
"$FM" export tests/traces/seed-local.trace >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q 'fixmapctl: export: give the output format' "$TMP/err" &&
	pass export-usage || fail export-usage "$(cat "$TMP/err")"
printf 'fixmap-trace 1\ncpus 1\nc0 flush\n' >"$TMP/bad.trace"
"$FM" export --perfetto "$TMP/b.json" "$TMP/bad.trace" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "bad.trace:3: unknown operation 'flush'" "$TMP/err" &&
	pass export-bad-input || fail export-bad-input "$(cat "$TMP/err")"

# ---- a recording of the agent, opened by speedscope in headless Chromium ----
ELF=$BUILD/agent.elf
if [ ! -f "$ELF" ] || ! command -v qemu-system-aarch64 >/dev/null; then
	unavailable export-speedscope "no $ELF or qemu-system-aarch64"
	finish
fi
if ! command -v chromium >/dev/null; then
	unavailable export-speedscope "no chromium (scripts/deps.sh installs it)"
	finish
fi
if ! NPM=$(scripts/npm-tools.sh 2>"$TMP/npm.err"); then
	unavailable export-speedscope "npm packages not available: $(cat "$TMP/npm.err")"
	finish
fi
# 50 iterations on each CPU, then the agent stops QEMU: its rings hold every event.
qemu_start -s 4 -m local -i 50 || { fail export-qemu-start; finish; }
qemu_wait
"$FM" trace --mem "$QEMU_SHM" --elf "$ELF" -q --save "$TMP/agent.trace" >/dev/null 2>&1
rc=$?
qemu_stop
# local mode: the agent's own bug is found (exit status 1)
[ $rc = 1 ] || { fail export-agent "trace exited $rc, want 1"; finish; }
nev=$(grep -c '^c[0-9]' "$TMP/agent.trace")
if ! "$FM" export --perfetto "$TMP/agent.json" --elf "$ELF" "$TMP/agent.trace" >"$TMP/out" 2>&1; then
	fail export-agent "$(cat "$TMP/out")"
	finish
fi
"$FM" check -j "$TMP/agent.trace" >"$TMP/f.jsonl" 2>/dev/null
rc=$?
if [ $rc = 1 ] && python3 tests/tools/trace_event_check.py "$TMP/agent.json" "$TMP/f.jsonl" >"$TMP/chk" &&
	grep -q '"symbol":"fixmap_unmap+0x' "$TMP/agent.json" &&
	grep -q '"name":"bbm-local-tlbi"' "$TMP/agent.json"; then
	pass "export-agent ($nev events)"
else
	fail export-agent "$(head -5 "$TMP/chk")"
fi
# speedscope loads a profile from a script that calls speedscope.loadFileFromBase64
# (what its own command-line tool writes); Chromium prints the page it rendered.
node -e 'const fs = require("fs"); const b = fs.readFileSync(process.argv[1]).toString("base64");
	fs.writeFileSync(process.argv[2], "speedscope.loadFileFromBase64(\"agent.json\", " + JSON.stringify(b) + ")")' \
	"$TMP/agent.json" "$TMP/agent.js"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$TMP/chromium" --allow-file-access-from-files --virtual-time-budget=10000 \
	--dump-dom "file://$NPM/node_modules/speedscope/dist/release/index.html#localProfilePath=$TMP/agent.js" \
	>"$TMP/dom.html" 2>"$TMP/chromium.err"
# One profile per CPU track, named by its thread_name, weighing one microsecond per event.
ok=1 why=""
[ "$(grep -c '^c[0-3] ' "$TMP/agent.trace")" -gt 0 ] && [ "$(grep -c '^c0 ' "$TMP/agent.trace")" -gt 0 ] &&
	[ "$(grep -c '^c3 ' "$TMP/agent.trace")" -gt 0 ] || { ok=0; why="the recording lacks CPUs;"; }
grep -q '<title>agent.json - speedscope</title>' "$TMP/dom.html" || { ok=0; why="profile not loaded"; }
for c in 0 1 2 3; do
	want=$(grep -c "^c$c " "$TMP/agent.trace")
	[ "$want" -eq 0 ] && continue
	got=$(grep -o "<tr title=\"fixmap [^\"]*, cpu$c (tid $c)\"[^>]*>.*" "$TMP/dom.html" | head -1 |
		grep -o '[0-9.]*µs' | head -1)
	[ "$got" = "$want.00µs" ] || { ok=0; why="$why cpu$c: speedscope shows ${got:-nothing}, the trace has $want events;"; }
done
if [ $ok = 1 ]; then
	pass export-speedscope
else
	fail export-speedscope "$why $(head -c 300 "$TMP/chromium.err")"
fi
finish

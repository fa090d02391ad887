#!/bin/bash
# The rule examples of fixmap-trace(5) (RULES) are what the checker finds: each
# example body, after "fixmap-trace 1" and "cpus 2" as the page says, is
# checked; the findings must be exactly the marked lines ("# here": the entry's
# rule; "# RULE": that rule), each with the rule's severity (missing-isb is a
# warning, the others errors), and the exit status 1 when one is an error.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

python3 - "$FM" "$TMP" man/fixmap-trace.5 <<'EOF'
import json, os, subprocess, sys

sys.path.insert(0, "tests")
from examples import unroff  # the one roff unescaper of the tests

fm, tmp, page = sys.argv[1:4]
src = open(page).read().split("\n")
start = src.index(".SH RULES")
end = next(i for i in range(start + 1, len(src)) if src[i].startswith(".SH "))
WARNINGS = {"missing-isb"}
rule, n, bad = None, 0, 0
i = start
while i < end:
    line = src[i]
    if line == ".TP" and src[i + 1].startswith(".B "):
        rule = unroff(src[i + 1][3:]).strip()
    if line == ".EX" and rule:
        j = src.index(".EE", i)
        body = [unroff(x) for x in src[i + 1:j]]
        events, want = [], set()
        for k, b in enumerate(body):
            ev, _, note = b.partition("#")
            events.append(ev.rstrip())
            note = note.strip()
            if not note:
                continue
            r = rule if note.startswith("here") else note.split()[0]
            want.add((r, k + 3, "warning" if r in WARNINGS else "error"))
        path = os.path.join(tmp, f"{rule}.trace")
        open(path, "w").write("fixmap-trace 1\ncpus 2\n" + "\n".join(events) + "\n")
        p = subprocess.run([fm, "check", "-j", path], capture_output=True, text=True)
        have = set()
        for l in p.stdout.splitlines():
            o = json.loads(l)
            if "rule" in o:
                have.add((o["rule"], o["line"], o["severity"]))
        want_rc = 1 if any(s == "error" for _, _, s in want) else 0
        n += 1
        if not want:
            print(f"FAIL: man-rule-{rule} (the example marks no line)")
            bad += 1
        elif have == want and p.returncode == want_rc:
            print(f"PASS: man-rule-{rule}")
        else:
            print(f"FAIL: man-rule-{rule} (exit {p.returncode}, want {want_rc}; "
                  f"found {sorted(have)}, the page says {sorted(want)}; {p.stderr.strip()[:200]})")
            bad += 1
        rule = None
        i = j
    i += 1
if n < 10:
    print(f"FAIL: man-rules (only {n} rule examples found in {page})")
    bad += 1
sys.exit(1 if bad else 0)
EOF

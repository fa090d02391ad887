#!/usr/bin/env python3
"""The examples in the manual pages are what the tool prints.

An example is marked in a page with a comment line, followed by the block:

    .\\" example: check --explain tests/traces/no-tlbi.trace
    .EX
    $ fixmapctl check \\-\\-explain tests/traces/no\\-tlbi.trace
    ...the output, roff-escaped...
    .EE

This runs `FM ARGS` (FM: the fixmapctl to test) from the repository root
and compares the block with its output; with --update it rewrites the
blocks instead. The rule list between `.\\" rules-begin` and `.\\" rules-end`
is compared with the rule table `fixmapctl check -h` prints.

    man-examples.py FIXMAPCTL [--update] [PAGE...]
"""
import os
import re
import subprocess
import sys


def esc(line):
    line = line.replace("\\", "\\e").replace("-", "\\-")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def run(fm, args):
    p = subprocess.run([fm] + args.split(), capture_output=True, text=True)
    out = p.stdout.rstrip("\n").split("\n")
    return ["$ fixmapctl " + esc(args)] + [esc(x) for x in out], p.returncode


def rules_block(fm):
    h = subprocess.run([fm, "check", "-h"], capture_output=True, text=True).stdout
    lines = []
    for m in re.finditer(r"^  ([a-z][a-z0-9-]+) +(.*?)( \(warning\))?$", h.split("Rules")[-1], re.M):
        lines += [".TP", ".B " + esc(m.group(1)), esc(m.group(2)) + (" (warning)." if m.group(3) else ".")]
    return lines


def main():
    fm = sys.argv[1]
    update = "--update" in sys.argv[2:]
    pages = [a for a in sys.argv[2:] if a != "--update"] or sorted(
        os.path.join("man", p) for p in os.listdir("man") if re.search(r"\.[1-9]$", p))
    bad = 0
    for page in pages:
        src = open(page).read().split("\n")
        out, i, n = [], 0, 0
        while i < len(src):
            line = src[i]
            out.append(line)
            m = re.match(r'^\.\\" example: (.*)$', line)
            if line == '.\\" rules-begin':
                want = rules_block(fm)
                j = src.index('.\\" rules-end', i)
                have = src[i + 1:j]
                name = f"{page} rules"
                n += 1
                if have != want:
                    if update:
                        print(f"updated: {name}")
                    else:
                        bad += 1
                        print(f"FAIL: {name}")
                        for a, b in zip(have + [""] * len(want), want + [""] * len(have)):
                            if a != b:
                                print(f"  page: {a}\n  tool: {b}")
                                break
                else:
                    print(f"PASS: {name}")
                out += want + ['.\\" rules-end']
                i = j + 1
                continue
            if m and i + 1 < len(src) and src[i + 1] == ".EX":
                args = m.group(1)
                j = src.index(".EE", i)
                have = src[i + 2:j]
                want, rc = run(fm, args)
                name = f"{page}: fixmapctl {args}"
                n += 1
                if rc not in (0, 1):
                    bad += 1
                    print(f"FAIL: {name} (exit status {rc})")
                elif have != want:
                    if update:
                        print(f"updated: {name}")
                    else:
                        bad += 1
                        print(f"FAIL: {name}")
                        for k, (a, b) in enumerate(zip(have + [""] * len(want), want + [""] * len(have))):
                            if a != b:
                                print(f"  line {k + 1} of the example:\n  page: {a}\n  tool: {b}")
                                break
                else:
                    print(f"PASS: {name}")
                out += [".EX"] + want + [".EE"]
                i = j + 1
                continue
            i += 1
        if update:
            open(page, "w").write("\n".join(out))
    return 1 if bad else 0


sys.exit(main())

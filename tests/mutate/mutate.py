#!/usr/bin/env python3
"""Mutation testing of the checker and lint: make mutate.

    tests/mutate/mutate.py [--build DIR] [--list] [ID...]

Copies the repository's tracked files into DIR/src (default build/mutate),
builds fixmapctl and the unit tests named by the catalogue there (optimized,
without sanitizers: a mutation is judged by the tests' verdicts, not by
sanitizer reports), checks that every test passes on the unmutated sources,
then applies each mutation of tests/mutate/catalogue alone, rebuilds, runs
the tests it names and prints whether one of them failed (killed) or all
passed (survived). At the end: the mutation score and every survivor, with
the catalogue's reason when it is marked equivalent.

Exit status 0 when every mutation is killed or is a survivor marked
equivalent; 1 when an unmarked mutation survives, a marked one no longer
applies, or a mutation does not apply (its text is not found exactly once)
or does not build; 2 when the unmutated tree fails its own tests.

Catalogue format (tests/mutate/catalogue): blocks separated by blank lines,
`#` comments; each block is

    [ID]
    file: PATH
    find: TEXT         exact text that occurs once in PATH (\\n and \\t escapes)
    replace: TEXT      what it becomes (the same escapes)
    tests: NAME ...    optional; default: the file's tests (DEFAULT_TESTS)
    equivalent: WHY    optional: the mutation cannot be told apart by any
                       test (kept to show it was considered)

Tests: unit:NAME runs build/tests/NAME; check-traces and lint-snippets run
tests/e2e/NAME.sh with the mutated fixmapctl.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CATALOGUE = os.path.join(ROOT, "tests", "mutate", "catalogue")
DEFAULT_TESTS = {
    "cli/bbm.c": ["unit:test_bbm", "check-traces"],
    "cli/lintseq.c": ["unit:test_lintseq", "lint-snippets"],
    "cli/arm64.c": ["unit:test_arm64", "unit:test_bbm", "check-traces"],
    "include/arm64/tlbi.h": ["unit:test_arm64", "unit:test_bbm", "check-traces"],
}
TEST_TIMEOUT = 300


def unescape(s):
    return s.replace("\\n", "\n").replace("\\t", "\t")


def parse(path):
    muts, cur = [], None
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^\[([a-z0-9-]+)\]$", line)
        if m:
            cur = {"id": m.group(1), "line": n}
            muts.append(cur)
            continue
        m = re.match(r"^(file|find|replace|tests|equivalent): ?(.*)$", line)
        if not m or cur is None:
            sys.exit(f"{path}:{n}: expected [ID] or KEY: VALUE, found: {line}")
        k, v = m.groups()
        if k in cur:
            sys.exit(f"{path}:{n}: {k}: given twice in [{cur['id']}]")
        cur[k] = v
    ids = set()
    for m in muts:
        for k in ("file", "find", "replace"):
            if k not in m:
                sys.exit(f"{path}:{m['line']}: [{m['id']}] has no {k}:")
        if m["id"] in ids:
            sys.exit(f"{path}:{m['line']}: [{m['id']}] twice")
        ids.add(m["id"])
        m["find"], m["replace"] = unescape(m["find"]), unescape(m["replace"])
        m["tests"] = m["tests"].split() if "tests" in m else DEFAULT_TESTS.get(m["file"])
        if not m["tests"]:
            sys.exit(f"{path}:{m['line']}: [{m['id']}] names no tests and {m['file']} has no default")
    return muts


def sh(cmd, cwd, timeout=None, env=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env, text=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return 124, out + f"\n(timed out after {timeout} s)"


class Tree:
    def __init__(self, build):
        self.src = os.path.join(build, "src")
        self.out = os.path.join(build, "build")
        self.orig = {}

    def copy(self):
        files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE,
                               check=True).stdout.decode().split("\0")
        os.makedirs(self.src, exist_ok=True)
        for f in files:
            if not f or not os.path.isfile(os.path.join(ROOT, f)):
                continue
            d = os.path.join(self.src, f)
            os.makedirs(os.path.dirname(d), exist_ok=True)
            data = open(os.path.join(ROOT, f), "rb").read()
            # rewrite only what changed: make rebuilds what it must, not everything
            if not os.path.exists(d) or open(d, "rb").read() != data:
                open(d, "wb").write(data)
                shutil.copymode(os.path.join(ROOT, f), d)

    def text(self, path):
        if path not in self.orig:
            self.orig[path] = open(os.path.join(ROOT, path)).read()
        return self.orig[path]

    def write(self, path, text):
        # a new modification time, later than the objects built from the last version
        open(os.path.join(self.src, path), "w").write(text)

    def restore(self, path):
        self.write(path, self.text(path))

    def build(self, targets):
        cmd = ["make", "--no-print-directory", "-j2", f"BUILD={self.out}", "SAN_FLAGS=-O1 -g",
               "QEMU_PLUGIN_INC="] + targets
        return sh(cmd, self.src)

    def targets(self, tests):
        t = [f"{self.out}/fixmapctl-san"]
        t += [f"{self.out}/tests/{x[5:]}" for x in tests if x.startswith("unit:")]
        return t

    def run(self, test):
        env = dict(os.environ, BUILD=self.out, FM=f"{self.out}/fixmapctl-san")
        if test.startswith("unit:"):
            rc, out = sh([f"{self.out}/tests/{test[5:]}"], self.src, TEST_TIMEOUT, env)
        else:
            rc, out = sh(["bash", f"tests/e2e/{test}.sh"], self.src, TEST_TIMEOUT, env)
        fails = [l for l in out.splitlines() if l.startswith("FAIL: ")]
        if rc != 0 and not fails:
            fails = [f"FAIL: {test} exited with status {rc}"]
        return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, os.environ.get("BUILD", "build"), "mutate"))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("ids", nargs="*")
    a = ap.parse_args()
    muts = parse(CATALOGUE)
    if a.list:
        for m in muts:
            print(f"{m['id']:36s} {m['file']:22s} {' '.join(m['tests'])}")
        return 0
    if a.ids:
        unknown = set(a.ids) - {m["id"] for m in muts}
        if unknown:
            sys.exit(f"mutate: no such mutation: {' '.join(sorted(unknown))}")
        muts = [m for m in muts if m["id"] in a.ids]
    tree = Tree(os.path.abspath(a.build))
    tree.copy()
    tests = sorted({t for m in muts for t in m["tests"]})
    targets = tree.targets(tests) + [f"{tree.out}/agent.elf"]
    print(f"mutate: {len(muts)} mutations; building {tree.src} into {tree.out}", flush=True)
    rc, out = tree.build(targets)
    if rc:
        print(out[-3000:])
        print("mutate: the unmutated tree does not build")
        return 2
    for t in tests:
        fails = tree.run(t)
        if fails:
            print("\n".join(fails[:10]))
            print(f"mutate: {t} fails on the unmutated tree")
            return 2
    print(f"mutate: the unmutated tree passes {' '.join(tests)}", flush=True)

    killed, survived, bad = [], [], []
    t0 = time.time()
    for m in sorted(muts, key=lambda m: m["file"]):
        text = tree.text(m["file"])
        n = text.count(m["find"])
        if n != 1:
            print(f"  STALE    {m['id']}: the text to find occurs {n} times in {m['file']}", flush=True)
            bad.append(m)
            continue
        tree.write(m["file"], text.replace(m["find"], m["replace"]))
        rc, out = tree.build(tree.targets(m["tests"]))
        if rc:
            tree.restore(m["file"])
            print(f"  NOBUILD  {m['id']}: {' '.join(out.splitlines()[-3:])}", flush=True)
            bad.append(m)
            continue
        why = None
        for t in m["tests"]:
            fails = tree.run(t)
            if fails:
                why = f"{t}: {fails[0][6:]}" + (f" (+{len(fails) - 1})" if len(fails) > 1 else "")
                break
        tree.restore(m["file"])
        if why:
            killed.append(m)
            print(f"  killed   {m['id']:34s} by {why[:110]}", flush=True)
        else:
            survived.append(m)
            tag = "equiv" if "equivalent" in m else "SURVIVED"
            print(f"  {tag:8s} {m['id']}", flush=True)
    # leave the copy as the sources are
    for f in {m["file"] for m in muts}:
        tree.restore(f)
    total = len(muts)
    print(f"mutate: {total} mutations in {time.time() - t0:.0f} s")
    print(f"mutation score: {len(killed)}/{total - len(bad)} killed"
          + (f" ({len(bad)} do not apply or build)" if bad else ""))
    equiv = [m for m in survived if "equivalent" in m]
    unexplained = [m for m in survived if "equivalent" not in m]
    if survived:
        print("survivors:")
        for m in survived:
            print(f"  {m['id']} ({m['file']}): "
                  + (f"equivalent: {m['equivalent']}" if "equivalent" in m else "NOT EXPLAINED"))
    killed_equiv = [m for m in killed if "equivalent" in m]
    for m in killed_equiv:
        print(f"mutate: [{m['id']}] is marked equivalent but a test kills it: drop the mark")
    for m in bad:
        print(f"mutate: [{m['id']}] ({CATALOGUE}:{m['line']}) does not apply or build: update it")
    return 1 if unexplained or bad or killed_equiv else 0


if __name__ == "__main__":
    sys.exit(main())

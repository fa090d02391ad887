#!/usr/bin/env python3
"""The examples in the manual pages and the README are what the tool prints.

    examples.py FIXMAPCTL WORKDIR [--prepare CMD] [--have NAME]... [--update] [FILE...]

An example is a block marked in its page, run and compared here:

  man pages (roff):            README.md (Markdown):
    .\\" example                  <!-- example -->
    .EX                          ```
    $ fixmapctl ARGS             $ fixmapctl ARGS
    output ...                   output ...
    .EE                          ```

Every line that starts with "$ " is a command, run with bash in WORKDIR
(which holds what the examples name: tests/, build/, sample files) with
`fixmapctl` being FIXMAPCTL; the lines up to the next command are its
output (stdout and stderr, as a terminal shows them). "$ echo $?" shows the
previous command's exit status, which is then compared too; a command whose
status no "$ echo $?" shows must exit 0, or the status the marker names:
`.\\" example exit=1` (also `.\\" example exit=1: anything`).
In the expected output, a line ending in "[...]" stands for every line that
begins with the text before it, "[...]" within a line for any text there, and
a line that is "..." for any number of lines. Roff escapes (\\- \\e \\& \\(aq) are undone before comparing; a roff
line ending in "\\e" continues the command on the next line.

A block that shows output the tests cannot produce (a running guest, a
downloaded kernel) is marked `.\\" illustration: WHY` (<!-- illustration: WHY -->)
instead; every .EX and ``` block that shows a fixmapctl command must be one
or the other. An example that needs what only some machines have names it,
`.\\" example needs=qemu10`, and runs when the test says it is there
(--have qemu10); otherwise it is a SKIP that fails under CI=true.

In a man page, the rule list between `.\\" rules-begin` and `.\\" rules-end`
is compared with the rule table `fixmapctl check -h` prints.

--prepare CMD runs CMD (bash, in WORKDIR) before each block: the examples
start from the same files whatever the blocks before them changed.
--update writes the tool's whole output into the blocks (elisions are lost:
put them back by hand). Prints PASS:/FAIL: per block.
"""
import os
import re
import subprocess
import sys


def unroff(line):
    s = line.replace("\\(aq", "'").replace("\\-", "-").replace("\\&", "")
    return s.replace("\\e", "\\")


def roff(line):
    line = line.replace("\\", "\\e").replace("-", "\\-")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def match(want, have):
    """Whether the output lines have match the expected lines want (with elisions)."""
    if not want:
        return not have
    w = want[0]
    if w == "...":
        return any(match(want[1:], have[i:]) for i in range(len(have) + 1))
    if not have:
        return False
    if w.endswith("[...]") and "[...]" not in w[:-5]:
        ok = have[0].startswith(w[:-5].rstrip(" ") if w[:-5].endswith(" ") else w[:-5])
    elif "[...]" in w:
        ok = re.fullmatch(".*".join(re.escape(p) for p in w.split("[...]")), have[0]) is not None
    else:
        ok = w == have[0]
    return ok and match(want[1:], have[1:])


def first_difference(want, have):
    for i in range(max(len(want), len(have))):
        a = want[i] if i < len(want) else "(nothing)"
        b = have[i] if i < len(have) else "(nothing)"
        if a == "..." or not match([a], [b]):
            return f"line {i + 1}:\n    page: {a}\n    tool: {b}"
    return ""


def run(fm, workdir, cmd):
    bindir = os.path.join(workdir, ".bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "fixmapctl")
    if not os.path.islink(link):
        os.symlink(os.path.abspath(fm), link)
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], LC_ALL="C")
    env.pop("NO_COLOR", None)
    p = subprocess.run(["bash", "-c", cmd], cwd=workdir, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, text=True, errors="replace")
    out = p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout
    return (out.split("\n") if out else []), p.returncode


def commands(lines):
    """Split a block into [(command, [expected lines], shown status or None)]."""
    cmds = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            if not cmds:
                raise ValueError(f"the block starts with output, not a command: {line}")
            cmds[-1][1].append(line)
            i += 1
            continue
        cmd = line[2:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + lines[i].strip()
        i += 1
        if cmd.strip() == "echo $?":
            if not cmds or i >= len(lines):
                raise ValueError("'$ echo $?' without a command before it or a status after it")
            cmds[-1][2] = int(lines[i])
            i += 1
            continue
        cmds.append([cmd, [], None])
    return cmds


def check_block(fm, workdir, lines, default_rc, prepare):
    """Returns (ok, message, the block as the tool would write it)."""
    out_lines, msgs = [], []
    if prepare:
        subprocess.run(["bash", "-c", prepare], cwd=workdir, check=True)
    for cmd, want, shown_rc in commands(lines):
        have, rc = run(fm, workdir, cmd)
        want_rc = shown_rc if shown_rc is not None else default_rc
        out_lines.append("$ " + cmd)
        out_lines += have
        if shown_rc is not None:
            out_lines += ["$ echo $?", str(rc)]
        if rc != want_rc:
            msgs.append(f"$ {cmd}: exit status {rc}, the page says {want_rc}")
        elif not match(want, have):
            msgs.append(f"$ {cmd}: {first_difference(want, have)}")
    return not msgs, "; ".join(msgs), out_lines


def rules_block(fm):
    """The man page's rule list (.TP entries) from the table check -h prints."""
    h = subprocess.run([fm, "check", "-h"], capture_output=True, text=True).stdout
    lines = []
    for m in re.finditer(r"^  ([a-z][a-z0-9-]+) +(.*?)( \(warning\))?$", h.split("Rules")[-1], re.M):
        lines += [".TP", ".B " + roff(m.group(1)), roff(m.group(2)) + (" (warning)." if m.group(3) else ".")]
    return lines


def marker(line, roff_page):
    if roff_page:
        m = re.match(r'^\.\\" (example|illustration)\b(.*)$', line)
    else:
        m = re.match(r"^<!-- (example|illustration)\b(.*?)\s*-->$", line)
    if not m:
        return None, 0
    kind, rest = m.groups()
    rc = re.search(r"\bexit=(\d+)", rest) if kind == "example" else None
    needs = re.search(r"\bneeds=(\S+)", rest) if kind == "example" else None
    return kind, (int(rc.group(1)) if rc else 0, needs.group(1) if needs else None)


def process(path, fm, workdir, update, prepare, available=()):
    roff_page = not path.endswith(".md")
    src = open(path).read().split("\n")
    out, bad, n, i = [], 0, 0, 0
    pending = None  # (kind, rc) of a marker waiting for its block
    while i < len(src):
        line = src[i]
        if roff_page and line == '.\\" rules-begin':
            j = src.index('.\\" rules-end', i)
            want, have = rules_block(fm), src[i + 1:j]
            n += 1
            name = f"{path}:{i + 1} rules"
            if have == want:
                print(f"PASS: {name}")
            elif update:
                print(f"updated: {name}")
            else:
                bad += 1
                print(f"FAIL: {name}: {first_difference(have, want)}")
            out += [line] + (want if update else have) + [src[j]]
            i = j + 1
            continue
        kind, rc = marker(line, roff_page)
        if kind:
            pending = (kind, rc, i + 1)
            out.append(line)
            i += 1
            continue
        start = line == ".EX" if roff_page else re.match(r"^```", line)
        if not start:
            out.append(line)
            i += 1
            if line.strip():
                pending = None
            continue
        end = ".EE" if roff_page else "```"
        try:
            j = src.index(end, i + 1)
        except ValueError:
            print(f"FAIL: {path}:{i + 1}: block without {end}")
            return 1, n
        body = src[i + 1:j]
        lines = [unroff(x) for x in body] if roff_page else body
        shows_command = any(x.startswith("$ fixmapctl") for x in lines)
        name = f"{path}:{i + 1}"
        if pending is None:
            if shows_command:
                print(f"FAIL: {name}: a block that shows fixmapctl but is marked neither as an example nor as an illustration")
                bad += 1
            out += src[i:j + 1]
        elif pending[0] == "illustration":
            out += src[i:j + 1]
        elif pending[1][1] and pending[1][1] not in available:
            print(f"SKIP: {name} (needs {pending[1][1]}) [third-party]")
            out += src[i:j + 1]
        else:
            n += 1
            try:
                ok, msg, new = check_block(fm, workdir, lines, pending[1][0], prepare)
            except ValueError as e:
                ok, msg, new = False, str(e), lines
            if ok:
                print(f"PASS: {name} ({lines[0][2:62]})")
                out += src[i:j + 1]
            elif update:
                print(f"updated: {name}")
                out += [src[i]] + ([roff(x) for x in new] if roff_page else new) + [src[j]]
            else:
                bad += 1
                print(f"FAIL: {name}: {msg}")
                out += src[i:j + 1]
        pending = None
        i = j + 1
    if update:
        open(path, "w").write("\n".join(out))
    return bad, n


def main():
    argv = sys.argv[1:]
    prepare = None
    if "--prepare" in argv:
        k = argv.index("--prepare")
        prepare = argv[k + 1]
        del argv[k:k + 2]
    have = []
    while "--have" in argv:
        k = argv.index("--have")
        have.append(argv[k + 1])
        del argv[k:k + 2]
    args = [a for a in argv if a != "--update"]
    update = "--update" in argv
    if len(args) < 2:
        sys.exit(__doc__)
    fm, workdir, files = args[0], args[1], args[2:]
    bad = total = 0
    for f in files:
        b, n = process(f, fm, workdir, update, prepare, have)
        bad += b
        total += n
    if total == 0:
        print(f"FAIL: examples (no example block in {' '.join(files)})")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks a Chrome/Perfetto trace-event JSON file as `fixmapctl export --perfetto`
promises it (cli/export.h), against the Trace Event Format: every event has the
fields its phase needs, slices do not overlap on a CPU's track, async spans
begin and end in pairs, instants sit on a CPU's track.

  trace_event_check.py FILE.json [FINDINGS.jsonl]
  trace_event_check.py --pairs FILE.json FINDINGS.jsonl ...   (many at once)

With FINDINGS (the output of `fixmapctl check -j` on the same trace), the
instant events must be exactly the findings: the same rule, CPU and line.
Prints what is wrong and exits 1, or prints a one-line summary."""
import json
import sys


def check(path, findings):
    doc = json.load(open(path))
    bad = []
    evs = doc.get("traceEvents")
    if not isinstance(evs, list):
        print("no traceEvents array")
        return 1
    names, slices, spans, instants = {}, {}, {}, []
    for i, e in enumerate(evs):
        ph = e.get("ph")
        for k in ("pid", "tid", "name"):
            if k not in e:
                bad.append(f"event {i} ({ph}) has no {k}")
        if ph == "M":
            if e.get("name") == "thread_name":
                names[e["tid"]] = e["args"]["name"]
            continue
        if not isinstance(e.get("ts"), (int, float)):
            bad.append(f"event {i} ({ph}) has no numeric ts")
            continue
        if ph == "X":
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                bad.append(f"slice {i} has no dur")
            slices.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"], i))
        elif ph in ("b", "e"):
            if "id" not in e or "cat" not in e:
                bad.append(f"async event {i} has no id or cat")
                continue
            key = (e["cat"], e["id"])
            if ph == "b":
                if key in spans:
                    bad.append(f"async span {key} begins twice")
                spans[key] = e
            else:
                b = spans.pop(key, None)
                if b is None:
                    bad.append(f"async span {key} ends without a begin")
                elif b["name"] != e["name"] or e["ts"] < b["ts"]:
                    bad.append(f"async span {key}: end does not match its begin")
        elif ph == "i":
            if e.get("s") != "t":
                bad.append(f"instant {i} is not on a thread (s != t)")
            instants.append(e)
        else:
            bad.append(f"event {i}: unexpected phase {ph!r}")
    for key in spans:
        bad.append(f"async span {key} never ends")
    for tid, sl in slices.items():
        if tid not in names:
            bad.append(f"track {tid} has slices but no thread_name")
        sl.sort()
        for a, b in zip(sl, sl[1:]):
            if b[0] < a[1]:
                bad.append(f"slices {a[2]} and {b[2]} overlap on tid {tid}")
    for e in instants:
        if e["tid"] not in names:
            bad.append(f"instant {e['name']} on tid {e['tid']}, which has no thread_name")
    if findings:
        want = sorted((f["rule"], f["cpu"], f["line"]) for f in
                      map(json.loads, open(findings)) if "rule" in f)
        got = sorted((e["name"], e["tid"], e["args"]["line"]) for e in instants)
        if want != got:
            bad.append(f"instants {got} are not the findings {want}")
    for b in bad[:20]:
        print(f"{path}: {b}")
    if bad:
        return 1
    print(f"ok: {path}: {sum(map(len, slices.values()))} slices on {len(slices)} tracks, "
          f"{len(instants)} findings")
    return 0


def main():
    if sys.argv[1] == "--pairs":
        a = sys.argv[2:]
        return max([check(a[i], a[i + 1]) for i in range(0, len(a), 2)] or [0])
    return check(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)


sys.exit(main())

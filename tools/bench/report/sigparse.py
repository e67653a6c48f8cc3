#!/usr/bin/python3
"""Turns the output of the signalling benchmarks (tools/bench/sig/*.sh) into
one JSON document per stage for the report.

Usage: sigparse.py cps|concurrent|ng|sessions RAW_DIR OUT.json
  cps         RAW_DIR/stdout of cps.sh: every ramp step, the highest clean
              rate and the setup latency at half that rate, per stack
  concurrent  the same, plus sipp's per-second statistics of each stack's
              one long step (RAW_DIR/<stack>-<rate>.csv): calls in progress
              and failed calls over time
  ng          RAW_DIR/<relay>.json: pierce-ngbench's report per relay
  sessions    RAW_DIR/*.json as sessions.sh wrote them, and its stdout
Exit status: 0 when the document holds a result for at least one stack or
relay, 1 otherwise.
"""
import glob
import json
import os
import re
import sys

STEP = re.compile(r"^(\S+/\S+) (\d+) cps: (\S+) ok, (\S+) failed, (\S+) retransmissions")
HALF = re.compile(r"^(\S+/\S+) at (\d+) cps: (\S+) ok, (\S+) failed, setup p50 (\S+) ms, p99 (\S+) ms")
SUMMARY = re.compile(r"^  (\S+/\S+): (\S+) cps; p50 (\S+) ms, p99 (\S+) ms")
LEFT = re.compile(r"^(\S+/\S+): relay sessions left after the ramp: (\S+)")


def num(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        try:
            return float(s)
        except (TypeError, ValueError):
            return None


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def sig_stacks(raw):
    stacks = {}

    def st(name):
        return stacks.setdefault(name, {"steps": [], "best_cps": None})
    for line in read(os.path.join(raw, "stdout")).splitlines():
        m = STEP.match(line)
        if m:
            st(m[1])["steps"].append({"rate": int(m[2]), "ok": num(m[3]), "failed": num(m[4]),
                                      "retransmissions": num(m[5])})
            continue
        m = HALF.match(line)
        if m:
            st(m[1])["half_load"] = {"rate": int(m[2]), "ok": num(m[3]), "failed": num(m[4]),
                                     "setup_p50_ms": num(m[5]), "setup_p99_ms": num(m[6])}
            continue
        m = SUMMARY.match(line)
        if m:
            st(m[1])["best_cps"] = num(m[2])
            continue
        m = LEFT.match(line)
        if m:
            st(m[1])["relay_sessions_left"] = num(m[2])
    return stacks


def sipp_series(path):
    """Per-second rows of a sipp -trace_stat file (-fd 1)."""
    rows, hdr = [], None
    for line in read(path).splitlines():
        f = line.rstrip(";").split(";")
        if hdr is None:
            hdr = {k: i for i, k in enumerate(f)}
            continue
        try:
            rows.append({"t": len(rows) + 1, "current": int(f[hdr["CurrentCall"]]),
                         "ok": int(f[hdr["SuccessfulCall(C)"]]), "failed": int(f[hdr["FailedCall(C)"]]),
                         "retrans": int(f[hdr["Retransmissions(C)"]])})
        except (KeyError, IndexError, ValueError):
            continue
    return rows


def concurrent(raw, stacks):
    for name, s in stacks.items():
        tag = name.replace("/", "-")
        for step in s["steps"]:
            series = sipp_series(os.path.join(raw, "%s-%d.csv" % (tag, step["rate"])))
            clean = [r["current"] for r in series if r["failed"] == 0]
            s.update({"rate": step["rate"], "series": series,
                      "max_concurrent": max((r["current"] for r in series), default=None),
                      "max_concurrent_before_first_failure": max(clean, default=None),
                      "calls_ok": step["ok"], "calls_failed": step["failed"]})
    return stacks


def main(argv):
    if len(argv) != 4 or argv[1] not in ("cps", "concurrent", "ng", "sessions"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, raw, out = argv[1:]
    doc = {"stage": kind}
    if kind in ("cps", "concurrent"):
        stacks = sig_stacks(raw)
        if kind == "concurrent":
            stacks = concurrent(raw, stacks)
        doc["stacks"] = stacks
        doc["step_s"] = int(os.environ.get("STEP_S", "10"))
        ok = any(s["steps"] for s in stacks.values())
    elif kind == "ng":
        doc["relays"] = {}
        for p in sorted(glob.glob(os.path.join(raw, "*.json"))):
            try:
                doc["relays"][os.path.basename(p)[:-5]] = json.load(open(p))
            except ValueError as e:
                doc.setdefault("errors", []).append("%s: %s" % (p, e))
        ok = bool(doc["relays"])
    else:
        doc["reports"] = {}
        for p in sorted(glob.glob(os.path.join(raw, "*.json"))):
            try:
                doc["reports"][os.path.basename(p)[:-5]] = json.load(open(p))
            except ValueError as e:
                doc.setdefault("errors", []).append("%s: %s" % (p, e))
        doc["stdout_tail"] = read(os.path.join(raw, "stdout")).splitlines()[-30:]
        ok = bool(doc["reports"])
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

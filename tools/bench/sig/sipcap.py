#!/usr/bin/python3
"""The call-setup latency that the signalling servers add, from one packet
capture taken on the interface in front of them (so one clock stamps both
sides of every transit).

Usage:
  sipcap.py step PCAP SRV UAC UAS [KEY=VALUE...]
      Reads PCAP (pcap, Ethernet, micro- or nanosecond stamps), pairs the
      messages of each call by Call-ID and prints one JSON object: the
      transits of the INVITE (arrived from UAC -> left toward UAS) and of its
      200 (arrived from UAS -> left toward UAC), their sum per call, and
      p50/p90/p99/max of each in microseconds. Every call whose INVITE
      arrived from UAC is counted; one without all four stamps is an
      unmatched call, listed by what was missing. KEY=VALUE pairs (numbers
      where they parse) are copied into the object. With SIPCAP_CALLS=FILE,
      also writes each matched call's stamp and transits to FILE (CSV).
  sipcap.py summary ROWS.jsonl OUTBASE LIMIT_US
      ROWS.jsonl holds step objects; writes OUTBASE.json and OUTBASE.md with
      every step and, per stack and rate, the verdict "p99 <= LIMIT_US".
Only the first copy of each message counts (a retransmission is not a new
transit). Bounded: a frame is read only up to its captured length, a SIP
head only up to its first 4 KiB.
"""
import json
import math
import os
import struct
import sys
import time

PCAP_US = 0xA1B2C3D4
PCAP_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1
HEAD_MAX = 4096
PARTS = ("invite", "ok200", "total")
CONTENDED_SHARE = 0.05  # of one core


def frames(path):
    """Yields (stamp in ns, payload) of every UDP datagram in an Ethernet pcap."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(hdr)))
        for endian in ("<", ">"):
            magic, = struct.unpack(endian + "I", hdr[:4])
            if magic in (PCAP_US, PCAP_NS):
                break
        else:
            raise ValueError("%s: not a pcap file (magic %s)" % (path, hdr[:4].hex()))
        scale = 1 if magic == PCAP_NS else 1000
        linktype, = struct.unpack(endian + "I", hdr[20:24])
        if linktype != LINKTYPE_ETHERNET:
            raise ValueError("%s: link type %d, want Ethernet" % (path, linktype))
        rec = struct.Struct(endian + "IIII")
        while True:
            r = f.read(16)
            if len(r) < 16:
                return
            sec, frac, caplen, _ = rec.unpack(r)
            data = f.read(caplen)
            if len(data) < caplen:
                return  # a capture cut short: the last frame is partial
            udp = udp_payload(data)
            if udp:
                yield sec * 1000000000 + frac * scale, udp


def udp_payload(d):
    """(src ip, dst ip, payload) of an IPv4 or IPv6 UDP frame, else None."""
    off, etype = 14, struct.unpack("!H", d[12:14])[0] if len(d) >= 14 else 0
    while etype in (0x8100, 0x88A8) and len(d) >= off + 4:  # VLAN tags
        etype = struct.unpack("!H", d[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800 and len(d) >= off + 20:
        ihl = (d[off] & 0x0F) * 4
        if d[off + 9] != 17 or struct.unpack("!H", d[off + 6:off + 8])[0] & 0x3FFF:
            return None  # not UDP, or a fragment
        src, dst = ipstr(d[off + 12:off + 16]), ipstr(d[off + 16:off + 20])
        off += ihl
    elif etype == 0x86DD and len(d) >= off + 40:
        if d[off + 6] != 17:
            return None  # extension headers are not used on this path
        src, dst = ipstr(d[off + 8:off + 24]), ipstr(d[off + 24:off + 40])
        off += 40
    else:
        return None
    if len(d) < off + 8:
        return None
    return src, dst, d[off + 8:]


def ipstr(b):
    if len(b) == 4:
        return "%d.%d.%d.%d" % tuple(b)
    return ":".join("%x" % struct.unpack("!H", b[i:i + 2])[0] for i in range(0, 16, 2))


def sip_head(payload):
    """(first line, Call-ID, CSeq method) of a SIP message, else None."""
    head = payload[:HEAD_MAX].split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    call_id = method = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name in ("call-id", "i") and call_id is None:
            call_id = value.strip()
        elif name == "cseq" and method is None:
            parts = value.split()
            method = parts[1].upper() if len(parts) == 2 else None
    if not call_id or not method:
        return None
    return lines[0], call_id, method


def pct(v, p):
    """Nearest-rank percentile of a sorted list."""
    return v[max(0, math.ceil(p * len(v)) - 1)] if v else None


def stats_us(ns):
    v = sorted(x / 1000.0 for x in ns)
    if not v:
        return {"n": 0}
    return {"n": len(v), "p50": round(pct(v, 0.50), 1), "p90": round(pct(v, 0.90), 1),
            "p99": round(pct(v, 0.99), 1), "max": round(v[-1], 1), "mean": round(sum(v) / len(v), 1)}


def step(path, srv, uac, uas, extra, calls_csv=None):
    # per Call-ID: the first stamp of each of the four crossings
    calls = {}
    sip = other = 0
    for ts, (src, dst, payload) in frames(path):
        h = sip_head(payload)
        if not h:
            other += 1
            continue
        sip += 1
        first, call_id, method = h
        if method != "INVITE":
            continue
        if first.startswith("INVITE "):
            key = "inv_in" if (src, dst) == (uac, srv) else "inv_out" if (src, dst) == (srv, uas) else None
        elif first.startswith("SIP/2.0 200"):
            key = "ok_in" if (src, dst) == (uas, srv) else "ok_out" if (src, dst) == (srv, uac) else None
        else:
            key = None
        if key:
            c = calls.setdefault(call_id, {})
            c.setdefault(key, ts)
    transit = {p: [] for p in PARTS}
    missing = {"inv_out": 0, "ok_in": 0, "ok_out": 0}
    negative = offered = 0
    per_call = []
    for c in calls.values():
        if "inv_in" not in c:
            continue  # not a call of this step (its INVITE arrived before the capture)
        offered += 1
        lack = [k for k in missing if k not in c]
        for k in lack:
            missing[k] += 1
        if lack:
            continue
        inv, ok = c["inv_out"] - c["inv_in"], c["ok_out"] - c["ok_in"]
        if inv < 0 or ok < 0:
            negative += 1  # a stamp out of order: the method failed for this call
            continue
        transit["invite"].append(inv)
        transit["ok200"].append(ok)
        transit["total"].append(inv + ok)
        per_call.append((c["inv_in"], inv, ok))
    if calls_csv:  # for a look at when the slow calls happen
        with open(calls_csv, "w") as f:
            f.write("invite_in_ns;invite_us;ok200_us\n")
            for t, inv, ok in sorted(per_call):
                f.write("%d;%.1f;%.1f\n" % (t, inv / 1000.0, ok / 1000.0))
    row = dict(extra)
    row.update({"calls_offered": offered, "calls_matched": len(transit["total"]),
                "calls_unmatched": offered - len(transit["total"]), "missing": missing,
                "out_of_order": negative, "sip_frames": sip, "other_frames": other})
    for p in PARTS:
        row[p + "_us"] = stats_us(transit[p])
    return row


def num(s):
    for t in (int, float):
        try:
            return t(s)
        except ValueError:
            pass
    return s


def verdict(r, limit_us):
    """A step proves the limit only when every call went through and was matched."""
    p99 = r["total_us"].get("p99")
    if p99 is None:
        return "not measured"
    clean = (r["calls_unmatched"] == 0 and r.get("sipp_failed") == 0 and
             r["calls_offered"] == r.get("calls_expected", r["calls_offered"]))
    if not clean:
        return "not proven" if p99 <= limit_us else "NOT met"
    if contended(r):
        return "contended (%s ms of other CPU)" % r["foreign_cpu_ms"]
    return "met" if p99 <= limit_us else "NOT met"


def contended(r):
    """Other work took more than 5 % of a core while the calls ran (or was not measured)."""
    f, w = r.get("foreign_cpu_ms"), r.get("foreign_wall_ms")
    if not isinstance(f, int) or not isinstance(w, int) or w <= 0:
        return False  # not measured: the row says so with "?"
    return f > CONTENDED_SHARE * w


def summary(rows_path, base, limit_us):
    rows = [json.loads(line) for line in open(rows_path) if line.strip()]
    for r in rows:
        r["verdict"] = verdict(r, limit_us)
    groups = {}
    for r in rows:
        groups.setdefault((r["stack"], r["rate"]), []).append(r)
    agg = []
    for (stack, rate), rs in sorted(groups.items()):
        vs = [r["verdict"] for r in rs]
        # contended rounds say nothing either way; the others decide
        clean = [v for v in vs if not v.startswith("contended")]
        worst = "NOT met" if "NOT met" in clean else "met" if clean and all(v == "met" for v in clean) else \
            "not proven" if clean else "not proven (every round contended)"
        decide = [r for r in rs if not r["verdict"].startswith("contended")] or rs
        p99s = [r["total_us"]["p99"] for r in decide if r["total_us"].get("p99") is not None]
        agg.append({"stack": stack, "rate": rate, "rounds": len(rs), "verdict": worst,
                    "rounds_contended": len(vs) - len(clean),
                    "p99_us_worst": max(p99s, default=None), "p99_us_best": min(p99s, default=None),
                    "calls_matched": sum(r["calls_matched"] for r in rs),
                    "calls_offered": sum(r["calls_offered"] for r in rs)})
    doc = {"benchmark": "latency", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "limit_us": limit_us,
           "method": "tcpdump (host stamps, ns precision) on the server namespace's interface toward the "
                     "phones; per Call-ID: INVITE arrived from the UAC -> INVITE left toward the UAS, and "
                     "the INVITE's 200 arrived from the UAS -> left toward the UAC; added latency = the sum. "
                     "Every ng round trip, the redirect query and the proxy's own work happen inside that "
                     "namespace, between the two stamps. Calls without all four stamps count as unmatched.",
           "steps": rows, "by_rate": agg}
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    md = ["# Call-setup latency added by proxy and relay (%s)" % doc["date"], "", doc["method"], "",
          "Per step: calls at RATE/s for the step's seconds; transit times in µs (nearest-rank percentiles).", "",
          "| round | stack | rate | sipp ok/failed/retr | matched/offered | INVITE p50/p99 | 200 p50/p99 "
          "| sum p50 | sum p90 | sum p99 | sum max | other CPU ms | p99 <= %d µs |" % limit_us,
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        t, i, o = r["total_us"], r["invite_us"], r["ok200_us"]
        md.append("| %s | %s | %s | %s/%s/%s | %d/%d | %s/%s | %s/%s | %s | %s | %s | %s | %s | %s |" % (
            r.get("round", "?"), r["stack"], r["rate"], r.get("sipp_ok", "?"), r.get("sipp_failed", "?"),
            r.get("sipp_retransmissions", "?"), r["calls_matched"], r["calls_offered"], i.get("p50"),
            i.get("p99"), o.get("p50"), o.get("p99"), t.get("p50"), t.get("p90"), t.get("p99"), t.get("max"),
            r.get("foreign_cpu_ms", "?"), r["verdict"]))
    md += ["", "Other CPU: busy time of the machine outside the benchmark's namespaces while the calls were "
           "sent; a step with more than %d %% of a core is contended and proves nothing either way." % (
               CONTENDED_SHARE * 100), "",
           "| stack | rate | rounds (contended) | matched/offered | best p99 µs | worst p99 µs | verdict |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for a in agg:
        md.append("| %s | %s | %d (%d) | %d/%d | %s | %s | %s |" % (
            a["stack"], a["rate"], a["rounds"], a["rounds_contended"], a["calls_matched"], a["calls_offered"],
            a["p99_us_best"], a["p99_us_worst"], a["verdict"]))
    with open(base + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


def main(argv):
    if len(argv) >= 6 and argv[1] == "step":
        extra = {}
        for kv in argv[6:]:
            k, sep, v = kv.partition("=")
            if not sep:
                print("sipcap: %s is not KEY=VALUE" % kv, file=sys.stderr)
                return 2
            extra[k] = num(v)
        try:
            print(json.dumps(step(argv[2], argv[3], argv[4], argv[5], extra, os.environ.get("SIPCAP_CALLS"))))
        except (OSError, ValueError) as e:
            print("sipcap: %s" % e, file=sys.stderr)
            return 1
        return 0
    if len(argv) == 5 and argv[1] == "summary":
        summary(argv[2], argv[3], float(argv[4]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

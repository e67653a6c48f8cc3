#!/usr/bin/python3
"""One result row of the RTP benchmark: reads pierce-rtpgen's JSON report,
ngcalls.py's setup report and two CPU snapshots (cpu_snap in rtp.sh: wall
ns, relay-core idle ns, relay task ns), prints one JSON line.

Usage: row.py KEY=VALUE... --rtpgen FILE --setup FILE --cpu0 "W I T" --cpu1 "W I T"
  KEY=VALUE pairs are copied into the row (numbers stay numbers).

Offered is what the generator sent per second of sending time; intended is
what the streams asked for (streams x rate); delivered is what reached the
other phone. Relay CPU per packet is the relay's own threads plus its
veth's NAPI thread, per packet delivered.
"""
import json
import sys


def num(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def main(argv):
    row, opts, i = {}, {}, 1
    while i < len(argv):
        if argv[i].startswith("--"):
            opts[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            k, v = argv[i].split("=", 1)
            row[k] = num(v)
            i += 1
    setup = json.load(open(opts["setup"])) if opts.get("setup") else {}
    row["setup"] = setup
    try:
        g = json.load(open(opts["rtpgen"]))
    except (OSError, ValueError) as e:
        row["error"] = "no pierce-rtpgen report: %s" % e
        print(json.dumps(row))
        return 0
    t = g["totals"]
    secs = float(g["duration_s"])
    streams = g["streams"]
    w0, i0, t0 = (int(x) for x in opts["cpu0"].split())
    w1, i1, t1 = (int(x) for x in opts["cpu1"].split())
    wall = max(w1 - w0, 1)
    det = g.get("streams_detail", [])
    loss = [s["loss_pct"] for s in det]
    row.update({
        "streams": streams,
        "rate_pps_per_stream": g["rate_pps"],
        "seconds": secs,
        "intended_pps": streams * g["rate_pps"],
        "offered_pps": round(t["tx_packets"] / secs, 1),
        "delivered_pps": round(t["received"] / secs, 1),
        "tx_packets": t["tx_packets"],
        "unsent": t["unsent"],
        "tx_errors": t["tx_errors"],
        "received": t["received"],
        "expected": t["expected"],
        # sent by one phone and not heard by the other: counts streams the
        # relay stopped forwarding, which RFC 3550 loss (per heard stream) does not
        "loss_pct": round(100.0 * (1 - t["received"] / t["tx_packets"]), 3) if t["tx_packets"] else None,
        "rtp_loss_pct": t["loss_pct"],
        "silent_streams": t["silent_streams"],
        "streams_over_50pct_loss": sum(1 for x in loss if x > 50),
        "worst_stream_loss_pct": max(loss) if loss else None,
        "jitter_mean_ms": t["jitter_mean_ms"],
        "jitter_max_ms": t["jitter_max_ms"],
        "latency_p50_us": t["latency"]["p50_us"],
        "latency_p99_us": t["latency"]["p99_us"],
        "latency_max_us": t["latency"]["max_us"],
        "relay_cpu_ms": round((t1 - t0) / 1e6, 1),
        "relay_core_busy_pct": round(100.0 * (wall - (i1 - i0)) / wall, 1),
        "relay_cpu_us_per_pkt": round((t1 - t0) / 1e3 / t["received"], 3) if t["received"] else None,
    })
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

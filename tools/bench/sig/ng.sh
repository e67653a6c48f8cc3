#!/bin/bash
# ng control-plane benchmark: pierce-ngbench drives offer/answer/delete
# cycles against rtpengine (userspace, delete-delay 0) and then against
# pierce-relay, on the same host, same namespace topology, same CPU
# pinning, in one run, and prints both reports and the ratio.
#
#   srv namespace: the ng server on 10.98.0.1:2223, pinned to CPU $SUT_CPU
#   cli namespace: pierce-ngbench on 10.98.0.2, pinned to CPU $GEN_CPU
#
# Environment: BUILD (default build), DURATION seconds per server (default
# 10, at most 120), WINDOW cycles in flight (default 64), BUSY_POLL (default
# 1: the generator spins on its socket; empty: it sleeps in poll), SUT_CPU
# (1), GEN_CPU (0), RELAYS (default "rtpengine pierce"), OUT directory for
# the JSON reports and logs (default $BUILD/bench/sig-ng), RESULTS where the
# summary goes (default bench/results/<date>: ng-<time>.json and .md),
# PROFILE=1 records perf samples of each server (OUT/<relay>.perf.data).
# Besides the rate, each server's CPU time per cycle (all its threads,
# schedstat) is reported: on a shared or noisy machine it is the steadier
# figure. Exit status: 0 when every server ran without a failed request.
set -uo pipefail
cd "$(dirname "$0")/../../.."
. tests/e2e/lib.sh

DURATION=${DURATION:-10}
WINDOW=${WINDOW:-64}
BUSY_POLL=${BUSY_POLL-1}
RESULTS=${RESULTS:-bench/results/$(date +%Y-%m-%d)}
SUT_CPU=${SUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
RELAYS=${RELAYS:-rtpengine pierce}
SRV=10.98.0.1 CLI=10.98.0.2
NG=$SRV:2223
NGQ=tools/bench/peers/ngquery.py
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 120 ] ||
	fail "DURATION must be 1..120 seconds"
[ -x "$BUILD/pierce-ngbench" ] || fail "$BUILD/pierce-ngbench missing: make BUILD=$BUILD"

e2e_init
OUT=${OUT:-$BUILD/bench/sig-ng}
mkdir -p "$OUT" || fail "cannot create $OUT"
ns_create srv cli
veth_create srv eth0 $SRV/24 cli eth0 $CLI/24
# (RPS on the veths, so each side would receive on its own core, was tried:
# the IPIs cost the server more than the receive work it moved away)

start_relay() { # $1 = rtpengine | pierce; sets RELAY_PID
	case $1 in
	rtpengine)
		command -v rtpengine >/dev/null || fail "rtpengine missing (apt-get install rtpengine-daemon)"
		spawn srv "$OUT/rtpengine.log" taskset -c "$SUT_CPU" \
			tools/bench/peers/rtpengine.sh "$E2E_TMP/rte" $SRV 2223 30000 59999 1
		;;
	pierce)
		[ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: make BUILD=$BUILD"
		spawn srv "$OUT/pierce.log" taskset -c "$SUT_CPU" "$BUILD/pierce-relay" \
			--interface eth0 --address $SRV --ng $NG --ng-allow $CLI/32 --ports 30000-59999 \
			--delete-delay 0 --state-file "" --metrics off --pin-dir "$(bpffs_dir relay)/pierce"
		;;
	*) fail "unknown relay $1" ;;
	esac
	RELAY_PID=$SPAWNED_PID
	wait_for 10 "$1 answers ng ping" nsx cli "$PYTHON" $NGQ $NG ping
}

# CPU time of a process and all its threads, in ns (schedstat: /proc/stat
# under-counts bursty work on this kernel)
proc_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}
# ip netns exec, taskset and rtpengine.sh all exec: the spawned PID is the server
server_pid() { echo "$1"; }

declare -A RATE CPU_US
status=0
for r in $RELAYS; do
	start_relay "$r"
	echo "== $r: ${DURATION}s, window $WINDOW"
	cpu0=$(proc_cpu_ns "$RELAY_PID")
	if [ -n "${PROFILE:-}" ]; then # perf samples of the server while it is loaded
		perf record -q -g -p "$(server_pid "$RELAY_PID")" -o "$OUT/$r.perf.data" -- sleep "$DURATION" \
			>/dev/null 2>&1 &
		PERF_PID=$!
	fi
	nsx cli "$BUILD/pierce-ngbench" --server $NG --sdp-ip $CLI --duration "$DURATION" \
		--window "$WINDOW" --cpu "$GEN_CPU" --label "$r" ${BUSY_POLL:+--busy-poll} >"$OUT/$r.json"
	rc=$?
	cpu1=$(proc_cpu_ns "$RELAY_PID")
	drops=$(nsx srv nstat -az UdpRcvbufErrors | awk '$1 == "UdpRcvbufErrors" { print $2 }')
	echo "$r: requests dropped by a full server socket buffer so far: ${drops:-?}"
	[ -n "${PROFILE:-}" ] && wait "$PERF_PID"
	cat "$OUT/$r.json"
	[ "$rc" = 0 ] || { echo "ng.sh: $r had failed requests (exit $rc)" >&2; status=1; }
	left=$(nsx cli "$PYTHON" $NGQ $NG list --len calls 2>/dev/null || echo "?")
	echo "$r: calls left after the run: $left"
	[ "$left" = 0 ] || status=1
	RATE[$r]=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cycles_per_s"])' "$OUT/$r.json")
	CPU_US[$r]=$("$PYTHON" -c 'import json,sys; d = json.load(open(sys.argv[1]))
print("%.1f" % ((int(sys.argv[3]) - int(sys.argv[2])) / 1e3 / max(1, d["cycles_ok"])))' "$OUT/$r.json" "$cpu0" "$cpu1")
	echo "$r: server CPU per cycle: ${CPU_US[$r]} µs"
	stop_pid "$RELAY_PID"
	kill -0 "$RELAY_PID" 2>/dev/null && fail "$r did not stop"
done

echo "== summary (cycles/s, offer+answer+delete; window $WINDOW, ${DURATION}s each)"
for r in $RELAYS; do echo "  $r: ${RATE[$r]:-n/a} cycles/s, ${CPU_US[$r]:-n/a} µs server CPU per cycle"; done
if [ -n "${RATE[rtpengine]:-}" ] && [ -n "${RATE[pierce]:-}" ]; then
	"$PYTHON" -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("  ratio pierce/rtpengine: %.2f" % (b / a if a else 0))' \
		"${RATE[rtpengine]}" "${RATE[pierce]}"
fi
mkdir -p "$RESULTS" || fail "cannot create $RESULTS"
stamp=$(date +%H%M%S)
"$PYTHON" - "$OUT" "$RESULTS/ng-$stamp" "$WINDOW" "$DURATION" "${BUSY_POLL:-0}" "$RELAYS" \
	"$(for r in $RELAYS; do echo "$r=${CPU_US[$r]:-}"; done)" <<'PY' || fail "summary"
import json, os, sys, time
out, base, window, duration, busy, relays, cpu = sys.argv[1:8]
cpu = dict(l.split("=", 1) for l in cpu.split() if "=" in l)
doc = {"benchmark": "ng", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "kernel": os.uname().release,
       "method": "pierce-ngbench offer+answer+delete cycles, %s in flight, %s s per server, generator and server "
                 "pinned to separate cores%s; server CPU from /proc/PID/task/*/schedstat"
                 % (window, duration, ", generator busy-polling" if busy == "1" else ""),
       "target_ratio": 5.0, "relays": {}}
for r in relays.split():
    try:
        d = json.load(open(os.path.join(out, r + ".json")))
    except (OSError, ValueError):
        continue
    doc["relays"][r] = {"cycles_per_s": d["cycles_per_s"], "cycles_ok": d["cycles_ok"],
                        "failed": d["errors"] + d["timeouts"],
                        "server_cpu_us_per_cycle": float(cpu[r]) if cpu.get(r) else None,
                        "latency_p50_us": {c: v["latency_us"]["p50"] for c, v in d["commands"].items()}}
rl = doc["relays"]
md = "ng cycles/s (offer+answer+delete):"
if "pierce" in rl and "rtpengine" in rl:
    a, b = rl["rtpengine"], rl["pierce"]
    doc["ratio_rate"] = round(b["cycles_per_s"] / a["cycles_per_s"], 2) if a["cycles_per_s"] else None
    if a["server_cpu_us_per_cycle"] and b["server_cpu_us_per_cycle"]:
        doc["ratio_cpu"] = round(a["server_cpu_us_per_cycle"] / b["server_cpu_us_per_cycle"], 2)
    doc["meets_target"] = bool(doc["ratio_rate"] and doc["ratio_rate"] >= doc["target_ratio"])
    md = ("| ng %s | pierce %.0f cycles/s (%.1f µs CPU/cycle) | rtpengine %.0f cycles/s (%.1f µs) | rate ratio %.2fx, "
          "CPU ratio %sx | target 5x: %s |" % (doc["date"], b["cycles_per_s"], b["server_cpu_us_per_cycle"] or 0,
          a["cycles_per_s"], a["server_cpu_us_per_cycle"] or 0, doc["ratio_rate"] or 0, doc.get("ratio_cpu", "n/a"),
          "met" if doc["meets_target"] else "NOT met"))
json.dump(doc, open(base + ".json", "w"), indent=1)
open(base + ".md", "w").write(md + "\n")
print(md)
PY
echo "reports in $OUT, summary in $RESULTS/ng-$stamp.{json,md}"
exit $status

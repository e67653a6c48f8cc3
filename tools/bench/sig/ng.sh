#!/bin/bash
# ng control-plane benchmark: pierce-ngbench drives offer/answer/delete
# cycles against rtpengine (userspace, delete-delay 0) and then against
# pierce-relay, on the same host, same namespace topology, same CPU
# pinning, in one run, and prints both reports and the ratio.
#
#   srv namespace: the ng server on 10.98.0.1:2223, pinned to CPU $SUT_CPU
#   cli namespace: pierce-ngbench on 10.98.0.2, pinned to CPU $GEN_CPU
#
# Environment: BUILD (default build), DURATION seconds per run (default 5,
# at most 120), ROUNDS runs of each server, alternating (default 3; the
# median is reported, every run is in the JSON with the socket drops on both
# sides), WINDOW cycles in flight (default 64), BUSY_POLL (default
# 1: the generator spins on its socket; empty: it sleeps in poll), SUT_CPU
# (1), GEN_CPU (0), RELAYS (default "rtpengine pierce"), OUT directory for
# the reports (<relay>-<round>.report, <relay>.json: the median run's) and
# logs (default $BUILD/bench/sig-ng), RESULTS where the
# summary goes (default bench/results/<date>: ng-<time>.json and .md),
# PROFILE=1 records perf samples of each server (OUT/<relay>-<round>.perf.data).
# Besides the rate, each server's CPU time per cycle (all its threads,
# schedstat) is reported: on a shared or noisy machine it is the steadier
# figure. Exit status: 0 when every server ran without a failed request.
set -uo pipefail
cd "$(dirname "$0")/../../.."
. tests/e2e/lib.sh

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
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
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] || fail "ROUNDS must be 1..9"
[ -x "$BUILD/pierce-ngbench" ] || fail "$BUILD/pierce-ngbench missing: make BUILD=$BUILD"

e2e_init
OUT=${OUT:-$BUILD/bench/sig-ng}
mkdir -p "$OUT" || fail "cannot create $OUT"
ns_create srv cli
veth_create srv eth0 $SRV/24 cli eth0 $CLI/24
# (RPS on the veths, so each side would receive on its own core, was tried:
# the IPIs cost the server more than the receive work it moved away)

# one pin directory for every round: a later pierce-relay adopts the data
# plane (its XDP link stays attached to eth0 between the runs)
PIN=$(bpffs_dir relay)/pierce

start_relay() { # $1 = rtpengine | pierce; sets RELAY_PID
	case $1 in
	rtpengine)
		command -v rtpengine >/dev/null || fail "rtpengine missing (apt-get install rtpengine-daemon)"
		spawn srv "$OUT/rtpengine-${LOG_SUFFIX:-1}.log" taskset -c "$SUT_CPU" \
			tools/bench/peers/rtpengine.sh "$E2E_TMP/rte" $SRV 2223 30000 59999 1
		;;
	pierce)
		[ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: make BUILD=$BUILD"
		spawn srv "$OUT/pierce-${LOG_SUFFIX:-1}.log" taskset -c "$SUT_CPU" "$BUILD/pierce-relay" \
			--interface eth0 --address $SRV --ng $NG --ng-allow $CLI/32 --ports 30000-59999 \
			--delete-delay 0 --state-file "" --metrics off --pin-dir "$PIN"
		;;
	*) fail "unknown relay $1" ;;
	esac
	RELAY_PID=$SPAWNED_PID
	wait_for 10 "$1 answers ng ping" nsx cli "$PYTHON" $NGQ $NG ping
}

# CPU time of a process and all its threads, in ns (schedstat: /proc/stat
# under-counts bursty work on this kernel). %.0f, not %d: mawk (Debian's
# awk) clamps %d at 2^31-1, so every run past 2.15 s of server CPU read as
# 2.15 s and the CPU per cycle came out as 2.15 s / cycles.
proc_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# ip netns exec, taskset and rtpengine.sh all exec: the spawned PID is the server
server_pid() { echo "$1"; }

udp_errs() { # NS: UdpRcvbufErrors UdpInErrors of the namespace, "a b"
	nsx "$1" nstat -az UdpRcvbufErrors UdpInErrors |
		awk '$1 == "UdpRcvbufErrors" { a = $2 } $1 == "UdpInErrors" { b = $2 } END { print a + 0, b + 0 }'
}

# One run of relay $1 in round $2: OUT/<relay>-<round>.report, server CPU per
# cycle in OUT/<relay>-<round>.cpu, socket drops on both sides in .drops.
run_one() {
	local r=$1 k=$2 cpu0 cpu1 rc left srv0 srv1 cli0 cli1 warn
	start_relay "$r"
	echo "== $r, round $k/$ROUNDS: ${DURATION}s, window $WINDOW"
	srv0=$(udp_errs srv) cli0=$(udp_errs cli)
	cpu0=$(proc_cpu_ns "$RELAY_PID")
	if [ -n "${PROFILE:-}" ]; then # perf samples of the server while it is loaded
		perf record -q -g -p "$(server_pid "$RELAY_PID")" -o "$OUT/$r-$k.perf.data" -- sleep "$DURATION" \
			>/dev/null 2>&1 &
		PERF_PID=$!
	fi
	nsx cli "$BUILD/pierce-ngbench" --server $NG --sdp-ip $CLI --duration "$DURATION" \
		--window "$WINDOW" --cpu "$GEN_CPU" --label "$r" ${BUSY_POLL:+--busy-poll} >"$OUT/$r-$k.report"
	rc=$?
	cpu1=$(proc_cpu_ns "$RELAY_PID")
	srv1=$(udp_errs srv) cli1=$(udp_errs cli)
	[ -n "${PROFILE:-}" ] && wait "$PERF_PID"
	cat "$OUT/$r-$k.report"
	# where a request or its reply was lost: a full socket buffer on the
	# server (request) or on the generator (reply), or the server's own
	# complaint about a reply it could not send
	warn=$(grep -c "ng: reply to" "$OUT/$r-$k.log" 2>/dev/null)
	echo "$srv0 $srv1 $cli0 $cli1 ${warn:-0}" | awk '{ printf "{\"server_rcvbuf\": %d, \"server_inerr\": %d, \"client_rcvbuf\": %d, \"client_inerr\": %d, \"server_send_failed\": %d}\n", $2 - $1, $4 - $3, $6 - $5, $8 - $7, $9 }' \
		>"$OUT/$r-$k.drops"
	echo "$r: socket drops in this run: $(cat "$OUT/$r-$k.drops")"
	[ "$rc" = 0 ] || { echo "ng.sh: $r had failed requests (exit $rc)" >&2; status=1; }
	left=$(nsx cli "$PYTHON" $NGQ $NG list --len calls 2>/dev/null || echo "?")
	echo "$r: calls left after the run: $left"
	[ "$left" = 0 ] || status=1
	"$PYTHON" -c 'import json,sys; d = json.load(open(sys.argv[1]))
print("%.1f" % ((int(sys.argv[3]) - int(sys.argv[2])) / 1e3 / max(1, d["cycles_ok"])))' "$OUT/$r-$k.report" "$cpu0" "$cpu1" \
		>"$OUT/$r-$k.cpu"
	echo "$r: server CPU per cycle: $(cat "$OUT/$r-$k.cpu") µs"
	stop_pid "$RELAY_PID"
	kill -0 "$RELAY_PID" 2>/dev/null && fail "$r did not stop"
}

status=0
# Short runs, the servers alternating, ROUNDS times: a burst of load from
# elsewhere on a shared machine then hits one run of each, and the median
# of each server's runs is what is reported.
for ((k = 1; k <= ROUNDS; k++)); do
	for r in $RELAYS; do
		LOG_SUFFIX=$k run_one "$r" "$k"
	done
done

mkdir -p "$RESULTS" || fail "cannot create $RESULTS"
stamp=$(date +%H%M%S)
"$PYTHON" - "$OUT" "$RESULTS/ng-$stamp" "$WINDOW" "$DURATION" "${BUSY_POLL:-0}" "$RELAYS" "$ROUNDS" <<'PY' || fail "summary"
import json, os, statistics, sys, time
out, base, window, duration, busy, relays, rounds = sys.argv[1:8]
doc = {"benchmark": "ng", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "kernel": os.uname().release,
       "method": "pierce-ngbench offer+answer+delete cycles, %s in flight, %s rounds of %s s per server, the servers "
                 "alternating, median of the rounds; generator and server pinned to separate cores%s; server CPU "
                 "from /proc/PID/task/*/schedstat"
                 % (window, rounds, duration, ", generator busy-polling" if busy == "1" else ""),
       "target_ratio": 5.0, "relays": {}}
for r in relays.split():
    runs = []
    for k in range(1, int(rounds) + 1):
        try:
            d = json.load(open(os.path.join(out, "%s-%d.report" % (r, k))))
            c = open(os.path.join(out, "%s-%d.cpu" % (r, k))).read().strip()
            drops = json.load(open(os.path.join(out, "%s-%d.drops" % (r, k))))
        except (OSError, ValueError):
            continue
        runs.append({"round": k, "cycles_per_s": d["cycles_per_s"], "cycles_ok": d["cycles_ok"],
                     "failed": d["errors"] + d["timeouts"], "timeouts": d["timeouts"],
                     "server_cpu_us_per_cycle": float(c) if c else None, "socket_drops": drops,
                     "latency_p50_us": {c: v["latency_us"]["p50"] for c, v in d["commands"].items()}})
    if not runs:
        continue
    cpus = [x["server_cpu_us_per_cycle"] for x in runs if x["server_cpu_us_per_cycle"]]
    # OUT/<relay>.json: pierce-ngbench's report of the median run (tools/bench/report reads it)
    mid = sorted(runs, key=lambda x: x["cycles_per_s"])[(len(runs) - 1) // 2]
    with open(os.path.join(out, "%s-%d.report" % (r, mid["round"]))) as f, open(os.path.join(out, r + ".json"), "w") as g:
        g.write(f.read())
    doc["relays"][r] = {"cycles_per_s": statistics.median(x["cycles_per_s"] for x in runs),
                        "cycles_ok": sum(x["cycles_ok"] for x in runs),
                        "failed": sum(x["failed"] for x in runs),
                        "server_cpu_us_per_cycle": statistics.median(cpus) if cpus else None,
                        "runs": runs}
rl = doc["relays"]
md = "ng cycles/s (offer+answer+delete): " + ", ".join("%s %.0f" % (r, v["cycles_per_s"]) for r, v in rl.items())
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
for r, v in rl.items():
    print("  %s: median %.0f cycles/s (runs %s), %s µs server CPU per cycle, %d failed requests"
          % (r, v["cycles_per_s"], ", ".join("%.0f" % x["cycles_per_s"] for x in v["runs"]),
             v["server_cpu_us_per_cycle"], v["failed"]))
json.dump(doc, open(base + ".json", "w"), indent=1)
open(base + ".md", "w").write(md + "\n")
print(md)
PY
echo "reports in $OUT, summary in $RESULTS/ng-$stamp.{json,md}"
exit $status

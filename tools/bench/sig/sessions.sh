#!/bin/bash
# 100,000 concurrent sessions on pierce-relay: set up over ng (offer and
# answer, held), media forwarded through a sample of them by XDP, memory per
# call, and the cost of the timeout tick at that size.
#
#   srv namespace: pierce-relay, ng on 10.97.0.1:2223, relay addresses
#                  10.97.1.1..10.97.1.$ADDRS on eth0 (each with its own
#                  ports: 100k calls x 4 ports do not fit in one address)
#   cli namespace: pierce-ngbench and the sample phones on 10.97.0.2
#
# Memory per call = (memlock of every map pinned by the relay, from bpftool,
#                    + the daemon's RSS growth while the calls were set up)
#                   / calls. The legs map is preallocated for every
# address x port, so its share is what the configured capacity costs.
# Timeout tick: the /metrics tick time with every call quiet (only the due
# calls are read) and the tick after SIGHUP, which makes every call due at
# once: that one is what a tick reading every call's legs costs.
#
# Environment: BUILD (default build), CALLS (default 100000, at most
# 400000), SPARE_PCT ports booked beyond what CALLS need (default 2; the
# port range per address is sized to that), ADDRS relay addresses (default:
# enough for CALLS, at most 16),
# SAMPLE calls that forward media (default 200), WINDOW (default 64),
# SUT_CPU (1), GEN_CPU (0), OUT raw directory (default
# $BUILD/bench/sig-sessions), RESULTS (default bench/results/<date>:
# sessions-<time>.json and .md).
# Exit status: 0 when every call was set up and every sampled packet
# arrived both ways.
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
. tests/e2e/lib.sh

CALLS=${CALLS:-100000}
SAMPLE=${SAMPLE:-200}
WINDOW=${WINDOW:-64}
SUT_CPU=${SUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
SPARE_PCT=${SPARE_PCT:-2}
PORT_MIN=10000 PORT_LAST=59999
PAIRS_PER_ADDR=$(((PORT_LAST - PORT_MIN + 1) / 2))
# a call books two pairs (four ports, four legs); SPARE_PCT % more
PAIRS_NEEDED=$(((CALLS * 2 * (100 + SPARE_PCT) + 99) / 100))
ADDRS=${ADDRS:-$(((PAIRS_NEEDED + PAIRS_PER_ADDR - 1) / PAIRS_PER_ADDR))}
# The legs map is preallocated for every address x port: the port range is
# sized to the calls (rather than the whole range), so the map's share of
# the memory per call is what these calls need.
PORT_MAX=$((PORT_MIN + 2 * ((PAIRS_NEEDED + ADDRS - 1) / ADDRS) - 1))
[ "$PORT_MAX" -le "$PORT_LAST" ] || PORT_MAX=$PORT_LAST
RESULTS=${RESULTS:-bench/results/$(date +%Y-%m-%d)}
SRV=10.97.0.1 CLI=10.97.0.2
NG=$SRV:2223
NGQ=tools/bench/peers/ngquery.py
[[ $CALLS =~ ^[0-9]+$ ]] && [ "$CALLS" -ge 1 ] && [ "$CALLS" -le 400000 ] || fail "CALLS must be 1..400000"
[[ $ADDRS =~ ^[0-9]+$ ]] && [ "$ADDRS" -ge 1 ] && [ "$ADDRS" -le 16 ] || fail "ADDRS must be 1..16 (got $ADDRS)"
[ $((ADDRS * (PORT_MAX - PORT_MIN + 1) / 2)) -ge $((CALLS * 2)) ] || fail "$ADDRS addresses of ports $PORT_MIN-$PORT_MAX hold fewer than $CALLS calls"
for f in "$BUILD/pierce-relay" "$BUILD/pierce-ngbench" "$BUILD/piercectl" "$BUILD/bpf/pass.bpf.o"; do
	[ -e "$f" ] || fail "$f missing: make BUILD=$BUILD"
done
command -v bpftool >/dev/null || fail "bpftool missing"

e2e_init
OUT=${OUT:-$BUILD/bench/sig-sessions}
mkdir -p "$OUT" "$RESULTS" || fail "cannot create $OUT or $RESULTS"
ns_create srv cli
veth_create srv eth0 $SRV/24 cli eth0 $CLI/24
xdp_pass_attach cli eth0 # frames the relay sends with XDP_TX arrive only with XDP on the peer
addr_args=()
for ((i = 1; i <= ADDRS; i++)); do
	ip -n "$(ns srv)" addr add 10.97.1.$i/32 dev eth0 || fail "relay address 10.97.1.$i"
	addr_args+=(--address 10.97.1.$i)
done
ip -n "$(ns cli)" route add 10.97.1.0/24 via $SRV || fail "route to the relay addresses"
neigh_resolve srv $CLI

PIN=$(bpffs_dir relay)/pierce
spawn srv "$OUT/pierce.log" taskset -c "$SUT_CPU" "$BUILD/pierce-relay" --interface eth0 "${addr_args[@]}" \
	--ports $PORT_MIN-$PORT_MAX --ng $NG --ng-allow $CLI/32 --delete-delay 0 --state-file "" \
	--timeout 600 --silent-timeout 3600 --metrics 127.0.0.1:9812 --pin-dir "$PIN"
RELAY_PID=$SPAWNED_PID
wait_for 20 "pierce-relay answers ng ping" nsx cli "$PYTHON" $NGQ $NG ping
metric() { # NAME (with labels): its value in /metrics
	nsx srv "$PYTHON" -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://127.0.0.1:9812/metrics", timeout=5).read().decode().splitlines():
    if l.rsplit(" ", 1)[0] == sys.argv[1]: print(l.rsplit(" ", 1)[1])' "$1"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
# memlock of every map pinned under the relay's pin directory, in bytes
maps_memlock() {
	local f total=0 m
	for f in "$PIN"/*; do
		m=$(bpftool -j map show pinned "$f" 2>/dev/null | "$PYTHON" -c 'import json,sys
try: print(int(json.load(sys.stdin).get("bytes_memlock", 0)))
except ValueError: print(0)')
		total=$((total + ${m:-0}))
	done
	echo "$total"
}
sleep 1
rss0=$(rss_kib "$RELAY_PID")
fwd0=$(nsx srv "$BUILD/piercectl" --pin-dir "$PIN" --json stats | json_get 'd["fwd_tx"]["packets"]')

# ---- set up CALLS calls and keep them ------------------------------------------
echo "== $CALLS calls over ng (offer + answer, held), window $WINDOW, $ADDRS relay addresses"
t0=$(date +%s.%N)
nsx cli "$BUILD/pierce-ngbench" --server $NG --sdp-ip $CLI --cycles "$CALLS" --duration 400 --hold \
	--window "$WINDOW" --cpu "$GEN_CPU" --busy-poll --timeout-ms 5000 --label pierce-hold >"$OUT/setup.json"
rc=$?
t1=$(date +%s.%N)
cat "$OUT/setup.json"
[ "$rc" = 0 ] || fail "pierce-ngbench reported failed requests (exit $rc)"
sessions=$(nsx cli "$PYTHON" $NGQ $NG statistics --field statistics.currentstatistics.sessionstotal)
echo "sessions held: $sessions"
[ "$sessions" = "$CALLS" ] || fail "the relay holds $sessions sessions, want $CALLS"
sleep 3 # the first tick looks at every new call once; let it pass
rss1=$(rss_kib "$RELAY_PID")
memlock=$(maps_memlock)

# ---- media through a sample of the calls ------------------------------------
first_id=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["first_call_id"].split("-")[1])' "$OUT/setup.json")
echo "== RTP both ways through $SAMPLE calls spread over all $CALLS"
nsx cli "$PYTHON" - "$NG" "$CLI" "$first_id" "$CALLS" "$SAMPLE" "$NGQ" >"$OUT/sample.json" <<'PY' || fail "media sample"
import json, os, select, socket, struct, sys, time
ng, cli, first, calls, sample = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
host, port = ng.rsplit(":", 1)
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[6])))
from ngquery import dec, enc  # noqa: E402
ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); ctl.settimeout(2)
def query(cid):
    ck = os.urandom(4).hex().encode()
    ctl.sendto(ck + b" " + enc({"command": "query", "call-id": cid}), (host, int(port)))
    d = ctl.recv(65535)
    return dec(d, len(ck) + 1)[0]
def sdp_port(i, callee):  # tools/ngbench/ng_msg.c: cycle_sdp()
    return 20000 + ((i * 2 + (1 if callee else 0)) % 20000) * 2
res = {"sampled": 0, "a_to_b": 0, "b_to_a": 0, "relay_addresses": []}
step = max(1, calls // sample)
addrs = set()
for k in range(0, calls, step)[:sample]:
    i = first + k
    q = query("ngbench-%d" % i)
    ends = {}
    for tag, side in (("ft%d" % i, "a"), ("tt%d" % i, "b")):
        st = q["tags"][tag]["medias"][0]["streams"][0]
        ends[side] = (st["local address"], st["local port"])
        addrs.add(st["local address"])
    sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sa.bind((cli, sdp_port(i, False)))
    sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sb.bind((cli, sdp_port(i, True)))
    for src, dst, rcv, key, relay_from in ((sa, ends["a"], sb, "a_to_b", ends["b"]), (sb, ends["b"], sa, "b_to_a", ends["a"])):
        src.sendto(struct.pack("!BBHII", 0x80, 8, k & 0xffff, k * 160, i & 0xffffffff) + b"\0" * 160, dst)
        r, _, _ = select.select([rcv], [], [], 1.0)
        if r:
            data, frm = rcv.recvfrom(2048)
            if frm == relay_from and len(data) == 172:
                res[key] += 1
    sa.close(); sb.close()
    res["sampled"] += 1
res["relay_addresses"] = sorted(addrs)
print(json.dumps(res))
PY
cat "$OUT/sample.json"
fwd1=$(nsx srv "$BUILD/piercectl" --pin-dir "$PIN" --json stats | json_get 'd["fwd_tx"]["packets"]')

# ---- the timeout tick at this size ----------------------------------------------
checks0=$(metric pierce_relay_timeout_checks_total)
sleep 3
checks1=$(metric pierce_relay_timeout_checks_total)
tick_quiet=$(metric 'pierce_relay_tick_seconds{stat="last"}')
kill -HUP "$RELAY_PID"
# the first tick after the reload reads every call: catch its time before the next tick
for _ in $(seq 40); do
	checks2=$(metric pierce_relay_timeout_checks_total)
	[ "$((checks2 - checks1))" -ge "$CALLS" ] && break
	sleep 0.05
done
tick_sweep=$(metric 'pierce_relay_tick_seconds{stat="last"}')
kill -0 "$RELAY_PID" || fail "pierce-relay died"

stamp=$(date +%H%M%S)
"$PYTHON" - "$OUT" "$RESULTS/sessions-$stamp" <<PY || fail "summary"
import json, os, sys, time
out, base = sys.argv[1:3]
setup = json.load(open(os.path.join(out, "setup.json")))
sample = json.load(open(os.path.join(out, "sample.json")))
calls, rss0, rss1, memlock = $CALLS, $rss0, $rss1, $memlock
rss_growth = (rss1 - rss0) * 1024
doc = {"benchmark": "sessions", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "kernel": os.uname().release,
       "calls": calls, "relay_addresses": $ADDRS, "ports_per_address": $((PORT_MAX - PORT_MIN + 1)),
       "setup_s": round($t1 - $t0, 2), "setup_calls_per_s": setup["cycles_per_s"],
       "sessions_held": $sessions,
       "map_memlock_bytes": memlock, "daemon_rss_kib_before": rss0, "daemon_rss_kib_after": rss1,
       "map_bytes_per_call": round(memlock / calls, 1), "rss_bytes_per_call": round(rss_growth / calls, 1),
       "bytes_per_call": round((memlock + rss_growth) / calls, 1), "target_bytes_per_call": 1024,
       "media_sample": sample, "xdp_forwarded_during_sample": $fwd1 - $fwd0,
       "tick_s_quiet": float("$tick_quiet" or "nan"), "tick_s_all_due": float("$tick_sweep" or "nan"),
       "timeout_checks_in_3s_quiet": $checks1 - $checks0, "timeout_checks_all_due": $checks2 - $checks1}
doc["meets_target"] = doc["bytes_per_call"] <= doc["target_bytes_per_call"]
json.dump(doc, open(base + ".json", "w"), indent=1)
md = ("| sessions %s | %d calls held (%d addresses), set up at %.0f calls/s | %.0f B/call (maps %.0f + RSS %.0f) "
      "| target 1 KiB: %s | RTP through %d sampled calls: %d/%d both ways | tick %.2f ms quiet, %.1f ms all due |"
      % (doc["date"], calls, doc["relay_addresses"], doc["setup_calls_per_s"], doc["bytes_per_call"],
         doc["map_bytes_per_call"], doc["rss_bytes_per_call"], "met" if doc["meets_target"] else "NOT met",
         sample["sampled"], sample["a_to_b"], sample["b_to_a"], doc["tick_s_quiet"] * 1e3, doc["tick_s_all_due"] * 1e3))
open(base + ".md", "w").write(md + "\n")
print(json.dumps(doc, indent=1))
print(md)
PY
ok=$(json_get 'd["a_to_b"] + d["b_to_a"]' <"$OUT/sample.json")
assert_eq "$ok" $((2 * SAMPLE)) "RTP crossed every sampled call both ways"
assert_ge $((fwd1 - fwd0)) $((2 * SAMPLE)) "XDP forwarded the sample"
stop_pid "$RELAY_PID"
echo "summary in $RESULTS/sessions-$stamp.{json,md}"

#!/bin/bash
# The data-plane benchmark (make bench): pierce's relay.bpf.o against the
# bare XDP_TX reflector, measured in the same run on the same topology.
#
#   gen ns: veth G (10.99.0.1) <────> veth R (10.99.0.2): relay ns, program under test
#
# 1. BPF_PROG_TEST_RUN, repeat mode: ns per packet of each program, and of
#    pierce cycling over 1, 10k, 100k and 2^20 legs (16 addresses x 65536).
# 2. Live frames: pierce-bench gen runs BPF_PROG_RUN with
#    BPF_F_TEST_XDP_LIVE_FRAMES (2^20 frames per call) on CPU 0: "return
#    XDP_TX" for the reflector, spray.bpf.c for pierce (each frame to a leg
#    picked at random among the installed ones, so N legs means N cache
#    lines); R's XDP program runs in R's threaded-NAPI kthread pinned to CPU 1
#    and sends each frame back (XDP_TX), where XDP on G drops it. Relay CPU per
#    packet is that kthread's run time (/proc/PID/schedstat) per frame: other
#    work on the machine does not leak into it. Core busy time (wall minus
#    idle) is recorded as well.
# Results: bench/results/<date>/dataplane-<time>.json and .md
#
# Environment: BUILD (default build), BENCH_SECONDS per live run (default 4),
# BENCH_LEGS (default "1 10000 100000 1048576").
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
SECS=${BENCH_SECONDS:-4}
LEG_COUNTS=${BENCH_LEGS:-"1 10000 100000 1048576"}
BENCH=$BUILD/pierce-bench
CTL=$BUILD/piercectl
for f in "$BENCH" "$CTL" "$BUILD/bpf/relay.bpf.o" "$BUILD/bpf/reflector.bpf.o" "$BUILD/bpf/pass.bpf.o"; do
	[ -e "$f" ] || { echo "bench: $f missing: build first (make BUILD=$BUILD)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (generator and relay on separate cores)" >&2; exit 1; }
e2e_init
STAMP=$(date +%H%M%S)
OUTDIR=bench/results/$(date +%Y-%m-%d)
mkdir -p "$OUTDIR" || fail "cannot create $OUTDIR"
ROWS=$E2E_TMP/rows.jsonl
: >"$ROWS"
GEN_CPU=0
RELAY_CPU=1

ns_create gen relay
G=${PFX}g
R=${PFX}r
veth_create gen "$G" 10.99.0.1/24 relay "$R" 10.99.0.2/24
# the relay addresses are on no interface: the relay routes them to the
# generator, so every rewritten frame has a next hop
ip -n "$(ns relay)" route add 10.200.0.0/24 via 10.99.0.1 || fail "route to the relay addresses"
neigh_resolve relay 10.99.0.1
RMAC=$(nsx relay cat "/sys/class/net/$R/address") || fail "MAC of $R"
PIN=$(bpffs_dir bench)/pierce
SPRAY=$E2E_TMP/spray.bpf.o
"${CLANG:-clang}" -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Ibpf -Iinclude -I"/usr/include/$(uname -m)-linux-gnu" \
	-c tools/bench/bpf/spray.bpf.c -o "$SPRAY" || fail "building tools/bench/bpf/spray.bpf.c"

# ---- 1. BPF_PROG_TEST_RUN ns per packet --------------------------------------
echo "== BPF_PROG_TEST_RUN, repeat mode"
testrun() {
	local out
	out=$(nsx relay taskset -c $RELAY_CPU "$BENCH" testrun --ifname "$R" --repeat 1000000 "$@") ||
		fail "pierce-bench testrun $*"
	echo "  $out"
	echo "{\"kind\":\"testrun\",\"r\":$out}" >>"$ROWS"
}
testrun --prog reflector
for n in $LEG_COUNTS; do
	testrun --prog pierce --legs "$n"
done

# ---- 2. live frames ----------------------------------------------------------
napi_pid() { # ifname
	ps -e -o pid=,comm= | awk -v p="napi/$1-" 'index($2, p) == 1 { print $1; exit }'
}
ethstat() { # ns ifname field
	nsx "$1" ethtool -S "$2" | awk -v f="$3:" '$1 == f { print $2 }'
}
pierce_stat() { # reason
	nsx relay "$CTL" --pin-dir "$PIN" --json stats | json_get "d[\"$1\"][\"packets\"]"
}

# XDP on G so that its NAPI exists; gen replaces it with XDP_DROP
xdp_pass_attach gen "$G"
threaded_napi() { # ns ifname cpu
	nsx "$1" sh -c "echo 1 > /sys/class/net/$2/threaded" || fail "threaded NAPI on $2"
	local pid
	pid=$(napi_pid "$2")
	[ -n "$pid" ] || fail "no NAPI kthread for $2"
	taskset -p -c "$3" "$pid" >/dev/null || fail "pin napi/$2 to CPU $3"
	echo "$pid"
}

live() { # label prog legs
	local label=$1 prog=$2 legs=$3 src dst rpid gpid out f spray=()
	local p0 t0 e0 d0 p1 t1 e1 d1 fwd0=0 fwd1=0 touched='{}'
	rpid=$(threaded_napi relay "$R" $RELAY_CPU)
	gpid=$(threaded_napi gen "$G" $GEN_CPU)
	# the generator core's NAPI only drops frames; it must win against the
	# generator thread or the relay's XDP_TX finds its ring full
	chrt -f -p 50 "$gpid" >/dev/null || fail "real-time priority for napi/$G"
	if [ "$prog" = pierce ]; then
		f=$(nsx relay "$BENCH" --pin-dir "$PIN" fill "$legs") || fail "fill $legs legs"
		src=$(echo "$f" | json_get 'd["src"]')
		dst=$(echo "$f" | json_get 'd["first"]')
		fwd0=$(pierce_stat fwd_tx)
		spray=(--spray "$SPRAY")
	else
		src=10.99.0.1:30000
		dst=10.99.0.2:30001
	fi
	p0=$(ethstat relay "$R" rx_queue_0_xdp_packets)
	t0=$(ethstat relay "$R" rx_queue_0_xdp_tx)
	e0=$(ethstat relay "$R" rx_queue_0_xdp_tx_errors)
	d0=$(ethstat gen "$G" rx_queue_0_xdp_drops)
	out=$(taskset -c $GEN_CPU ip netns exec "$(ns gen)" "$BENCH" --pin-dir "$PIN" gen --ifname "$G" \
		--dmac "$RMAC" --src "$src" --dst "$dst" --seconds "$SECS" --relay-cpu $RELAY_CPU \
		--relay-pid "$rpid" "${spray[@]}") ||
		fail "pierce-bench gen ($label)"
	sleep 0.3
	p1=$(ethstat relay "$R" rx_queue_0_xdp_packets)
	t1=$(ethstat relay "$R" rx_queue_0_xdp_tx)
	e1=$(ethstat relay "$R" rx_queue_0_xdp_tx_errors)
	d1=$(ethstat gen "$G" rx_queue_0_xdp_drops)
	if [ "$prog" = pierce ]; then
		fwd1=$(pierce_stat fwd_tx)
		touched=$(nsx relay "$BENCH" --pin-dir "$PIN" touched) || fail "touched"
	fi
	echo "{\"kind\":\"live\",\"label\":\"$label\",\"prog\":\"$prog\",\"legs\":$legs,\"gen\":$out," \
		"\"relay_rx\":$((p1 - p0)),\"relay_tx\":$((t1 - t0)),\"relay_tx_errors\":$((e1 - e0))," \
		"\"gen_rx\":$((d1 - d0)),\"fwd_tx\":$((fwd1 - fwd0)),\"touched\":$touched}" >>"$ROWS"
	echo "  $label: relay rx $((p1 - p0)) tx $((t1 - t0)) tx_err $((e1 - e0)), back at gen $((d1 - d0))," \
		"fwd_tx $((fwd1 - fwd0)) $touched $out"
}

echo "== live frames, ${SECS}s each"
ip -n "$(ns relay)" link set dev "$R" xdpdrv obj "$BUILD/bpf/reflector.bpf.o" sec xdp || fail "attach reflector"
live reflector reflector 0
ip -n "$(ns relay)" link set dev "$R" xdpdrv off || fail "detach reflector"
nsx relay "$BENCH" --pin-dir "$PIN" attach "$R" || fail "attach pierce"
for n in $LEG_COUNTS; do
	live "pierce-$n" pierce "$n"
done
nsx relay "$CTL" --pin-dir "$PIN" detach "$R" >/dev/null || fail "detach pierce"
ip -n "$(ns relay)" link set dev "$R" xdpdrv obj "$BUILD/bpf/reflector.bpf.o" sec xdp || fail "attach reflector"
live reflector-again reflector 0

# ---- results -----------------------------------------------------------------
"$PYTHON" - "$ROWS" "$OUTDIR/dataplane-$STAMP" "$(uname -r)" "$SECS" <<'EOF' || fail "writing results"
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1])]
base, kernel, secs = sys.argv[2], sys.argv[3], int(sys.argv[4])
tr = [r["r"] for r in rows if r["kind"] == "testrun"]
live = [r for r in rows if r["kind"] == "live"]
for r in live:
    g = r["gen"]
    pk = max(r["relay_rx"], 1)
    r["pps_bounced"] = r["relay_tx"] * 1e9 / g["wall_ns"]
    r["relay_us_per_pkt"] = g["relay_thread_ns"] / pk / 1000
    r["core_busy_us_per_pkt"] = (g["wall_ns"] - g["relay_idle_ns"]) / pk / 1000
    r["gen_pps"] = g["frames_sent"] * 1e9 / g["wall_ns"]
refl = [r for r in live if r["prog"] == "reflector"]
refl_cpu = sum(r["relay_us_per_pkt"] for r in refl) / len(refl)
refl_ns = [t for t in tr if t["prog"] == "reflector"][0]["ns_per_pkt"]
for r in live:
    r["cpu_ratio_vs_reflector"] = r["relay_us_per_pkt"] / refl_cpu
for t in tr:
    t["ns_ratio_vs_reflector"] = t["ns_per_pkt"] / refl_ns
doc = {"benchmark": "dataplane", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "kernel": kernel,
       "seconds_per_live_run": secs, "frame_bytes": 214,
       "method": "live: BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES generator on CPU 0, program under test in "
                 "threaded NAPI of the relay veth pinned to CPU 1; relay CPU = that kthread's schedstat run time "
                 "per received frame. testrun: BPF_PROG_TEST_RUN repeat mode, median of 5 calls of 1e6.",
       "testrun": tr, "live": live,
       "reflector_relay_us_per_pkt_mean": refl_cpu}
json.dump(doc, open(base + ".json", "w"), indent=1)
md = ["# pierce data plane vs bare XDP_TX reflector (%s, kernel %s)" % (doc["date"], kernel), "",
      "Ratios are pierce / reflector measured in this run. Relay CPU: the relay veth's NAPI kthread,",
      "pinned to its own core, per frame received; core busy = wall minus idle of that core.", "",
      "## BPF_PROG_TEST_RUN (repeat mode, ns per packet)", "",
      "| program | legs | legs touched | ns/pkt | ratio |", "|---|---:|---:|---:|---:|"]
for t in tr:
    md.append("| %s | %s | %s | %d | %.2f |" % (t["prog"], t["legs"] or "-", t["legs_touched"] or "-",
                                             t["ns_per_pkt"], t["ns_ratio_vs_reflector"]))
md += ["", "## Live frames (%d s each)" % secs, "",
       "| run | legs | legs touched | generated Mpps | bounced Mpps | relay µs/pkt | ratio | core busy µs/pkt | tx errors |",
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in live:
    md.append("| %s | %s | %s | %.2f | %.2f | %.3f | %.2f | %.3f | %d |" % (
        r["label"], r["legs"] or "-", r["touched"].get("legs_touched", "-"), r["gen_pps"] / 1e6,
        r["pps_bounced"] / 1e6, r["relay_us_per_pkt"], r["cpu_ratio_vs_reflector"],
        r["core_busy_us_per_pkt"], r["relay_tx_errors"]))
open(base + ".md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
echo "bench: wrote $OUTDIR/dataplane-$STAMP.json and .md"

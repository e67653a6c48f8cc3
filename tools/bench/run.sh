#!/bin/bash
# make bench: one reproducible side-by-side run of pierce against the
# references, each stage in its own process with a time limit, then one
# report with tables, the ratios against the goals and gnuplot plots.
#
#   1 dataplane   XDP live frames: pierce vs the bare XDP_TX reflector, pps
#                 and relay CPU per packet at 1, 10k, 100k and 2^20 legs,
#                 traffic spread over all of them, and one flow among 2^20
#   2 rtp         real RTP (pierce-rtpgen, both ways, 50 pps per stream)
#                 through pierce-relay and rtpengine: 50, 500, 5,000 and
#                 50,000 calls (tools/bench/rtp/rtp.sh streams)
#   3 overload    per-stream rate stepped past saturation, then a recovery
#                 check (tools/bench/rtp/rtp.sh overload)
#   4 cps         sipp call-rate ramp, Kamailio+rtpengine vs
#                 pierce-proxy+pierce-relay (tools/bench/sig/cps.sh)
#     latency     call-setup latency the proxy and relay add, from packet
#                 captures, at half of pierce's clean rate from cps
#                 (tools/bench/sig/latency.sh, 3 rounds)
#     concurrent  concurrent-calls ramp: the same stacks, 500 calls/s held
#                 20 s, so up to 10,000 calls at once (cps.sh, one long step)
#   5 ng          ng offer/answer/delete cycles per second (tools/bench/sig/ng.sh)
#     sessions    100k sessions, memory per call (tools/bench/sig/sessions.sh)
#
# Everything is pinned: the system under test on CPU 1, generators on CPU 0,
# the relay veth's receive work in a threaded NAPI thread on CPU 1.
# A stage that fails or runs out of time is recorded as failed in the
# report; the others still run. The whole run is capped at BENCH_BUDGET_S.
#
# Usage: tools/bench/run.sh               every stage, then the report
#        tools/bench/run.sh report DIR    the report again from DIR's JSON
#        tools/bench/run.sh stage NAME OUTDIR   one stage (internal)
# Environment: BUILD (default build), BENCH_STAGES (default: all, in the
# order above), BENCH_OUT (default bench/results/<date>), BENCH_BUDGET_S
# (default 1740: 29 minutes), BENCH_SECONDS / BENCH_LEGS / BENCH_ROUNDS (data plane),
# CALLS / RTP_SECONDS / OVERLOAD_* (see rtp.sh), LATENCY_ROUNDS (latency.sh ROUNDS).
# Results: BENCH_OUT/<stage>.json, BENCH_OUT/logs/<stage>.log,
# BENCH_OUT/report.md and BENCH_OUT/*.png; raw tool output in $BUILD/bench/raw.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
PYTHON=${PYTHON:-/usr/bin/python3}

# ---- stage 1: data plane, live frames ----------------------------------------
# gen ns: veth G (10.99.0.1) <────> veth R (10.99.0.2): relay ns, program under test
#
# a. BPF_PROG_TEST_RUN, repeat mode: ns per packet of each program, and of
#    pierce with each leg count installed: one flow (the frame hits one leg,
#    the others are resident: the cost of the table's size) and traffic over
#    every leg (a cycle through all: the cost of cache and TLB misses).
# b. Live frames: pierce-bench gen runs BPF_PROG_RUN with
#    BPF_F_TEST_XDP_LIVE_FRAMES (2^20 frames per call) on CPU 0: "return
#    XDP_TX" for the reflector, spray.bpf.c for pierce (each frame to a leg
#    picked at random among the cycle's legs, so N legs means N cache
#    lines, with a phone's fresh TTL: live-frame pages come back to the
#    generator as the relay rewrote them); R's XDP program runs in R's threaded-NAPI kthread pinned to CPU 1
#    and sends each frame back (XDP_TX), where XDP on G drops it. Relay CPU per
#    packet is that kthread's run time (/proc/PID/schedstat) per frame: other
#    work on the machine does not leak into it. Core busy time (wall minus
#    idle) is recorded as well.
# Writes OUTBASE.json and OUTBASE.md. BENCH_SECONDS per live run (default
# 4), BENCH_LEGS (default "1 10000 100000 1048576"); the largest count also
# gets a live run with one flow among its resident legs.
stage_dataplane() {
	local OUTBASE=$1
	. tests/e2e/lib.sh
	SECS=${BENCH_SECONDS:-4}
	ROUNDS=${BENCH_ROUNDS:-3}
	[[ $ROUNDS =~ ^[1-9]$ ]] || fail "BENCH_ROUNDS must be 1..9"
	LEG_COUNTS=${BENCH_LEGS:-"1 10000 100000 1048576"}
	BENCH=$BUILD/pierce-bench
	CTL=$BUILD/piercectl
	for f in "$BENCH" "$CTL" "$BUILD/bpf/relay.bpf.o" "$BUILD/bpf/reflector.bpf.o" "$BUILD/bpf/pass.bpf.o"; do
		[ -e "$f" ] || { echo "bench: $f missing: build first (make BUILD=$BUILD)" >&2; exit 1; }
	done
	[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (generator and relay on separate cores)" >&2; exit 1; }
	e2e_init
	mkdir -p "$(dirname "$OUTBASE")" || fail "cannot create the directory of $OUTBASE"
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
		# a failed test run (no I/O) is recorded and the live runs, the
		# figures that count, still go ahead
		if ! out=$(nsx relay taskset -c $RELAY_CPU "$BENCH" testrun --ifname "$R" --repeat 1000000 "$@"); then
			echo "  FAILED: pierce-bench testrun $*"
			echo "{\"kind\":\"testrun_failed\",\"args\":\"$*\"}" >>"$ROWS"
			return 0
		fi
		echo "  $out"
		echo "{\"kind\":\"testrun\",\"r\":$out}" >>"$ROWS"
	}
	testrun --prog reflector
	for n in $LEG_COUNTS; do
		[ "$n" -gt 1 ] && testrun --prog pierce --legs "$n" --flows 1
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

	# Both programs get the same generator (the sprayer aimed at the legs'
	# cycle), so the offered load does not depend on which one is measured.
	live() { # label prog legs [flows: default all legs]
		local label=$1 prog=$2 legs=$3 flows=${4:-$3} src dst rpid gpid out f
		local p0 t0 e0 d0 p1 t1 e1 d1 fwd0=0 fwd1=0 touched='{}'
		rpid=$(threaded_napi relay "$R" $RELAY_CPU)
		gpid=$(threaded_napi gen "$G" $GEN_CPU)
		# the generator core's NAPI only drops frames; it must win against the
		# generator thread or the relay's XDP_TX finds its ring full
		chrt -f -p 50 "$gpid" >/dev/null || fail "real-time priority for napi/$G"
		f=$(nsx relay "$BENCH" --pin-dir "$PIN" fill "$legs" "$flows") || fail "fill $legs legs, $flows flows"
		src=$(echo "$f" | json_get 'd["src"]')
		dst=$(echo "$f" | json_get 'd["first"]')
		[ "$prog" = pierce ] && fwd0=$(pierce_stat fwd_tx)
		p0=$(ethstat relay "$R" rx_queue_0_xdp_packets)
		t0=$(ethstat relay "$R" rx_queue_0_xdp_tx)
		e0=$(ethstat relay "$R" rx_queue_0_xdp_tx_errors)
		d0=$(ethstat gen "$G" rx_queue_0_xdp_drops)
		out=$(taskset -c $GEN_CPU ip netns exec "$(ns gen)" "$BENCH" --pin-dir "$PIN" gen --ifname "$G" \
			--dmac "$RMAC" --src "$src" --dst "$dst" --seconds "$SECS" --relay-cpu $RELAY_CPU \
			--relay-pid "$rpid" --spray "$SPRAY") ||
			fail "pierce-bench gen ($label)"
		sleep 0.3
		p1=$(ethstat relay "$R" rx_queue_0_xdp_packets)
		t1=$(ethstat relay "$R" rx_queue_0_xdp_tx)
		e1=$(ethstat relay "$R" rx_queue_0_xdp_tx_errors)
		d1=$(ethstat gen "$G" rx_queue_0_xdp_drops)
		if [ "$prog" = pierce ]; then
			fwd1=$(pierce_stat fwd_tx)
			touched=$(nsx relay "$BENCH" --pin-dir "$PIN" touched) || fail "touched"
			# where the frames went: every reason counted so far (cumulative)
			echo "  $label: verdicts so far:"
			nsx relay "$CTL" --pin-dir "$PIN" stats | sed 's/^/    /'
		fi
		[ "$prog" = pierce ] || legs=0 flows=0
		echo "{\"kind\":\"live\",\"label\":\"$label\",\"prog\":\"$prog\",\"legs\":$legs,\"flows\":$flows,\"gen\":$out," \
			"\"relay_rx\":$((p1 - p0)),\"relay_tx\":$((t1 - t0)),\"relay_tx_errors\":$((e1 - e0))," \
			"\"gen_rx\":$((d1 - d0)),\"fwd_tx\":$((fwd1 - fwd0)),\"touched\":$touched}" >>"$ROWS"
		echo "  $label: relay rx $((p1 - p0)) tx $((t1 - t0)) tx_err $((e1 - e0)), back at gen $((d1 - d0))," \
			"fwd_tx $((fwd1 - fwd0)) $touched $out"
	}

	reflector_on() {
		nsx relay "$CTL" --pin-dir "$PIN" detach "$R" >/dev/null || fail "detach pierce"
		ip -n "$(ns relay)" link set dev "$R" xdpdrv obj "$BUILD/bpf/reflector.bpf.o" sec xdp ||
			fail "attach reflector"
	}
	pierce_on() {
		ip -n "$(ns relay)" link set dev "$R" xdpdrv off || fail "detach reflector"
		nsx relay "$BENCH" --pin-dir "$PIN" attach "$R" || fail "attach pierce"
	}
	echo "== live frames, ${SECS}s each; reflector and 1 leg alternate $ROUNDS times (medians count)"
	# the first attach loads and pins the data plane; the sprayer reads its legs
	nsx relay "$BENCH" --pin-dir "$PIN" attach "$R" || fail "attach pierce"
	for r in $(seq "$ROUNDS"); do
		reflector_on
		live "reflector-$r" reflector 1
		pierce_on
		live "pierce-1-$r" pierce 1
	done
	local most=0
	for n in $LEG_COUNTS; do
		[ "$n" -gt 1 ] && live "pierce-$n" pierce "$n"
		[ "$n" -gt "$most" ] && most=$n
	done
	[ "$most" -gt 1 ] && live "pierce-$most-1flow" pierce "$most" 1
	nsx relay "$CTL" --pin-dir "$PIN" detach "$R" >/dev/null || fail "detach pierce"

	# ---- results -----------------------------------------------------------------
	"$PYTHON" - "$ROWS" "$OUTBASE" "$(uname -r)" "$SECS" <<'EOF' || fail "writing results"
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
def median(v):
    v = sorted(v)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2
refl = [r for r in live if r["prog"] == "reflector"]
refl_cpu = median([r["relay_us_per_pkt"] for r in refl])
refl_ns = [t for t in tr if t["prog"] == "reflector"][0]["ns_per_pkt"] if tr else 0
tr_failed = [r["args"] for r in rows if r["kind"] == "testrun_failed"]
for r in live:
    r["cpu_ratio_vs_reflector"] = r["relay_us_per_pkt"] / refl_cpu
for t in tr:
    t["ns_ratio_vs_reflector"] = t["ns_per_pkt"] / refl_ns if refl_ns else 0
doc = {"benchmark": "dataplane", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "kernel": kernel,
       "seconds_per_live_run": secs, "frame_bytes": 214,
       "method": "live: BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES generator on CPU 0, program under test in "
                 "threaded NAPI of the relay veth pinned to CPU 1; relay CPU = that kthread's schedstat run time "
                 "per received frame. testrun: BPF_PROG_TEST_RUN repeat mode, median of 5 calls of 1e6.",
       "testrun": tr, "testrun_failed": tr_failed, "live": live,
       "reflector_relay_us_per_pkt_median": refl_cpu,
       "reflector_pps_median": median([r["pps_bounced"] for r in refl])}
json.dump(doc, open(base + ".json", "w"), indent=1)
md = ["# pierce data plane vs bare XDP_TX reflector (%s, kernel %s)" % (doc["date"], kernel), "",
      "Ratios are pierce / the median of the reflector runs in this run. Relay CPU: the relay veth's NAPI kthread,",
      "pinned to its own core, per frame received; core busy = wall minus idle of that core.", "",
      "## BPF_PROG_TEST_RUN (repeat mode, ns per packet)", "",
      "| program | legs | flows | legs touched | ns/pkt | ratio |", "|---|---:|---:|---:|---:|---:|"]
for t in tr:
    md.append("| %s | %s | %s | %s | %d | %.2f |" % (t["prog"], t["legs"] or "-", t.get("flows") or "-",
                                                  t["legs_touched"] or "-", t["ns_per_pkt"],
                                                  t["ns_ratio_vs_reflector"]))
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
	echo "bench: wrote $OUTBASE.json and .md"
}

# ---- stages 2 and 3: RTP streams and overload ----------------------------------
stage_rtp() {
	tools/bench/rtp/rtp.sh streams "$1/rtp.json"
}

stage_overload() {
	tools/bench/rtp/rtp.sh overload "$1/overload.json"
}

# The stage's own time limit (run_all exports it) less a margin, so a
# script that hangs is stopped while there is time to keep what it printed.
inner_limit() {
	echo $((${STAGE_LIMIT:-300} - 15))
}

# sig_run CMD...: CMD under the inner limit (its whole process group)
sig_run() {
	timeout -k 5 "$(inner_limit)" "$@"
}

# sig_done STATUS KIND RAW OUT: the JSON of what did run, even when the
# script failed part way (one stack down); the stage fails with the script
sig_done() {
	"$PYTHON" tools/bench/report/sigparse.py "$2" "$3" "$4" || return 1
	[ "$1" = 0 ] || { echo "bench: tools/bench/sig script for $2 failed (exit $1)"; return 1; }
}

# ---- stage 4: signalling -------------------------------------------------------
# cps.sh prints its steps and summary; sigparse.py turns them (and sipp's
# per-second statistics) into JSON
stage_cps() {
	local raw=$PWD/$BUILD/bench/raw/cps
	rm -rf "$raw" && mkdir -p "$raw" || return 1
	export STEP_S=${CPS_STEP_S:-10}
	OUT=$raw BUDGET_S=$(($(inner_limit) - 20)) sig_run tools/bench/sig/cps.sh | tee "$raw/stdout"
	sig_done "${PIPESTATUS[0]}" cps "$raw" "$1/cps.json"
}

# the latency proxy and relay add to call setup (INVITE and 200 transits,
# from captures), at half of pierce's clean rate in this run's cps.json and
# for Kamailio also at half its own; without cps.json, the rates measured
# before (pierce 1,500, Kamailio 600 cps). Writes latency.json and .md.
stage_latency() {
	local raw=$PWD/$BUILD/bench/raw/latency pmax kmax
	rm -rf "$raw" && mkdir -p "$raw" || return 1
	read -r pmax kmax < <("$PYTHON" -c 'import json, sys
try:
    s = json.load(open(sys.argv[1]))["stacks"]
except (OSError, ValueError, KeyError):
    s = {}
print(s.get("pierce/pierce", {}).get("best_cps") or 1500, s.get("kamailio/rtpengine", {}).get("best_cps") or 600)' \
		"$1/cps.json")
	echo "latency: clean rates pierce $pmax, Kamailio $kmax cps ($([ -s "$1/cps.json" ] && echo "this run's cps.json" ||
		echo "no cps.json: the figures measured before"))"
	OUT=$raw PIERCE_MAX_CPS=$pmax KAM_MAX_CPS=$kmax ROUNDS=${LATENCY_ROUNDS:-3} BUDGET_S=$(($(inner_limit) - 20)) \
		sig_run tools/bench/sig/latency.sh "$1/latency" | tee "$raw/stdout"
	[ "${PIPESTATUS[0]}" = 0 ]
}

# one long step per stack: 500 calls/s for 20 s, each held 20 s: up to
# 10,000 calls at once; the time budget leaves out cps.sh's half-rate step
stage_concurrent() {
	local raw=$PWD/$BUILD/bench/raw/concurrent stack
	rm -rf "$raw" && mkdir -p "$raw" || return 1
	local rc=0
	for stack in kamailio/rtpengine pierce/pierce; do
		OUT=$raw STACKS=$stack RATES=500 STEP_S=20 HOLD_MS=20000 BUDGET_S=70 sig_run tools/bench/sig/cps.sh |
			tee -a "$raw/stdout"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
	STEP_S=20 sig_done "$rc" concurrent "$raw" "$1/concurrent.json"
}

# ---- stage 5: ng throughput, sessions ------------------------------------------
stage_ng() {
	local raw=$PWD/$BUILD/bench/raw/ng
	rm -rf "$raw" && mkdir -p "$raw" || return 1
	OUT=$raw sig_run tools/bench/sig/ng.sh | tee "$raw/stdout"
	sig_done "${PIPESTATUS[0]}" ng "$raw" "$1/ng.json"
}

stage_sessions() {
	local raw=$PWD/$BUILD/bench/raw/sessions
	[ -x tools/bench/sig/sessions.sh ] || { echo "tools/bench/sig/sessions.sh is not in the tree"; return 1; }
	rm -rf "$raw" && mkdir -p "$raw" || return 1
	OUT=$raw sig_run tools/bench/sig/sessions.sh | tee "$raw/stdout"
	sig_done "${PIPESTATUS[0]}" sessions "$raw" "$1/sessions.json"
}

# ---- the run -----------------------------------------------------------------
ALL_STAGES="dataplane rtp overload cps latency concurrent ng sessions"
declare -A LIMIT=([dataplane]=150 [rtp]=300 [overload]=180 [cps]=480 [latency]=420 [concurrent]=240 [ng]=90 [sessions]=180)

run_all() {
	local out=${BENCH_OUT:-bench/results/$(date +%Y-%m-%d)} budget=${BENCH_BUDGET_S:-1740}
	local t0=$SECONDS st limit left rc t reason
	for f in "$BUILD/pierce-bench" "$BUILD/pierce-relay" "$BUILD/pierce-rtpgen"; do
		[ -e "$f" ] || { echo "bench: $f missing: build first (make BUILD=$BUILD)" >&2; exit 1; }
	done
	[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (generator and relay on separate cores)" >&2; exit 1; }
	mkdir -p "$out/logs" || exit 1
	# a run of some stages (BENCH_STAGES) replaces only their results
	touch "$out/logs/stages.jsonl"
	for st in ${BENCH_STAGES:-$ALL_STAGES}; do
		rm -f "$out/$st.json" "$out/$st.md" "$out/logs/$st.log"
		grep -v "\"stage\": \"$st\"" "$out/logs/stages.jsonl" >"$out/logs/stages.tmp"
		mv "$out/logs/stages.tmp" "$out/logs/stages.jsonl"
	done
	rm -f "$out"/*.png "$out/report.md"
	for st in ${BENCH_STAGES:-$ALL_STAGES}; do
		[ -n "${LIMIT[$st]:-}" ] || { echo "bench: unknown stage $st" >&2; exit 2; }
		limit=${LIMIT[$st]}
		left=$((budget - (SECONDS - t0) - 30))
		[ "$left" -lt "$limit" ] && limit=$left
		t=$SECONDS
		if [ "$limit" -lt 20 ]; then
			rc=-1 reason="not run: the ${budget}s budget was spent"
		else
			echo "== bench stage $st (at most ${limit}s)"
			STAGE_LIMIT=$limit timeout -k 15 "$limit" "$0" stage "$st" "$out" >"$out/logs/$st.log" 2>&1
			rc=$?
			reason=
			[ "$rc" = 124 ] || [ "$rc" = 137 ] && reason="ran out of its ${limit}s"
			[ -z "$reason" ] && [ "$rc" != 0 ] &&
				reason=$(grep -E 'FAIL|error|missing|not in the tree|cannot' "$out/logs/$st.log" | tail -1)
			[ -z "$reason" ] && [ "$rc" = 0 ] && [ ! -s "$out/$st.json" ] && reason="wrote no $st.json" rc=1
			[ -z "$reason" ] && [ "$rc" != 0 ] && reason="exit status $rc: $(tail -1 "$out/logs/$st.log")"
		fi
		"$PYTHON" -c 'import json, sys
print(json.dumps({"stage": sys.argv[1], "exit": int(sys.argv[2]), "seconds": int(sys.argv[3]),
                  "status": "ok" if sys.argv[2] == "0" else "failed", "reason": sys.argv[4]}))' \
			"$st" "$rc" $((SECONDS - t)) "$reason" >>"$out/logs/stages.jsonl"
		echo "   $st: $([ "$rc" = 0 ] && echo ok || echo "FAILED ($reason)") in $((SECONDS - t))s"
	done
	echo "== report"
	"$PYTHON" tools/bench/report/report.py "$out" $((SECONDS - t0))
}

case ${1:-} in
"") run_all ;;
stage)
	[ $# = 3 ] && declare -F "stage_$2" >/dev/null || { echo "usage: $0 stage NAME OUTDIR" >&2; exit 2; }
	if [ "$2" = dataplane ]; then stage_dataplane "$3/dataplane"; else "stage_$2" "$3"; fi
	;;
report)
	[ $# = 2 ] || { echo "usage: $0 report DIR" >&2; exit 2; }
	"$PYTHON" tools/bench/report/report.py "$2" 0
	;;
*) echo "usage: $0 [stage NAME OUTDIR | report DIR]" >&2; exit 2 ;;
esac

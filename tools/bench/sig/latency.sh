#!/bin/bash
# Call-setup latency that the signalling servers add, resolved to the
# microsecond: the same sipp calls as cps.sh (INVITE/180/200/ACK, a short
# hold, BYE/200; SDP relayed), same topology (tools/bench/sig/stack.sh),
# with tcpdump on the server namespace's interface toward the phones. One
# clock stamps each message as it arrives from a phone and as it leaves
# toward the other, so per call (paired by Call-ID, tools/bench/sig/sipcap.py):
#   INVITE transit  arrived from the UAC -> left toward the UAS (the relay's
#                   offer, pierce-redirect's 302, the proxy's own work)
#   200 transit     the INVITE's 200 arrived from the UAS -> left toward the
#                   UAC (the relay's answer, the proxy's own work)
#   added latency   the sum; p50/p90/p99/max of each, per step.
# Calls whose four stamps are not all there are unmatched: they are counted,
# and a step with any of them does not prove the limit. Neither does a step
# during which other work on the machine took more than 5 % of a core
# (tools/bench/sig/cpuguard.py): it is marked "contended".
#
# Load: half of pierce's highest clean rate (cps.sh) for every stack, and
# for Kamailio+rtpengine also half of its own highest clean rate. ROUNDS
# rounds; each round starts each stack afresh.
#
#   latency.sh OUTBASE     writes OUTBASE.json and OUTBASE.md
#
# Environment: BUILD (default build), STACKS (default "kamailio/rtpengine
# pierce/pierce"), PIERCE_MAX_CPS (default 1500) and KAM_MAX_CPS (default
# 600): the clean rates measured by cps.sh, RATE (default PIERCE_MAX_CPS/2),
# ROUNDS (default 3), STEP_S seconds of calls per step (default 10), HOLD_MS
# (default 500), LIMIT_US (default 1000), BUDGET_S wall-clock cap (default
# 540, at most 840), SUT_CPU (1), GEN_CPU (0), KAM_CHILDREN (4), OUT raw
# output (default $BUILD/bench/sig-latency). PERF=1 also records perf
# call graphs of the server core (PERF_HZ, default 4999) during each step
# (OUT/TAG.perf.data, CLOCK_REALTIME as the capture; OUT/TAG.calls.csv
# has each call's stamps): a diagnosis, since sampling adds latency.
set -uo pipefail
cd "$(dirname "$0")/../../.."
. tests/e2e/lib.sh
. tests/e2e/sipp/sipp.sh
. tools/bench/sig/stack.sh

[ $# = 1 ] || fail "usage: $0 OUTBASE"
OUTBASE=$1
STACKS=${STACKS:-kamailio/rtpengine pierce/pierce}
PIERCE_MAX_CPS=${PIERCE_MAX_CPS:-1500}
KAM_MAX_CPS=${KAM_MAX_CPS:-600}
ROUNDS=${ROUNDS:-3}
STEP_S=${STEP_S:-10}
HOLD_MS=${HOLD_MS:-500}
LIMIT_US=${LIMIT_US:-1000}
BUDGET_S=${BUDGET_S:-540}
SUT_CPU=${SUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
KAM_CHILDREN=${KAM_CHILDREN:-4}
for v in PIERCE_MAX_CPS KAM_MAX_CPS ROUNDS STEP_S HOLD_MS LIMIT_US BUDGET_S; do
	[[ ${!v} =~ ^[0-9]+$ ]] || fail "$v must be a whole number"
done
RATE=${RATE:-$((PIERCE_MAX_CPS / 2))}
[[ $RATE =~ ^[1-9][0-9]*$ ]] || fail "RATE must be a positive whole number"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] || fail "ROUNDS must be 1..9"
[ "$STEP_S" -ge 1 ] && [ "$STEP_S" -le 30 ] || fail "STEP_S must be 1..30"
[ "$BUDGET_S" -le 840 ] || fail "BUDGET_S is capped at 840"
command -v tcpdump >/dev/null || fail "tcpdump missing (apt-get install tcpdump)"
T0=$SECONDS

e2e_init
OUT=${OUT:-$BUILD/bench/sig-latency}
mkdir -p "$OUT" "$(dirname "$OUTBASE")" || fail "cannot create $OUT or the directory of $OUTBASE"
OUT=$(realpath "$OUT") # sipp runs from the scratch dir
OUTBASE=$(realpath "$OUTBASE")
# captures in memory: a disk write must not stall the capture (teardown unmounts it)
CAP=$E2E_TMP/cap
mkdir -p "$CAP" && mount -t tmpfs -o size=1g tmpfs "$CAP" || fail "tmpfs for the captures"
ROWS=$OUT/steps.jsonl
: >"$ROWS"
stack_topology

# capture_start FILE: tcpdump of the proxy's SIP on srv's interface toward
# the phones, host stamps in nanoseconds, on the generator's core
capture_start() {
	spawn srv "$1.log" taskset -c "$GEN_CPU" tcpdump -i eth0 -j host --time-stamp-precision nano \
		-B 131072 -s 0 -n -p -w "$1" udp port 5060
	CAP_PID=$SPAWNED_PID
	wait_for 5 "tcpdump listening" grep -q "listening on" "$1.log"
}

# capture_stop FILE: prints the count of frames the kernel dropped
capture_stop() {
	stop_pid "$CAP_PID"
	local d
	d=$(awk '/packets dropped by kernel/ { print $1 }' "$1.log")
	echo "${d:-unknown}"
}

# measure STACK ROUND RATE: one step of calls under capture, one row
measure() {
	local stack=$1 round=$2 rate=$3 tag pcap ok failed retrans dropped
	tag=${stack//\//-}-r$round-$rate
	pcap=$CAP/$tag.pcap
	capture_start "$pcap"
	# CPU the machine spent outside srv and ph while the calls were sent:
	# other work sharing the cores (sampled before sipp exits, since an
	# exited process's time moves to its parent outside the namespaces)
	local nsp="/run/netns/$(ns srv) /run/netns/$(ns ph)" guard=$OUT/$tag.cpuguard
	# shellcheck disable=SC2086
	"$PYTHON" tools/bench/sig/cpuguard.py snap $nsp >"$guard.0"
	# shellcheck disable=SC2086
	(sleep "$STEP_S" && "$PYTHON" tools/bench/sig/cpuguard.py diff "$guard.0" $nsp >"$guard") &
	local guard_pid=$! foreign_ms=? wall_ms=?
	local perf_pid=
	if [ "${PERF:-0}" = 1 ]; then
		# the whole server core, on the capture's clock, so slow calls
		# can be matched with what ran then
		perf record -q -k CLOCK_REALTIME -F "${PERF_HZ:-4999}" -g -C "$SUT_CPU" -o "$OUT/$tag.perf.data" \
			-- sleep "$STEP_S" 2>"$OUT/$tag.perf.log" &
		perf_pid=$!
	fi
	read -r ok failed retrans < <(call_step "$tag" "$rate")
	[ -z "$perf_pid" ] || wait "$perf_pid"
	wait "$guard_pid" && read -r foreign_ms wall_ms <"$guard"
	sleep 1 # the last BYEs
	dropped=$(capture_stop "$pcap")
	cp "$pcap.log" "$OUT/$tag.tcpdump.log"
	if ! SIPCAP_CALLS=$OUT/$tag.calls.csv "$PYTHON" tools/bench/sig/sipcap.py step "$pcap" $SRV $UAC $UAS stack="$stack" round="$round" \
		rate="$rate" step_s="$STEP_S" hold_ms="$HOLD_MS" calls_expected=$((rate * STEP_S)) \
		sipp_ok="${ok:-?}" sipp_failed="${failed:-?}" sipp_retransmissions="${retrans:-?}" \
		capture_dropped="$dropped" foreign_cpu_ms="$foreign_ms" foreign_wall_ms="$wall_ms" >>"$ROWS"; then
		echo "$stack round $round at $rate cps: the capture could not be read"
	fi
	rm -f "$pcap"
	tail -1 "$ROWS" | "$PYTHON" -c 'import json, sys
r = json.loads(sys.stdin.read())
if "total_us" in r:
    t, i, o = r["total_us"], r["invite_us"], r["ok200_us"]
    print("%s round %s at %s cps: sipp %s ok, %s failed, %s retransmissions; %d/%d calls matched; "
          "added latency p50 %s p90 %s p99 %s max %s us (INVITE p99 %s, 200 p99 %s); capture dropped %s" % (
          r["stack"], r["round"], r["rate"], r["sipp_ok"], r["sipp_failed"], r["sipp_retransmissions"],
          r["calls_matched"], r["calls_offered"], t.get("p50"), t.get("p90"), t.get("p99"), t.get("max"),
          i.get("p99"), o.get("p99"), r["capture_dropped"]))
    print("  CPU outside the benchmark meanwhile: %s ms in %s ms" % (r["foreign_cpu_ms"], r["foreign_wall_ms"]))'
}

stack_rates() { # the rates a stack is measured at, its own half-rate first
	case $1 in
	kamailio/*) [ $((KAM_MAX_CPS / 2)) -gt 0 ] && [ $((KAM_MAX_CPS / 2)) != "$RATE" ] && echo $((KAM_MAX_CPS / 2)) ;;
	esac
	echo "$RATE"
}

echo "== latency: $ROUNDS rounds, ${STEP_S}s steps, hold ${HOLD_MS} ms; pierce's clean max $PIERCE_MAX_CPS cps" \
	"-> $RATE cps; Kamailio's $KAM_MAX_CPS cps"
for round in $(seq "$ROUNDS"); do
	for stack in $STACKS; do
		if [ $((SECONDS - T0 + STEP_S + 60)) -gt "$BUDGET_S" ]; then
			echo "$stack round $round: time budget reached"
			continue
		fi
		start_stack "$stack"
		start_uas "${stack//\//-}-r$round"
		for rate in $(stack_rates "$stack"); do
			if [ $((SECONDS - T0 + STEP_S + 30)) -gt "$BUDGET_S" ]; then
				echo "$stack round $round at $rate cps: time budget reached"
				continue
			fi
			measure "$stack" "$round" "$rate"
			sleep $((HOLD_MS / 1000 + 1))
		done
		stop_stack
	done
done
[ -s "$ROWS" ] || fail "no step was measured"
"$PYTHON" tools/bench/sig/sipcap.py summary "$ROWS" "$OUTBASE" "$LIMIT_US" || fail "writing $OUTBASE.json"
echo "latency: wrote $OUTBASE.json and $OUTBASE.md; raw output in $OUT"

#!/bin/bash
# Signalling capacity: a sipp call-rate ramp (INVITE/180/200/ACK, a short
# hold, BYE/200; SDP relayed) through Kamailio + rtpengine and through
# pierce-proxy + pierce-relay, same scenario, same topology, same pinning.
# For each stack it reports the highest rate with 0 failed calls and 0
# retransmissions, then the call-setup latency (INVITE to 200, sipp's rtd)
# p50/p99 at half that rate.
#
# rtd resolves only sipp's 4 ms histogram step: latency.sh measures the
# latency the servers add from packet captures instead.
# Topology and stacks: tools/bench/sig/stack.sh.
#
# Environment: BUILD (default build), STACKS: PROXY/RELAY pairs, proxy
# kamailio or pierce, relay rtpengine or pierce (default "kamailio/rtpengine
# pierce/pierce"; mixed pairs check interop and isolate either side),
# RATES (calls/s steps, default "100 200 400 600 800 1000 1200 1500"),
# STEP_S seconds per step (default 10), HOLD_MS call hold (default 500),
# BUDGET_S wall-clock cap for the whole run (default 600), SUT_CPU (1),
# GEN_CPU (0), KAM_CHILDREN (4), OUT (default $BUILD/bench/sig-cps).
set -uo pipefail
cd "$(dirname "$0")/../../.."
. tests/e2e/lib.sh
. tests/e2e/sipp/sipp.sh
. tools/bench/sig/stack.sh

STACKS=${STACKS:-kamailio/rtpengine pierce/pierce}
RATES=${RATES:-100 200 400 600 800 1000 1200 1500}
STEP_S=${STEP_S:-10}
HOLD_MS=${HOLD_MS:-500}
BUDGET_S=${BUDGET_S:-600}
SUT_CPU=${SUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
KAM_CHILDREN=${KAM_CHILDREN:-4}
T0=$SECONDS
for v in STEP_S HOLD_MS BUDGET_S; do
	[[ ${!v} =~ ^[0-9]+$ ]] || fail "$v must be a whole number"
done
[ "$BUDGET_S" -le 600 ] || fail "BUDGET_S is capped at 600"
e2e_init
OUT=${OUT:-$BUILD/bench/sig-cps}
mkdir -p "$OUT" || fail "cannot create $OUT"
OUT=$(realpath "$OUT") # sipp runs from the scratch dir
stack_topology

declare -A BEST P50 P99
for stack in $STACKS; do
	case $stack in */*) ;; *) fail "STACKS entries are PROXY/RELAY, not $stack" ;; esac
	start_stack "$stack"
	start_uas "${stack//\//-}"
	best=0
	for rate in $RATES; do
		if [ $((SECONDS - T0 + STEP_S + 30)) -gt "$BUDGET_S" ]; then
			echo "$stack: time budget reached before $rate cps"
			break
		fi
		read -r ok failed retrans < <(call_step "${stack//\//-}-$rate" "$rate")
		echo "$stack $rate cps: ${ok:-?} ok, ${failed:-?} failed, ${retrans:-?} retransmissions"
		if [ "${ok:-0}" != $((rate * STEP_S)) ] || [ "${failed:-1}" != 0 ] || [ "${retrans:-1}" != 0 ]; then
			break
		fi
		best=$rate
		sleep $((HOLD_MS / 1000 + 2)) # let the last BYEs finish before the next step
	done
	BEST[$stack]=$best
	if [ "$best" -gt 0 ] && [ $((SECONDS - T0 + STEP_S + 30)) -le "$BUDGET_S" ]; then
		half=$((best / 2))
		sleep 2
		read -r ok failed retrans < <(call_step "${stack//\//-}-$half-rtt" "$half" -trace_rtt -rtt_freq 1)
		rtt=$(ls "$E2E_TMP"/uac_*_rtt.csv 2>/dev/null | tail -1)
		if [ -n "$rtt" ]; then
			read -r P50[$stack] P99[$stack] < <(awk -F';' 'NR > 1 && $3 == 1 { print $2 }' "$rtt" | sort -n |
				awk '{ v[NR] = $1 } END { if (NR) print v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)] }')
			mv "$rtt" "$OUT/${stack//\//-}-$half-rtt.csv"
		fi
		echo "$stack at $half cps: $ok ok, $failed failed, setup p50 ${P50[$stack]:-?} ms, p99 ${P99[$stack]:-?} ms"
	fi
	echo "$stack: server namespace UDP receive buffer errors: $(_udp_snmp_field srv RcvbufErrors)," \
		"in errors: $(_udp_snmp_field srv InErrors)"
	left=$(nsx srv "$PYTHON" $NGQ $NG list --len calls 2>/dev/null || echo "?")
	echo "$stack: relay sessions left after the ramp: $left"
	stop_stack
done

echo "== summary: highest cps with 0 failed and 0 retransmissions (${STEP_S}s steps, hold ${HOLD_MS} ms);"
echo "   setup latency (INVITE->200) at half that rate"
for stack in $STACKS; do
	echo "  $stack: ${BEST[$stack]:-n/a} cps; p50 ${P50[$stack]:-n/a} ms, p99 ${P99[$stack]:-n/a} ms"
done
echo "logs and sipp statistics in $OUT"

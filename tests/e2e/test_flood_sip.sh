#!/bin/bash
# A SIP flood against proxy 1 (patent topology, see test_proxy_topology.sh):
# a host on the public segment sends OPTIONS as fast as one socket goes for
# FLOOD_S seconds (at most 300000), while phone A, behind natA, makes CALLS
# ordinary calls through proxy 1. Both proxies run with --rate-limit RATE/s
# (per source address, burst 2 x RATE).
#
# Checked: the calls all complete; proxy 1 answered the flooder no more
# than the limit allows (RATE x seconds + burst, + 10 %); proxy 1 counts the
# rest as rate-limited; the relay ends idle and every daemon lives.
# Environment: BUILD, RATE (default 100), FLOOD_S (default 10), CALLS
# (default 10), FLOOD_ADDR (the flooder's address, default 203.0.113.66;
# it is added to the flooder's e0 and routed from proxy 1 when outside the
# public /24).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

RATE=${RATE:-100}
FLOOD_S=${FLOOD_S:-10}
CALLS=${CALLS:-10}
FLOOD_ADDR=${FLOOD_ADDR:-203.0.113.66}
HP_PROXY_ARGS=(--rate-limit "$RATE/s")
hp_stack_up
hp_host_up flood 203.0.113.66
if [ "$FLOOD_ADDR" != 203.0.113.66 ]; then
	nsx flood ip addr add "$FLOOD_ADDR/32" dev e0 || fail "flood address $FLOOD_ADDR"
	nsx proxy1 ip route add "$FLOOD_ADDR/32" dev e0 || fail "route to $FLOOD_ADDR in proxy1"
	nsx flood ip neigh replace $PROXY1 lladdr "$(nsx proxy1 cat /sys/class/net/e0/address)" dev e0 ||
		fail "neighbour of proxy 1 in flood"
fi
limited0=$(hp_proxy_metric 1 pierce_proxy_rx_rate_limited_total)

pt_uas "$(pt_scn uas)" -m "$CALLS" -timeout 90s
nsx flood "$PYTHON" -c "$_HP_BLAST_PY" "$FLOOD_ADDR:5099" "$PROXY1:5060" "$FLOOD_S" 300000 options \
	>"$E2E_TMP/flood.out" 2>&1 &
FLOOD_JOB=$!
sleep 1
# calls spread over the flood: one every 0.5 s
pt_uac "$(pt_scn uac)" -d 500 -r 2 -m "$CALLS" -timeout 60s
uac_rc=$?
wait "$FLOOD_JOB" || fail "the flooder failed: $(cat "$E2E_TMP/flood.out")"
read -r _ sent _ replies <"$E2E_TMP/flood.out"
echo "flooder: $(cat "$E2E_TMP/flood.out") in ${FLOOD_S} s"
assert_eq "$uac_rc" 0 "phone A's calls during the flood (see $E2E_TMP/uac.out)"
assert_eq "$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")" "$CALLS" "all $CALLS calls completed"
wait_pid 20 "$UAS_PID"
assert_ge "$sent" $((RATE * FLOOD_S * 10)) "the flooder sent at least 10 x the limit"
allowed=$(((RATE * FLOOD_S + 2 * RATE + RATE) * 11 / 10))
assert_le "$replies" "$allowed" "proxy 1 answered the flooder within the limit"
limited=$(($(hp_proxy_metric 1 pierce_proxy_rx_rate_limited_total) - limited0))
echo "proxy 1: $limited messages rate-limited; UDP receive errors in proxy1: $(udp_in_errors proxy1)"
assert_ge "$limited" $((sent / 2)) "proxy 1 counted the flood as rate-limited"
wait_for 5 "the relay idle after the calls" hp_relay_idle
hp_daemons_alive
echo "PASS"

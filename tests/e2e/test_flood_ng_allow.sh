#!/bin/bash
# The relay's ng control socket and --ng-allow (patent topology, see
# test_proxy_topology.sh): pierce-relay accepts ng only from proxy 1's
# address (203.0.113.11/32). A host elsewhere on the public segment floods
# it with ng pings for 3 s (at most 100000) and sends one offer; proxy 2,
# also outside the list, sends one ping.
#
# Checked: nobody outside the list gets any reply; every datagram the relay
# read from them is counted in pierce_relay_ng_denied_total (at least half
# of what was sent: the rest may be dropped by the socket's buffer, counted
# in the relay namespace's UDP receive errors); the offer booked no port and
# made no session; proxy 1 still gets answers, during the flood and after.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-relay bpf/pass.bpf.o

pt_net_up nat
hp_host_up flood 203.0.113.66
hp_relay_start --ports 30000-30999 --ng-allow $PROXY1/32 --timeout 20 --delete-delay 0
rcv_err0=$(udp_in_errors relay)

nsx flood "$PYTHON" -c "$_HP_BLAST_PY" 203.0.113.66:5098 "$RELAY:$NG_PORT" 3 100000 ngping \
	>"$E2E_TMP/flood.out" 2>&1 &
FLOOD_JOB=$!
sleep 1
out=$(hp_ng '{"command": "ping"}') || fail "proxy 1's ping during the flood got no reply"
assert_eq "$(echo "$out" | json_get 'd["result"]')" pong "proxy 1 (allowed) is answered during the flood"
wait "$FLOOD_JOB" || fail "the flooder failed: $(cat "$E2E_TMP/flood.out")"
read -r _ sent _ replies <"$E2E_TMP/flood.out"
echo "flooder: $(cat "$E2E_TMP/flood.out")"
assert_eq "$replies" 0 "the flooder (outside --ng-allow) got no reply"

SDP='v=0\r\no=x 1 1 IN IP4 203.0.113.66\r\ns=-\r\nc=IN IP4 203.0.113.66\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'
assert_eq "$(hp_ng_silent "{\"command\": \"offer\", \"call-id\": \"evil\", \"from-tag\": \"x\", \"sdp\": \"$SDP\"}" flood)" \
	noreply "an offer from outside --ng-allow gets no reply"
assert_eq "$(hp_ng_silent '{"command": "ping"}' proxy2)" noreply "proxy 2 (outside --ng-allow) gets no reply"
assert_eq "$(hp_relay_metric pierce_relay_sessions)" 0 "the denied offer made no session"
assert_eq "$(hp_relay_metric pierce_relay_ports_in_use)" 0 "the denied offer booked no port"
denied=$(hp_relay_metric pierce_relay_ng_denied_total)
rcv_err=$(($(udp_in_errors relay) - rcv_err0))
echo "relay: $denied ng datagrams denied, $rcv_err UDP receive errors (socket buffer full)"
assert_ge "$denied" $((sent / 2)) "the relay counted the denied datagrams"
assert_ge "$((denied + rcv_err))" $((sent + 2)) "every datagram from outside was either denied or dropped by the kernel"
out=$(hp_ng '{"command": "ping"}') || fail "proxy 1's ping after the flood got no reply"
assert_eq "$(echo "$out" | json_get 'd["result"]')" pong "proxy 1 is answered after the flood"
kill -0 "$RELAY_PID" 2>/dev/null || fail "pierce-relay died"
echo "PASS"

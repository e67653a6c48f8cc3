#!/bin/bash
# kill -9 of pierce-relay in the middle of a call (patent topology, both
# phones behind NAT, see test_proxy_topology.sh). The call is set up over ng
# from proxy 1's address as the proxy would; pierce-rtpgen in each phone
# sends and receives one RTP stream through the relay's XDP data plane.
# While the stream runs, the relay is killed with SIGKILL and, 3 s later,
# started again on the same pin directory and state file.
#
# Checked: no RTP packet lost either way (RFC 3550 sequence accounting of
# pierce-rtpgen, --max-loss 0, and received >= 99 % of what was sent); the
# restarted relay adopted the call (ng query ok, legs in the maps, log); ng
# delete afterwards leaves no session, no port in use and no leg.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-relay piercectl pierce-rtpgen bpf/pass.bpf.o

pt_net_up nat
hp_relay_start

SDP_A='v=0\r\no=a 1 1 IN IP4 10.0.1.10\r\ns=-\r\nc=IN IP4 10.0.1.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'
SDP_B='v=0\r\no=b 1 1 IN IP4 10.0.2.10\r\ns=-\r\nc=IN IP4 10.0.2.10\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n'
out=$(hp_ng "{\"command\": \"offer\", \"call-id\": \"kill9@pierce\", \"from-tag\": \"ta\", \"sdp\": \"$SDP_A\",
  \"received-from\": [\"IP4\", \"$NAT_A_PUB\"], \"flags\": [\"SIP-source-address\"]}") || fail "ng offer"
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "offer"
PORT_B=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
out=$(hp_ng "{\"command\": \"answer\", \"call-id\": \"kill9@pierce\", \"from-tag\": \"ta\", \"to-tag\": \"tb\",
  \"sdp\": \"$SDP_B\", \"media-address\": \"$NAT_B_PUB\"}") || fail "ng answer"
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "answer"
PORT_A=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
pass "phone A sends to $RELAY:$PORT_A, phone B to $RELAY:$PORT_B"

DURATION=12
RTPGEN=$PWD/$BUILD/pierce-rtpgen
spawn phoneA "$E2E_TMP/rtpA.log" "$RTPGEN" --local $PHONE_A:4000 --remote $RELAY:$PORT_A \
	--duration $DURATION --wait 3 --json "$E2E_TMP/a.json" --max-loss 0 --quiet
GEN_A=$SPAWNED_PID
spawn phoneB "$E2E_TMP/rtpB.log" "$RTPGEN" --local $PHONE_B:5000 --remote $RELAY:$PORT_B \
	--duration $DURATION --wait 3 --json "$E2E_TMP/b.json" --max-loss 0 --quiet
GEN_B=$SPAWNED_PID
fwd() { hp_relay_metric 'pierce_relay_packets_total{verdict="fwd_tx"}'; }
media_flowing() { [ "$(fwd)" -ge 100 ]; }
wait_for 5 "media through the relay (fwd_tx >= 100)" media_flowing
pass "media flows through XDP before the kill"

kill -KILL "$RELAY_PID" || fail "kill -9 pierce-relay"
wait "$RELAY_PID" 2>/dev/null
pass "pierce-relay killed with SIGKILL mid-call"
legs_down=$(hp_relay_legs)
assert_ge "$legs_down" 4 "the pinned maps keep the call's legs while no relay runs"
sleep 3
hp_relay_start
pass "pierce-relay restarted on the same pin directory and state file"
out=$(hp_ng '{"command": "query", "call-id": "kill9@pierce"}')
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "the restarted relay answers a query for the call"
assert_contains "$(cat "$RELAY_LOG")" "adopted 1 calls" "the restarted relay logged the adoption"

wait_pid $((DURATION + 10)) "$GEN_A"
rc_a=$?
wait_pid 10 "$GEN_B"
rc_b=$?
for side in a b; do
	f=$E2E_TMP/$side.json
	[ -s "$f" ] || fail "no rtpgen report $f"
	echo "phone ${side^^}: $(json_get '"sent %d received %d lost %d expected %d" % (d["totals"]["tx_packets"] if "tx_packets" in d["totals"] else sum(s["tx_packets"] for s in d["streams_detail"]), d["totals"]["received"], d["totals"]["lost"], d["totals"]["expected"])' <"$f")"
done
assert_eq "$rc_a" 0 "phone A's pierce-rtpgen: no loss (see $E2E_TMP/rtpA.log)"
assert_eq "$rc_b" 0 "phone B's pierce-rtpgen: no loss (see $E2E_TMP/rtpB.log)"
assert_eq "$(json_get 'd["totals"]["lost"]' <"$E2E_TMP/a.json")" 0 "phone A: 0 packets lost by sequence"
assert_eq "$(json_get 'd["totals"]["lost"]' <"$E2E_TMP/b.json")" 0 "phone B: 0 packets lost by sequence"
# what one side sent, the other received (the first packets, before each
# side latched, may be missing: at most 1 %)
sent_a=$(json_get 'sum(s["tx_packets"] for s in d["streams_detail"])' <"$E2E_TMP/a.json")
sent_b=$(json_get 'sum(s["tx_packets"] for s in d["streams_detail"])' <"$E2E_TMP/b.json")
got_a=$(json_get 'd["totals"]["received"]' <"$E2E_TMP/a.json")
got_b=$(json_get 'd["totals"]["received"]' <"$E2E_TMP/b.json")
assert_ge "$got_b" $((sent_a * 99 / 100)) "phone B received phone A's stream across the kill ($got_b of $sent_a)"
assert_ge "$got_a" $((sent_b * 99 / 100)) "phone A received phone B's stream across the kill ($got_a of $sent_b)"

out=$(hp_ng '{"command": "query", "call-id": "kill9@pierce"}')
q=$(echo "$out" | json_get 'd["totals"]["RTP"]["packets"]')
assert_ge "$q" $(((got_a + got_b) * 9 / 10)) "query after the restart counts the call's packets ($q)"
out=$(hp_ng '{"command": "delete", "call-id": "kill9@pierce", "from-tag": "ta"}')
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "delete"
wait_for 5 "the relay idle after delete (no session, port or leg)" hp_relay_idle
pass "after delete: 0 sessions, 0 ports in use, 0 legs"
kill -0 "$RELAY_PID" 2>/dev/null || fail "the restarted pierce-relay died"
echo "PASS"

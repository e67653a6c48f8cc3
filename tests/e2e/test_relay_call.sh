#!/bin/bash
# pierce-relay end to end, driven over the ng protocol as a SIP proxy would:
#
#   caller 10.0.1.10 ── lan ┐                  ┌ wan 203.0.113.1 ── r0 pierce-relay 203.0.113.10
#                           router (masquerade │
#   callee 198.51.100.20 ── cal ┤  out of "wan") │
#   attacker 192.0.2.66 ─── atk ┘
#
# ping; offer (Kamailio-style: unsorted keys, supports, received-from) and
# answer; an attacker racing the callee to its relay port before the answer
# is dropped and counted; media both ways through the XDP data plane with the
# relay as the only source each side sees; an RTP Bleed attempt dropped;
# that the callee latched, not the attacker; query counters;
# /metrics; a retransmitted offer; a restart that adopts the call while media
# keeps flowing; delete freeing the ports; a media timeout; bad flags exit 2.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
e2e_init

RELAYD=$BUILD/pierce-relay
for f in "$RELAYD" "$BUILD/bpf/pass.bpf.o"; do
	[ -e "$f" ] || fail "$f missing: build first (make BUILD=$BUILD)"
done

N=100

# ---- bad flags: a message and exit 2, before anything is touched ------------
out=$("$RELAYD" --interface lo --address 1.2.3.999 2>&1)
assert_eq "$?" 2 "bad --address exits 2"
assert_contains "$out" "1.2.3.999" "the message names the bad address"
out=$("$RELAYD" --interface lo --address 1.2.3.4 --timeout x 2>&1)
assert_eq "$?" 2 "bad --timeout exits 2"
assert_contains "$out" "--timeout" "the message names the flag"

topo_nat_relay

PIN=$(bpffs_dir relay)/pierce
STATE=$E2E_TMP/relay-state
LOG=$E2E_TMP/relay.log
start_relay() {
	spawn relay "$LOG.$1" "$RELAYD" --interface r0 --address $RELAY --ports 30000-30099 \
		--ng 127.0.0.1:2223 --pin-dir "$PIN" --metrics 127.0.0.1:9812 --state-file "$STATE" \
		--timeout 8 --silent-timeout 600 --delete-delay 0 -v
	RELAY_PID=$SPAWNED_PID
	wait_for 10 "pierce-relay answers ping" ng '{"command": "ping"}'
}

# ng CLIENT: JSON request in, JSON reply out; optional $2: the cookie
ng() { ng_json relay 127.0.0.1:2223 "$1" ${2:+--cookie "$2"}; }
metric() { nsx relay "$PYTHON" -c 'import urllib.request, sys
for l in urllib.request.urlopen("http://127.0.0.1:9812/metrics", timeout=2).read().decode().splitlines():
    if l.startswith(sys.argv[1] + " "): print(l.split()[-1])' "$1"; }

start_relay 1
out=$(ng '{"command": "ping"}')
assert_eq "$(echo "$out" | json_get 'd["result"]')" pong "ping answers pong"

SDP_A='v=0\r\no=a 1 1 IN IP4 10.0.1.10\r\ns=-\r\nc=IN IP4 10.0.1.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n'
SDP_B='v=0\r\no=b 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n'
OFFER="{\"supports\": [\"load limit\"], \"sdp\": \"$SDP_A\", \"call-id\": \"e2e-1@pierce\", \"from-tag\": \"ta\",
  \"received-from\": [\"IP4\", \"$ROUTER_PUB\"], \"flags\": [\"SIP-source-address\"], \"command\": \"offer\"}"
out=$(ng "$OFFER" offer-1) || fail "offer"
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "offer ok"
SDP_TO_B=$(echo "$out" | json_get 'd["sdp"]')
assert_contains "$SDP_TO_B" "c=IN IP4 $RELAY" "the offer names the relay"
PORT_B=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
out2=$(ng "$OFFER" offer-1)
assert_eq "$(echo "$out2" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')" "$PORT_B" \
	"a retransmitted offer gets the same port"

# ---- before the answer the callee's port belongs to nobody ------------------
# An attacker who finds the callee's relay port (from the offer's SDP) sends
# RTP there first. The leg has no owner yet: every packet is dropped and
# counted, nothing is forwarded, and nothing latches.
rtp_burst() { # NS BIND DEST COUNT: RTP-shaped datagrams (version 2, 12-byte header)
	nsx "$1" "$PYTHON" -c 'import socket, struct, sys, time
h, p = sys.argv[1].rsplit(":", 1); d, dp = sys.argv[2].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((h, int(p)))
for i in range(int(sys.argv[3])):
    s.sendto(struct.pack("!BBHII", 0x80, 0, i, i * 160, 0xbad) + b"BLEED" + b"x" * 155, (d, int(dp))); time.sleep(0.01)' \
		"$2" "$3" "$4" || fail "rtp burst from $1"
}
drops_before=$(metric 'pierce_relay_packets_total{verdict="drop_src_mismatch"}')
fwd_before=$(metric 'pierce_relay_packets_total{verdict="fwd_tx"}')
rtp_burst attacker $ATTACKER:6000 $RELAY:$PORT_B 20
for _ in $(seq 50); do # the last packets may still be on their way
	[ $(($(metric 'pierce_relay_packets_total{verdict="drop_src_mismatch"}') - drops_before)) -ge 20 ] && break
	sleep 0.1
done
assert_eq "$(( $(metric 'pierce_relay_packets_total{verdict="drop_src_mismatch"}') - drops_before ))" 20 \
	"the callee's port dropped and counted every early attacker packet"
assert_eq "$(metric 'pierce_relay_packets_total{verdict="fwd_tx"}')" "$fwd_before" \
	"no early attacker packet was relayed"
out=$(ng '{"command": "query", "call-id": "e2e-1@pierce"}')
assert_eq "$(echo "$out" | json_get '"confirmed" in str(d)')" False "nothing latched before the answer"

ANSWER="{\"command\": \"answer\", \"call-id\": \"e2e-1@pierce\", \"from-tag\": \"ta\", \"to-tag\": \"tb\",
  \"sdp\": \"$SDP_B\", \"media-address\": \"$CALLEE\"}"
out=$(ng "$ANSWER") || fail "answer"
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "answer ok"
PORT_A=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
pass "caller sends to $RELAY:$PORT_A, callee to $RELAY:$PORT_B"

# caller first (its NAT binding), then the callee; the relay latches the caller's post-NAT port
udp_peer caller $CALLER:4000 $RELAY:$PORT_A $N 172 10 A "$E2E_TMP/a.log" 3
PA=$SPAWNED_PID
udp_peer callee $CALLEE:5000 $RELAY:$PORT_B $N 172 10 B "$E2E_TMP/b.log" 3 0.3
PB=$SPAWNED_PID
udp_send_once attacker $ATTACKER:6000 $RELAY:$PORT_A BLEED
wait_pid 20 $PA
wait_pid 20 $PB
got_b=$(count_lines "$E2E_TMP/b.log" "^$RELAY $PORT_B .* A ")
got_a=$(count_lines "$E2E_TMP/a.log" "^$RELAY $PORT_A .* B ")
assert_ge "$got_b" $((N * 9 / 10)) "callee got the caller's media from the relay ($got_b/$N)"
assert_ge "$got_a" $((N * 8 / 10)) "caller got the callee's media from the relay ($got_a/$N)"
assert_eq "$(count_lines "$E2E_TMP/b.log" BLEED)" 0 "the attacker's packet was not relayed"
assert_eq "$(count_lines "$E2E_TMP/a.log" BLEED)" 0 "the caller never got the attacker's early packets"

out=$(ng '{"command": "query", "call-id": "e2e-1@pierce"}')
q_pkts=$(echo "$out" | json_get 'd["totals"]["RTP"]["packets"]')
assert_ge "$q_pkts" $((N * 17 / 10)) "query counts the relayed packets ($q_pkts)"
assert_eq "$(echo "$out" | json_get 'd["state"]')" answered "query shows the call answered"
assert_eq "$(echo "$out" | json_get 'd["tags"]["tb"]["medias"][0]["streams"][0]["endpoint"]["address"]')" \
	"$CALLEE" "the callee's port latched the callee, not the attacker"
assert_eq "$(metric pierce_relay_sessions)" 1 "metrics: one session"
assert_ge "$(metric 'pierce_relay_packets_total{verdict="drop_src_mismatch"}')" 1 "metrics: the bleed attempt counted"

# ---- slow path: IPv4 options make XDP hand the frame to user space ----------
udp_peer callee $CALLEE:5000 - 0 0 0 B4 "$E2E_TMP/b4.log" 3
PB=$SPAWNED_PID
sleep 0.5 # the callee's socket is bound
nsx caller "$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.10", 4000))
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
for i in range(10):
    s.sendto(b"OPT %d xxxxxxxx" % i, (sys.argv[1], int(sys.argv[2]))); time.sleep(0.02)' $RELAY $PORT_A ||
	fail "sending datagrams with IP options"
wait_pid 20 $PB
assert_ge "$(count_lines "$E2E_TMP/b4.log" "^$RELAY $PORT_B .* OPT ")" 9 "the slow path forwarded IP-options datagrams from the relay port"
assert_ge "$(metric 'pierce_relay_slowpath_packets_total{reason="slow_ip_options",result="forwarded"}')" 9 \
	"metrics: slow-path forwards counted by reason"

# ---- HUP rereads the configuration ------------------------------------------
kill -HUP $RELAY_PID
wait_for 5 "reload logged" grep -q "reload: configuration reread" "$LOG.1"
pass "SIGHUP rereads the configuration"

# ---- restart: media keeps flowing, the call comes back from the state file --
cfg_field() { nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json cfg | json_get "d[\"$1\"]"; }
stop_pid $RELAY_PID
assert_eq "$(cfg_field slowpath)" False "a stopped relay clears the slow-path flag (no ring reader)"
udp_peer caller $CALLER:4000 $RELAY:$PORT_A 50 172 10 A2 "$E2E_TMP/a2.log" 1
PA=$SPAWNED_PID
udp_peer callee $CALLEE:5000 - 0 0 0 B2 "$E2E_TMP/b2.log" 2
PB=$SPAWNED_PID
wait_pid 20 $PA
wait_pid 20 $PB
assert_ge "$(count_lines "$E2E_TMP/b2.log" " A2 ")" 45 "media flows while pierce-relay is down"
start_relay 2
out=$(ng '{"command": "query", "call-id": "e2e-1@pierce"}')
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "the restarted relay knows the call"
assert_contains "$(cat "$LOG.2")" "adopted 1 calls from the state file" "adoption logged"
# the slow-path heartbeat: the program takes a consumer silent for 5 s for dead
assert_eq "$(cfg_field slowpath)" True "the adopting relay's slow-path consumer sets the flag"
H1=$(cfg_field slow_alive_ns)
sleep 2.5
H2=$(cfg_field slow_alive_ns)
assert_ge "$H1" 1 "a heartbeat is stamped"
assert_ge "$H2" $((H1 + 1000000000)) "the heartbeat advances every tick ($H1 -> $H2)"

# ---- delete frees ports and legs ---------------------------------------------
out=$(ng '{"command": "delete", "call-id": "e2e-1@pierce", "from-tag": "ta", "received-from": ["IP4", "127.0.0.1"]}')
assert_eq "$(echo "$out" | json_get 'd["result"]')" ok "delete ok"
assert_eq "$(metric pierce_relay_ports_in_use)" 0 "delete freed the ports"
udp_peer caller $CALLER:4000 $RELAY:$PORT_A 20 172 10 A3 "$E2E_TMP/a3.log" 1
PA=$SPAWNED_PID
udp_peer callee $CALLEE:5000 - 0 0 0 B3 "$E2E_TMP/b3.log" 2
PB=$SPAWNED_PID
wait_pid 20 $PA
wait_pid 20 $PB
assert_eq "$(count_lines "$E2E_TMP/b3.log" " A3 ")" 0 "nothing is relayed after delete"

# ---- timeout: media stops, the call ends by itself -------------------------
OFFER2=${OFFER//e2e-1/e2e-2}
out=$(ng "$OFFER2") || fail "offer 2"
PORT_B=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
out=$(ng "${ANSWER//e2e-1/e2e-2}") || fail "answer 2"
PORT_A=$(echo "$out" | json_get 'd["sdp"].split("m=audio ")[1].split()[0]')
udp_send_once caller $CALLER:4000 $RELAY:$PORT_A T
timed_out() { [ "$(ng '{"command": "query", "call-id": "e2e-2@pierce"}' | json_get 'd.get("end reason")')" = timeout ]; }
wait_for 20 "the call times out" timed_out
assert_ge "$(metric 'pierce_relay_calls_ended_total{reason="timeout"}')" 1 "metrics: the timeout counted"
assert_contains "$(cat "$LOG.2")" "call e2e-2@pierce: timeout" "the timeout is logged with its Call-ID"
assert_eq "$(metric pierce_relay_ports_in_use)" 0 "the timeout freed the ports"

stop_pid $RELAY_PID
echo "all relay e2e checks passed"

#!/bin/bash
# Signalling loss: both NAT routers of the patent topology (see
# test_proxy_topology.sh) drop 1 in 20 SIP datagrams at random in each
# direction (nftables numgen). The registration and every call of a short
# run must still complete, through retransmissions by the phones and by the
# proxies, with the relay holding no call at the end.
# Environment: BUILD, RELAY_KIND (pierce, the default, or rtpengine), CALLS
# (default 10).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/test_proxy_topology.sh
. tests/e2e/test_proxy_topology.sh
e2e_init

RELAY_KIND=${RELAY_KIND:-pierce}
CALLS=${CALLS:-10}
[[ $CALLS =~ ^[0-9]+$ ]] && [ "$CALLS" -ge 1 ] && [ "$CALLS" -le 100 ] || fail "CALLS must be 1..100"
pt_need pierce-proxy pierce-redirect bpf/pass.bpf.o sipp
[ "$RELAY_KIND" = pierce ] && pt_need pierce-relay

pt_net_up nat
for r in natA natB; do
	nsx $r nft -f - <<NFT || fail "loss rule on $r"
table inet pierce_loss {
	counter sip_dropped { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5060 numgen random mod 20 == 0 counter name sip_dropped drop
		udp sport 5060 numgen random mod 20 == 0 counter name sip_dropped drop
	}
}
NFT
done
pass "natA and natB drop 5 % of SIP datagrams each way"
pt_redirect_up
pt_relay_up "$RELAY_KIND"
pt_proxies_up --nat-policy auto
pt_register_b

# Phone B answers a retransmitted INVITE (its 180 and 200 were both lost, so
# proxy 2 resent it) with its 200 again, as a UA does; the shared uas.xml
# would take it for an unexpected message and abort the call. It also stays
# in the dialog 4 s after its 200 to the BYE, for the BYE's retransmissions.
"$PYTHON" - "$(pt_scn uas)" "$E2E_TMP/uas_loss.xml" <<'PY' || fail "loss UAS scenario"
import sys
s = open(sys.argv[1]).read()
ok, ack = "  <send retrans=\"500\">\n    <![CDATA[\n\n      SIP/2.0 200 OK", '  <recv request="ACK" rtd="true" />'
assert s.count(ok) == 1 and s.count(ack) == 1
s = s.replace(ok, '  <label id="1" />\n' + ok)
s = s.replace(ack, '  <recv request="INVITE" optional="true" next="1" />\n' + ack)
# a 100 Trying first: proxy 2 then resends the INVITE only when 100, 180 and 200 are all lost
ring = "  <send>\n    <![CDATA[\n\n      SIP/2.0 180 Ringing"
assert s.count(ring) == 1
trying = ("  <send>\n    <![CDATA[\n\n      SIP/2.0 100 Trying\n      [last_Via:]\n      [last_From:]\n"
          "      [last_To:]\n      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  </send>\n\n")
s = s.replace(ring, trying + ring)
# absorb BYE retransmissions (its 200 lost) for longer than the 1 s of uas.xml
pause = '<pause milliseconds="1000" />'
assert s.count(pause) == 1
s = s.replace(pause, '<pause milliseconds="4000" />')
open(sys.argv[2], "w").write(s)
PY
pt_uas "$E2E_TMP/uas_loss.xml" -m "$CALLS" -timeout 120s
# A call is held 2 s: a lost ACK is recovered by phone B's 200 retransmissions
# (0.5 s, 1.5 s) before the BYE comes, as a UA expects of its peer.
pt_uac "$(pt_scn uac)" -d 2000 -r 2 -m "$CALLS" -timeout 120s
rc=$?
ok=$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")
failed=$(sipp_stat "$E2E_TMP/uac.csv" "FailedCall(C)")
retrans=$(sipp_stat "$E2E_TMP/uac.csv" "Retransmissions(C)")
if [ "$rc" != 0 ]; then
	echo "sipp errors (UAC, then UAS):"
	grep -h -A1 -E "Aborting|Dead call|unexpected|Unexpected" "$E2E_TMP/uac.errors" "$E2E_TMP/uas.errors" 2>/dev/null | head -20
fi
assert_eq "$rc" 0 "sipp UAC exit status with loss (see $E2E_TMP/uac.out)"
assert_eq "$ok" "$CALLS" "every call completed"
assert_eq "${failed:-0}" 0 "no call failed"
dropped=0
for r in natA natB; do
	n=$(nsx $r nft list counter inet pierce_loss sip_dropped | awk '/packets/ { print $2 }')
	dropped=$((dropped + ${n:-0}))
done
echo "SIP datagrams dropped by the routers: $dropped; sipp UAC retransmissions: ${retrans:-?}"
assert_ge "$dropped" 1 "the routers did drop signalling"
wait_pid 30 "$UAS_PID"
wait_for 10 "the relay holding no call after the run" pt_relay_empty
pass "the relay holds no call after the run"
for pid in "$PROXY1_PID" "$PROXY2_PID" "$REDIRECT_PID" "$RELAY_PID"; do
	kill -0 "$pid" 2>/dev/null || fail "a daemon died during the test (pid $pid)"
done
echo "PASS"

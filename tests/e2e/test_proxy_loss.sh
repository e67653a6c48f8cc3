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

pt_uas "$(pt_scn uas)" -m "$CALLS" -timeout 120s
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

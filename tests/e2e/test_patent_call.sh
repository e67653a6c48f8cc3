#!/bin/bash
# The call flow of US 7,257,837 claim 1, end to end (network in
# test_proxy_topology.sh): phone B (sipp UAS, behind natB) registers bob@b.test
# at proxy 2, which publishes it to pierce-redirect; phone A (sipp UAC, behind
# natA) calls sip:bob@b.test through proxy 1. Both phones send RTP.
#
# Checked: the call completes; proxy 1's packets, captured on the public
# segment, follow the claim's order (ng offer, INVITE to the redirect server,
# 302, INVITE to proxy 2 with the relay's SDP, 200 OK, ng answer, 200 OK to A
# with the relay's SDP); the SDP each phone receives names the relay; RTP
# reaches both phones from the relay only and was forwarded by XDP (relay
# counters); after BYE the relay holds no call and no leg.
#
# Environment: BUILD, RELAY_KIND (pierce, the default, or rtpengine: the same
# SIP flow with the userspace reference relay; no XDP counters then),
# CALL_MS (call length, default 3000).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/test_proxy_topology.sh
. tests/e2e/test_proxy_topology.sh
e2e_init

RELAY_KIND=${RELAY_KIND:-pierce}
CALL_MS=${CALL_MS:-3000}
pt_need pierce-proxy pierce-redirect bpf/pass.bpf.o sipp tcpdump
[ "$RELAY_KIND" = pierce ] && pt_need pierce-relay piercectl

pt_net_up nat
pt_redirect_up
pt_relay_up "$RELAY_KIND"
pass "relay ($RELAY_KIND) answers ng on $RELAY:$NG_PORT"
pt_proxies_up --nat-policy auto
pt_capture proxy1 e0 proxy1
pt_capture pub p-relay relay
pt_capture phoneA e0 phoneA
pt_capture phoneB e0 phoneB
pt_register_b
pass "phone B registered bob@b.test at proxy 2; pierce-redirect maps it to proxy 2"

# ---- the call --------------------------------------------------------------------------
pt_uas "$(pt_scn_uas_media)" -m 1 -timeout 40s
pt_uac "$(pt_scn uac)" -set rtp 1 -d "$CALL_MS" -m 1 -timeout 40s &
UAC_JOB=$!
legs_installed() {
	[ "$(pt_relay_stats >/dev/null && nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json legs |
		json_get 'len(d if isinstance(d, list) else d.get("legs", []))')" -ge 2 ]
}
if [ "$RELAY_KIND" = pierce ]; then
	wait_for 10 "the relay's legs installed in the XDP maps during the call" legs_installed
	pass "during the call the relay has both legs in its XDP maps"
fi
wait "$UAC_JOB"
assert_eq "$?" 0 "sipp UAC: call through proxy 1 -> redirect -> proxy 2 -> phone B (see $E2E_TMP/uac.out)"
wait_pid 15 "$UAS_PID"
assert_eq "$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")" 1 "phone A: one successful call"
assert_eq "$(sipp_stat "$E2E_TMP/uas.csv" "SuccessfulCall(C)")" 1 "phone B: one successful call"
pt_capture_stop

# ---- the claim's order, on proxy 1's wire ---------------------------------------------------
pt_flow "$E2E_TMP/proxy1.pcap" --tsv >"$E2E_TMP/flow.tsv"
echo "proxy 1's messages:"
PUB_A_NOTE=" (natA)" PUB_B_NOTE=" (natB)" pt_flow "$E2E_TMP/proxy1.pcap"
# STEP SRC DST WHAT-REGEX [SDP-C]: the first matching line after the last step
LAST=0
step() {
	local n
	n=$(awk -F'\t' -v after="$LAST" -v s="$2" -v d="$3" -v w="$4" -v c="${5:-}" '
		NR > after && $2 == s && $3 == d && $4 ~ w && (c == "" || $5 == c) { print NR; exit }' "$E2E_TMP/flow.tsv")
	[ -n "$n" ] || fail "claim step '$1' ($2 -> $3 $4${5:+, SDP c=$5}) not found after line $LAST of the flow"
	pass "step $1 (line $n)"
	LAST=$n
}
step "INVITE from A (behind NAT) with its private SDP" $NAT_A_PUB $PROXY1 '^INVITE sip:bob@b.test$' 10.0.1.10
step "relay server invite: ng offer" $PROXY1 $RELAY '^ng offer$' 10.0.1.10
step "relay server response: the relay resource" $RELAY $PROXY1 '^ng reply ok$' $RELAY
step "redirect invite" $PROXY1 $REDIRECT '^INVITE sip:bob@b.test$'
step "redirect response: 302 naming proxy 2" $REDIRECT $PROXY1 '^302 .*INVITE'
step "forwarding invite to proxy 2 with the relay's SDP" $PROXY1 $PROXY2 '^INVITE sip:bob@b.test$' $RELAY
step "OK response from proxy 2" $PROXY2 $PROXY1 '^200 .*INVITE'
step "ng answer" $PROXY1 $RELAY '^ng answer$'
step "relay's answer" $RELAY $PROXY1 '^ng reply ok$' $RELAY
step "second OK response to A with the relay's SDP" $PROXY1 $NAT_A_PUB '^200 .*INVITE' $RELAY
step "BYE tears the relay session down: ng delete" $PROXY1 $RELAY '^ng delete$'
stray=$(awk -F'\t' -v r=$RELAY '$4 ~ /^ng / && $2 != r && $3 != r' "$E2E_TMP/flow.tsv" | wc -l)
assert_eq "$stray" 0 "ng messages go to the relay only"
offers=$(awk -F'\t' '$4 == "ng offer"' "$E2E_TMP/flow.tsv" | wc -l)
assert_eq "$offers" 1 "one offer for the call (proxy 2 does not relay twice)"

# ---- what each phone saw ------------------------------------------------------------------
pt_flow "$E2E_TMP/phoneA.pcap" --tsv >"$E2E_TMP/phoneA.tsv"
pt_flow "$E2E_TMP/phoneB.pcap" --tsv >"$E2E_TMP/phoneB.tsv"
a_sdp=$(awk -F'\t' '$4 ~ /^200 .*INVITE/ && $5 != "-" { print $5; exit }' "$E2E_TMP/phoneA.tsv")
assert_eq "$a_sdp" "$RELAY" "the 200 OK phone A receives names the relay"
b_sdp=$(awk -F'\t' '$4 ~ /^INVITE / && $5 != "-" { print $5; exit }' "$E2E_TMP/phoneB.tsv")
assert_eq "$b_sdp" "$RELAY" "the INVITE phone B receives names the relay"
rtp_a=$(pt_rtp_count "$E2E_TMP/phoneA.pcap" $RELAY $PHONE_A)
rtp_b=$(pt_rtp_count "$E2E_TMP/phoneB.pcap" $RELAY $PHONE_B)
assert_ge "$rtp_a" 50 "RTP from the relay reached phone A"
assert_ge "$rtp_b" 50 "RTP from the relay reached phone B"
direct=$("$PYTHON" -c "$_PT_PCAP_PY" "$E2E_TMP/phoneA.pcap" rtp $NG_PORT | awk -v r=$RELAY '$1 != r && $2 == "'$PHONE_A'"' | wc -l)
assert_eq "$direct" 0 "phone A got RTP from no one but the relay"
sent_a=$(pt_rtp_count "$E2E_TMP/relay.pcap" $NAT_A_PUB $RELAY)
sent_b=$(pt_rtp_count "$E2E_TMP/relay.pcap" $NAT_B_PUB $RELAY)
assert_ge "$sent_a" 50 "phone A's RTP reached the relay from natA's public address"
assert_ge "$sent_b" 50 "phone B's RTP reached the relay from natB's public address"

# ---- relay counters and freed ports --------------------------------------------------------
if [ "$RELAY_KIND" = pierce ]; then
	stats=$(pt_relay_stats) || fail "piercectl stats"
	fwd=$(echo "$stats" | json_get 'd["fwd_tx"]["packets"]')
	assert_ge "$fwd" $((rtp_a + rtp_b - 10)) "XDP forwarded (XDP_TX) the RTP both phones received"
	echo "relay counters: $(echo "$stats" | json_get '", ".join("%s=%s" % (k, v["packets"]) for k, v in d.items() if isinstance(v, dict) and v.get("packets"))')"
	no_legs() { [ "$(nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json legs |
		json_get 'len(d if isinstance(d, list) else d.get("legs", []))')" = 0 ]; }
	wait_for 5 "the relay's legs removed after BYE" no_legs
	pass "after BYE the XDP maps hold no leg"
fi
wait_for 5 "the relay listing no call after BYE" pt_relay_empty
pass "after BYE the relay lists no call: its ports are free"
for pid in "$PROXY1_PID" "$PROXY2_PID" "$REDIRECT_PID" "$RELAY_PID"; do
	kill -0 "$pid" 2>/dev/null || fail "a daemon died during the test (pid $pid)"
done
echo "PASS"

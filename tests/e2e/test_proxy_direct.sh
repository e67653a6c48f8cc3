#!/bin/bash
# Both phones on the public segment (no NAT, see test_proxy_topology.sh) and
# --nat-policy auto: the caller's SDP matches its packets' source and its
# callee's registration is not NATed, so no relay is asked. The call goes
# A -> proxy 1 -> pierce-redirect (302) -> proxy 2 -> B with the phones' own
# SDP, and RTP flows directly between them.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/test_proxy_topology.sh
. tests/e2e/test_proxy_topology.sh
e2e_init

pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp tcpdump

pt_net_up public
pt_redirect_up
pt_relay_up pierce # up and healthy: not asking it is the proxies' choice
pt_proxies_up --nat-policy auto
pt_capture proxy1 e0 proxy1
pt_capture proxy2 e0 proxy2
pt_capture phoneA e0 phoneA
pt_register_b

pt_uas "$(pt_scn_uas_media)" -m 1 -timeout 30s
pt_uac "$(pt_scn uac)" -set rtp 1 -d 2000 -m 1 -timeout 30s
assert_eq "$?" 0 "sipp UAC: direct call through both proxies (see $E2E_TMP/uac.out)"
wait_pid 15 "$UAS_PID"
pt_capture_stop

echo "proxy 1's messages:"
pt_flow "$E2E_TMP/proxy1.pcap"
cat <(pt_flow "$E2E_TMP/proxy1.pcap" --tsv) <(pt_flow "$E2E_TMP/proxy2.pcap" --tsv) >"$E2E_TMP/flow.tsv"
assert_eq "$(awk -F'\t' '$4 ~ /^ng (offer|answer)$/' "$E2E_TMP/flow.tsv" | wc -l)" 0 \
	"neither proxy asked the relay for the public call"
grep -qP "\t$REDIRECT\t$PROXY1\t302 " "$E2E_TMP/flow.tsv" || fail "no 302 from pierce-redirect to proxy 1"
pass "proxy 1 still asked pierce-redirect, which named proxy 2"
pt_flow "$E2E_TMP/phoneA.pcap" --tsv >"$E2E_TMP/phoneA.tsv"
a_sdp=$(awk -F'\t' '$4 ~ /^200 .*INVITE/ && $5 != "-" { print $5; exit }' "$E2E_TMP/phoneA.tsv")
assert_eq "$a_sdp" "$PHONE_B" "the 200 OK phone A receives names phone B itself"
direct=$(pt_rtp_count "$E2E_TMP/phoneA.pcap" "$PHONE_B" "$PHONE_A")
assert_ge "$direct" 30 "RTP from phone B reached phone A directly"
assert_eq "$(pt_rtp_count "$E2E_TMP/phoneA.pcap" $RELAY "$PHONE_A")" 0 "no RTP came through the relay"
fwd=$(pt_relay_stats | json_get 'd["fwd_tx"]["packets"]')
assert_eq "$fwd" 0 "the relay's XDP program forwarded nothing"
echo "PASS"

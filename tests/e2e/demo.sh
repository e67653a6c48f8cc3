#!/bin/bash
# `make demo`: one relayed call between two phones behind NATs, the method of
# US 7,257,837 claim 1, on network namespaces (see test_proxy_topology.sh).
# Brings the network up, places one call with RTP both ways, prints the
# signalling as proxy 1 saw it (with the claim's steps named), the media and
# the relay's XDP counters, then tears everything down. Needs root.
# Environment: BUILD (default build), CALL_MS (default 2000).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/test_proxy_topology.sh
. tests/e2e/test_proxy_topology.sh
CALL_MS=${CALL_MS:-2000}
T0=$SECONDS
e2e_init >/dev/null
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp tcpdump

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "network"
pt_net_up nat
cat <<EOF
  phone A $PHONE_A  behind natA ($NAT_A_PUB)      phone B $PHONE_B  behind natB ($NAT_B_PUB)
  public segment 203.0.113.0/24: proxy 1 $PROXY1 (a.test), proxy 2 $PROXY2 (b.test),
  pierce-redirect $REDIRECT, pierce-relay $RELAY (XDP on its interface, XDP_TX)
EOF
pt_redirect_up
pt_relay_up pierce
pt_proxies_up --nat-policy auto
pt_capture proxy1 e0 proxy1
pt_capture pub p-relay relay
pt_register_b
echo "  phone B registered bob@b.test at proxy 2; proxy 2 published it to pierce-redirect"

say "call: phone A (sipp) calls sip:bob@b.test through proxy 1, ${CALL_MS} ms of RTP both ways"
pt_uas "$(pt_scn_uas_media)" -m 1 -timeout 30s
if ! pt_uac "$(pt_scn uac)" -set rtp 1 -d "$CALL_MS" -m 1 -timeout 30s; then
	tail -20 "$E2E_TMP/uac.out" >&2
	fail "the call did not complete"
fi
wait_pid 10 "$UAS_PID"
echo "  completed: INVITE, 200 OK, ACK, media, BYE, 200 OK"
stats=$(pt_relay_stats) || fail "piercectl stats"
wait_for 5 "the relay freeing the call's ports" pt_relay_empty
pt_capture_stop

say "signalling at proxy 1 (captured on the public segment)"
PUB_A_NOTE=" (natA)" PUB_B_NOTE=" (natB)" pt_flow "$E2E_TMP/proxy1.pcap" |
	grep -vE 'REGISTER|100 Trying|ng (query|list)|ng reply ok *$' | awk '
	/phone A.*-> proxy 1 .*INVITE/        { n = "1-2  INVITE; its source differs from SDP c=: A is behind a NAT" }
	/-> relay .*ng offer/                  { n = "3    relay server invite (ng offer)" }
	/relay .*-> proxy 1 .*ng reply ok/ && !o++ { n = "4    relay server response: relay address and port" }
	/-> pierce-redirect .*INVITE/          { n = "5    redirect invite" }
	/302/                                  { n = "6    redirect response: Contact = proxy 2" }
	/-> proxy 2 .*INVITE/                  { n = "7    forwarding invite, SDP = relay" }
	/proxy 2 .*200 OK \(1 INVITE\)/        { n = "8    OK response from proxy 2" }
	/ng answer/                            { n = "     (ng answer: the relay installs both legs in its XDP maps)" }
	/-> phone A .*200 OK \(1 INVITE\)/     { n = "9    second OK to A, SDP = relay" }
	/ng delete/                            { n = "     (BYE: ng delete frees the relay ports)" }
	{ print $0; if (n) printf "%11s<- %s\n", "", (n ~ /^ *\(/ ? substr(n, 6) : "claim " n); n = "" }'

say "media through the relay (captured at its port on the public segment)"
a2r=$(pt_rtp_count "$E2E_TMP/relay.pcap" $NAT_A_PUB $RELAY)
r2b=$(pt_rtp_count "$E2E_TMP/relay.pcap" $RELAY $NAT_B_PUB)
b2r=$(pt_rtp_count "$E2E_TMP/relay.pcap" $NAT_B_PUB $RELAY)
r2a=$(pt_rtp_count "$E2E_TMP/relay.pcap" $RELAY $NAT_A_PUB)
printf '  phone A -> relay %5d RTP packets    relay -> phone B %5d\n' "$a2r" "$r2b"
printf '  phone B -> relay %5d RTP packets    relay -> phone A %5d\n' "$b2r" "$r2a"

say "pierce-relay XDP counters (piercectl --json stats)"
echo "$stats" | json_get '"\n".join("  %-20s %6d packets %8d bytes" % (k, v["packets"], v["bytes"])
	for k, v in d.items() if isinstance(v, dict) and v.get("packets"))'
echo "  (drop_inactive: packets for a relay port with no call, e.g. phone B still sending after the BYE)"
fwd=$(echo "$stats" | json_get 'd["fwd_tx"]["packets"]')
echo "  after BYE the relay lists $(pt_relay_calls) calls"
[ "${fwd:-0}" -gt 0 ] && [ "$r2a" -gt 0 ] && [ "$r2b" -gt 0 ] || fail "no media was relayed"

say "done in $((SECONDS - T0)) s; tearing down"

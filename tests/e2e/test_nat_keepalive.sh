#!/bin/bash
# A phone registered behind a NAT stays reachable while it is registered.
# natB is a plain Linux masquerade whose UDP binding for phone B's REGISTER
# lives 30 s (nf_conntrack_udp_timeout), and phone B (sipp reg.xml) sends
# nothing after it: pierce-proxy's CRLF keep-alives towards NATed contacts
# (--nat-keepalive, 15 s by default) keep the binding open, so a call 35 s
# after the REGISTER reaches phone B. Without them proxy 2's INVITE is
# dropped at natB and phone A gets 408 after 32 s.
# Also: a bad --nat-keepalive value is refused with exit status 2.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

for bad in -1 3601 15s ""; do
	timeout 5 "$BUILD/pierce-proxy" --listen 127.0.0.1:1 --domain b.test --redirect 127.0.0.1 --nat-keepalive "$bad" \
		>"$E2E_TMP/bad_keepalive.out" 2>&1
	assert_eq "$?" 2 "--nat-keepalive '$bad' refused with exit status 2"
done

hp_stack_up
assert_eq "$(nsx natB sysctl -n net.netfilter.nf_conntrack_udp_timeout)" 30 "natB forgets an idle UDP binding after 30 s"
echo "waiting 35 s after phone B's REGISTER"
sleep 35
assert_ge "$(hp_proxy_metric 2 pierce_proxy_nat_keepalives_total)" 2 "proxy 2 sent keep-alives to phone B"
pt_uas "$(pt_scn uas)" -m 1 -timeout 60s
pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 50s
assert_eq "$?" 0 "a call to phone B 35 s after its REGISTER (see $E2E_TMP/uac.out)"
hp_daemons_alive
echo "PASS"

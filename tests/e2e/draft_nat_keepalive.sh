#!/bin/bash
# Draft (fails today): a phone registered behind a NAT must stay reachable
# while it is registered. natB is a plain Linux masquerade whose UDP binding
# for phone B's REGISTER lives 30 s (nf_conntrack_udp_timeout); nothing in
# pierce-proxy keeps it open (no OPTIONS or CRLF keepalive towards NATed
# contacts, and no shorter Expires forced on them), and phone B (sipp
# reg.xml) sends nothing either. A call 35 s after the REGISTER never reaches
# phone B: proxy 2's INVITE is dropped at natB, and phone A gets 408 after
# 32 s. Also: test_fault_redirect.sh lengthens the NAT timeouts because a
# 503 sent 32 s after the INVITE (Timer B on the redirect query) reaches a
# caller whose own binding expired; a redirect query bounded to a few
# seconds would avoid that.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp
hp_stack_up
echo "waiting 35 s after phone B's REGISTER"
sleep 35
pt_uas "$(pt_scn uas)" -m 1 -timeout 60s
pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 50s
assert_eq "$?" 0 "a call to phone B 35 s after its REGISTER (see $E2E_TMP/uac.out)"
echo "PASS"

#!/bin/bash
# An exhausted relay port range (patent topology, see test_proxy_topology.sh):
# pierce-relay runs with --ports 30000-30003, room for exactly one call (an
# RTP/RTCP pair for each side of one audio stream).
#
# Checked: call 1 holds all 4 ports; call 2, made while call 1 is up, is
# refused by the relay (ng error) and phone A gets 503 from proxy 1, with no
# port booked for it; after call 1's BYE every port is free; call 3 then
# completes; at the end 0 sessions, 0 ports in use, 0 legs.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

hp_stack_up --ports 30000-30003 --ng-allow 203.0.113.0/24 --timeout 20 --delete-delay 0
assert_eq "$(hp_relay_metric pierce_relay_ports_total)" 4 "the relay has 4 ports"

pt_uas "$(pt_scn uas)" -m 2 -timeout 40s
pt_uac "$(pt_scn uac)" -d 5000 -m 1 -timeout 30s &
CALL1=$!
full() { [ "$(hp_relay_metric pierce_relay_ports_in_use)" = 4 ] && [ "$(hp_relay_legs)" -ge 2 ]; }
wait_for 10 "call 1 holding all 4 relay ports" full
pass "call 1 is up and holds every relay port"
errs0=$(hp_proxy_metric 1 pierce_proxy_ng_errors_total)
hp_uac_on phoneA $PHONE_A 5070 6100 uac2 "$(hp_scn_refused 503)" -m 1 -timeout 20s
assert_eq "$?" 0 "call 2 during call 1: phone A gets 503 (see $E2E_TMP/uac2.out)"
assert_ge "$(($(hp_proxy_metric 1 pierce_proxy_ng_errors_total) - errs0))" 1 "proxy 1 got the relay's ng error"
assert_eq "$(hp_relay_metric pierce_relay_ports_in_use)" 4 "the refused call booked no port"
assert_eq "$(hp_relay_metric pierce_relay_sessions)" 1 "the refused call left no session"
wait "$CALL1"
assert_eq "$?" 0 "call 1 completed (see $E2E_TMP/uac.out)"
wait_for 5 "every port free after call 1's BYE" hp_relay_idle
pass "after call 1's BYE: 0 sessions, 0 ports in use, 0 legs"
pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 20s
assert_eq "$?" 0 "call 3 completes once the ports are free (see $E2E_TMP/uac.out)"
wait_pid 10 "$UAS_PID"
assert_eq "$(sipp_stat "$E2E_TMP/uas.csv" "SuccessfulCall(C)")" 2 "phone B took calls 1 and 3"
wait_for 5 "the relay idle at the end" hp_relay_idle
pass "at the end: 0 sessions, 0 ports in use, 0 legs"
hp_daemons_alive
echo "PASS"

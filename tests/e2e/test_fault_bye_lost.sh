#!/bin/bash
# A call whose BYE never arrives (patent topology, see
# test_proxy_topology.sh): natA drops every BYE phone A sends (nftables,
# "BYE" at the start of the UDP payload), so neither proxy nor the relay
# hears that the call ended. Both phones stop their media.
#
# Checked: the relay's media --timeout (3 s) ends the session, counted as
# timeout and logged with its Call-ID; its ports and legs are freed; proxy 1,
# whose periodic ng query now finds the session gone, counts a media timeout
# and sends a BYE to phone B, which ends its side of the call.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

RELAY_TIMEOUT=3
hp_stack_up --ports 30000-30999 --ng-allow 203.0.113.0/24 --timeout $RELAY_TIMEOUT \
	--silent-timeout 60 --delete-delay 0
# 0x425945 = "BYE", the first three bytes after the UDP header
hp_drop natA pierce_bye "udp dport 5060 @th,64,24 0x425945"

pt_uas "$(pt_scn_uas_media)" -m 1 -timeout 60s
pt_uac "$(pt_scn uac)" -set rtp 1 -d 2000 -m 1 -timeout 30s -max_non_invite_retrans 3 &
UAC_JOB=$!
bye_dropped() { [ "$(hp_dropped natA pierce_bye)" -ge 1 ]; }
wait_for 10 "natA dropping phone A's BYE" bye_dropped
assert_eq "$(hp_relay_metric pierce_relay_sessions)" 1 "the relay still holds the call after the lost BYE"
wait "$UAC_JOB"
assert_eq "$?" 1 "phone A's BYE got no answer: its sipp counts the call failed"
t0=$SECONDS
timed_out() { [ "$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="timeout"}')" = 1 ]; }
wait_for 30 "the relay's media timeout ending the call" timed_out
pass "the relay ended the call by media timeout $((SECONDS - t0)) s after phone A gave up on its BYE"
wait_for 5 "the relay idle (no session, port or leg)" hp_relay_idle
pass "the timed-out call's ports and legs are freed"
assert_eq "$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="deleted"}')" 0 "no ng delete ended it"
assert_contains "$(cat "$RELAY_LOG")" "timeout after" "the relay logged the timeout"
proxy_noticed() { [ "$(hp_proxy_metric 1 pierce_proxy_media_timeouts_total)" -ge 1 ]; }
wait_for 20 "proxy 1 counting the media timeout" proxy_noticed
pass "proxy 1 noticed the session gone (media timeout)"
wait_pid 30 "$UAS_PID"
assert_eq "$(sipp_stat "$E2E_TMP/uas.csv" "SuccessfulCall(C)")" 1 "phone B got a BYE from proxy 1 and ended the call"
hp_daemons_alive
echo "PASS"

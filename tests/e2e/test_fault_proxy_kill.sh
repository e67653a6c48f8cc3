#!/bin/bash
# kill -9 of pierce-proxy (proxy 1, the caller's proxy that owns the relay
# session) in the middle of a relayed call, then a restart with the same
# arguments (patent topology, see test_proxy_topology.sh).
#
# What the design gives: in-dialog requests are routed from their Route
# headers (Record-Route) and Request-URI, so the restarted proxy still
# forwards the caller's BYE and its 200 OK. Its call table was in memory,
# though, so it sends no ng delete: the relay session is reaped by the relay's
# media --timeout once RTP stops, and its ports freed. The test checks that
# outcome and prints which of the two ended the session.
#
# Checked: the call completes on both phones (BYE answered 200 end to end);
# the BYE crossed the restarted proxy; the relay ends with no session, no
# port in use and no leg within --timeout plus a margin; the restarted proxy
# then relays a new call, which ends with an ng delete.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp tcpdump

RELAY_TIMEOUT=4
hp_stack_up --ports 30000-30999 --ng-allow 203.0.113.0/24 --timeout $RELAY_TIMEOUT \
	--silent-timeout 30 --delete-delay 0
pt_capture proxy1 e0 proxy1

pt_uas "$(pt_scn_uas_media)" -m 1 -timeout 40s
pt_uac "$(pt_scn uac)" -set rtp 1 -d 6000 -m 1 -timeout 40s &
UAC_JOB=$!
legs_up() { [ "$(hp_relay_legs)" -ge 2 ]; }
wait_for 10 "the call's legs in the relay's maps" legs_up
pass "call up and relayed ($(hp_relay_legs) legs)"
kill -KILL "$PROXY1_PID" || fail "kill -9 proxy 1"
wait "$PROXY1_PID" 2>/dev/null
pass "proxy 1 killed with SIGKILL mid-call"
sleep 1
hp_proxy_start 1 --nat-policy auto
pass "proxy 1 restarted"

wait "$UAC_JOB"
assert_eq "$?" 0 "phone A's call completed, its BYE answered 200 across the restart (see $E2E_TMP/uac.out)"
wait_pid 20 "$UAS_PID"
assert_eq "$(sipp_stat "$E2E_TMP/uas.csv" "SuccessfulCall(C)")" 1 "phone B got the BYE and ended the call"
t_bye=$(date +%s)
wait_for $((RELAY_TIMEOUT + 15)) "the relay idle after the call (no session, port or leg)" hp_relay_idle
pass "relay idle $(($(date +%s) - t_bye)) s after the BYE: 0 sessions, 0 ports in use, 0 legs"
deleted=$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="deleted"}')
timedout=$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="timeout"}')
echo "relay session ended by: ng delete $deleted, media timeout $timedout"
assert_eq "$((deleted + timedout))" 1 "the session ended once (delete or media timeout)"

# ---- the restarted proxy relays new calls ---------------------------------------------
pt_uas "$(pt_scn uas)" -m 1 -timeout 20s
pt_uac "$(pt_scn uac)" -d 500 -m 1 -timeout 20s
assert_eq "$?" 0 "a new call through the restarted proxy 1 (see $E2E_TMP/uac.out)"
wait_pid 10 "$UAS_PID"
wait_for 5 "the relay idle after the second call" hp_relay_idle
assert_eq "$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="deleted"}')" $((deleted + 1)) \
	"the second call's session ended by ng delete"
pt_capture_stop
pt_flow "$E2E_TMP/proxy1.pcap" --tsv >"$E2E_TMP/flow.tsv"
byes=$(awk -F'\t' -v p=$PROXY1 -v q=$PROXY2 '$2 == p && $3 == q && $4 ~ /^BYE /' "$E2E_TMP/flow.tsv" | wc -l)
assert_ge "$byes" 2 "the restarted proxy 1 forwarded both calls' BYEs to proxy 2"
hp_daemons_alive
echo "PASS"

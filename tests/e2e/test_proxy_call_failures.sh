#!/bin/bash
# Calls that do not get answered, through the patent topology (both phones
# behind NAT, see test_proxy_topology.sh), each with a check that the relay
# is left holding nothing:
#   CANCEL while B rings   A gets 487; proxy 1 deletes the relay session
#   busy callee            B answers 486; A gets 486; session deleted
#   unknown callee         pierce-redirect has no binding: A gets 404
#   relay down             no ng answer: A gets 503, nothing forwarded
# Environment: BUILD, RELAY_KIND (pierce, the default, or rtpengine).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/test_proxy_topology.sh
. tests/e2e/test_proxy_topology.sh
e2e_init

RELAY_KIND=${RELAY_KIND:-pierce}
pt_need pierce-proxy pierce-redirect bpf/pass.bpf.o sipp tcpdump
[ "$RELAY_KIND" = pierce ] && pt_need pierce-relay

pt_net_up nat
pt_redirect_up
pt_relay_up "$RELAY_KIND"
pt_proxies_up --nat-policy auto
pt_capture proxy1 e0 proxy1
pt_register_b

# WHAT: the sipp UAC status must be 0 and the relay must end with no call
call_ends_clean() {
	assert_eq "$1" 0 "$2: sipp UAC saw the expected final response (see $E2E_TMP/uac.out)"
	wait_for 5 "$2: the relay holding no call" pt_relay_empty
	pass "$2: the relay holds no call afterwards"
}

# ---- CANCEL before the answer ------------------------------------------------------------
pt_uas "$(pt_scn uas_ring)" -m 1 -timeout 20s
pt_uac "$(pt_scn uac_cancel)" -m 1 -timeout 20s
call_ends_clean $? "CANCEL while ringing -> 487"
wait_pid 10 "$UAS_PID"
assert_eq "$(sipp_stat "$E2E_TMP/uas.csv" "SuccessfulCall(C)")" 1 "phone B saw the CANCEL and sent 487"

# ---- busy ---------------------------------------------------------------------------------
pt_uas "$(pt_scn uas_busy)" -m 1 -timeout 20s
pt_uac "$(pt_scn uac_busy)" -m 1 -timeout 20s
call_ends_clean $? "busy callee -> 486"
wait_pid 10 "$UAS_PID"

# ---- unknown callee -------------------------------------------------------------------------
PT_CALLEE=nobody pt_uac "$(pt_scn uac_notfound)" -m 1 -timeout 20s
call_ends_clean $? "unknown callee -> 404"

pt_capture_stop
pt_flow "$E2E_TMP/proxy1.pcap" --tsv >"$E2E_TMP/flow.tsv"
offers=$(awk -F'\t' '$4 == "ng offer"' "$E2E_TMP/flow.tsv" | wc -l)
deletes=$(awk -F'\t' '$4 == "ng delete"' "$E2E_TMP/flow.tsv" | wc -l)
assert_eq "$offers" 3 "an ng offer for each of the three calls"
assert_ge "$deletes" 3 "an ng delete for each of them"
grep -qP "\t$PROXY1\t$NAT_A_PUB\t487 " "$E2E_TMP/flow.tsv" || fail "no 487 from proxy 1 to phone A"
grep -qP "\t$PROXY1\t$PROXY2\tCANCEL " "$E2E_TMP/flow.tsv" || fail "proxy 1 did not CANCEL towards proxy 2"
pass "proxy 1 passed the CANCEL on to proxy 2 and the 487 back to A"

# ---- relay down -------------------------------------------------------------------------------
[ -n "$RELAY_PID" ] && stop_pid "$RELAY_PID"
sed 's/response="404"/response="503"/' "$(pt_scn uac_notfound)" >"$E2E_TMP/uac_503.xml"
pt_uac "$E2E_TMP/uac_503.xml" -m 1 -timeout 20s
assert_eq "$?" 0 "relay down -> 503 (see $E2E_TMP/uac.out)"
m=$(pt_metric proxy1 http://127.0.0.1:9091/metrics pierce_proxy_relay_unavailable_total)
assert_ge "${m:-0}" 1 "proxy 1 counts the unavailable relay"
for pid in "$PROXY1_PID" "$PROXY2_PID" "$REDIRECT_PID"; do
	kill -0 "$pid" 2>/dev/null || fail "a daemon died during the test (pid $pid)"
done
echo "PASS"

#!/bin/bash
# pierce-redirect unreachable, killed and restarted (patent topology, see
# test_proxy_topology.sh); proxy 1 asks it where bob@b.test is served.
#
#   unreachable  nftables drops SIP to pierce-redirect (it still runs): proxy
#                1 gives up after its redirect query timeout
#                (--redirect-timeout, 4 s by default, not Timer B's 32 s)
#                and answers 503; the relay session it had booked is deleted
#   kill -9      the same while no pierce-redirect runs: 503, relay emptied
#   restart      the location store is in memory: once phone B registers
#                again, calls complete
# (That the proxies re-publish their bindings to a restarted redirect server
# by themselves is checked by test_redirect_republish.sh.)
#
# Both NATs keep the kernel's default UDP conntrack timeout (30 s): the 503
# must come while natA still holds phone A's binding (so within a few
# seconds, not after Timer B), and proxy 2's keep-alives (--nat-keepalive)
# hold natB's binding for phone B between the calls.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

hp_stack_up
assert_eq "$(nsx natA sysctl -n net.netfilter.nf_conntrack_udp_timeout)" 30 "natA forgets an idle UDP binding after 30 s"

call_ok() { # DESC
	pt_uas "$(pt_scn uas)" -m 1 -timeout 20s
	pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 20s
	assert_eq "$?" 0 "$1 (see $E2E_TMP/uac.out)"
	wait_pid 10 "$UAS_PID"
	wait_for 5 "the relay idle after the call" hp_relay_idle
}
call_refused() { # CODE DESC
	local t0=$SECONDS
	pt_uac "$(hp_scn_refused "$1")" -m 1 -timeout 45s
	assert_eq "$?" 0 "$2: phone A gets $1 after $((SECONDS - t0)) s (see $E2E_TMP/uac.out)"
	assert_le "$((SECONDS - t0))" 10 "$2: the $1 comes after the redirect query timeout, not Timer B"
	wait_for 5 "the relay idle after the refused call" hp_relay_idle
	pass "$2: the relay holds no session, port or leg"
}

call_ok "a call before any fault"

# ---- unreachable: the daemon runs, its packets are dropped ------------------------------
hp_drop redirect pierce_unreach "udp dport 5060"
call_refused 503 "pierce-redirect unreachable"
assert_ge "$(hp_dropped redirect pierce_unreach)" 1 "the INVITEs to pierce-redirect were dropped"
assert_ge "$(hp_proxy_metric 1 pierce_proxy_redirect_failures_total)" 1 "proxy 1 counts the redirect failure"
hp_undrop redirect pierce_unreach
call_ok "a call once pierce-redirect is reachable again"

# ---- kill -9 --------------------------------------------------------------------------------
kill -KILL "$REDIRECT_PID" || fail "kill -9 pierce-redirect"
wait "$REDIRECT_PID" 2>/dev/null
pass "pierce-redirect killed with SIGKILL"
call_refused 503 "pierce-redirect down"

# ---- restart --------------------------------------------------------------------------------
pt_redirect_up
pass "pierce-redirect restarted"
pt_register_b
pass "phone B registered again; proxy 2 published bob@b.test to the new pierce-redirect"
call_ok "a call after the restart"
hp_daemons_alive
echo "PASS"

#!/bin/bash
# Draft (fails today): after pierce-redirect restarts, proxy 2 should
# publish its registered users to it again by itself, so calls to bob@b.test
# work without phone B registering again. pierce-proxy publishes a binding
# only when a REGISTER arrives or a binding expires (user/proxy/core.c,
# publish() callers), and the redirect's location store is in memory, so the
# call after the restart gets 404 until phone B's next REGISTER (3600 s in
# reg.xml).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp
hp_stack_up
kill -KILL "$REDIRECT_PID" || fail "kill -9 pierce-redirect"
wait "$REDIRECT_PID" 2>/dev/null
pt_redirect_up
pass "pierce-redirect restarted"
republished() { pt_redirect_query sip:bob@b.test | grep -q "$PROXY2"; }
wait_for 20 "proxy 2 publishing bob@b.test to the restarted pierce-redirect by itself" republished
pt_uas "$(pt_scn uas)" -m 1 -timeout 20s
pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 20s
assert_eq "$?" 0 "a call after the restart, phone B not registering again"
echo "PASS"

#!/bin/bash
# After pierce-redirect restarts (its location store is in memory, so it
# comes back empty), proxy 2 publishes its registered users to it again by
# itself (--republish SEC: every binding at least that often), so calls to
# bob@b.test work without phone B registering again (3600 s in reg.xml).
# Also: a bad --republish value is refused with exit status 2.
# Environment: BUILD.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

timeout 5 "$BUILD/pierce-proxy" --listen 127.0.0.1:1 --domain b.test --redirect 127.0.0.1 --republish -1 \
	>"$E2E_TMP/bad_republish.out" 2>&1
assert_eq "$?" 2 "--republish -1 refused with exit status 2"
assert_contains "$(cat "$E2E_TMP/bad_republish.out")" "--republish" "the error names the option"

HP_PROXY_ARGS=(--republish 5)
hp_stack_up
sent0=$(hp_proxy_metric 2 pierce_proxy_publish_sent_total)
kill -KILL "$REDIRECT_PID" || fail "kill -9 pierce-redirect"
wait "$REDIRECT_PID" 2>/dev/null
pt_redirect_up
pass "pierce-redirect restarted"
republished() { pt_redirect_query sip:bob@b.test | grep -q "$PROXY2"; }
wait_for 20 "proxy 2 publishing bob@b.test to the restarted pierce-redirect by itself" republished
assert_ge "$(hp_proxy_metric 2 pierce_proxy_publish_sent_total)" $((sent0 + 1)) "proxy 2 counts the publications"
pt_uas "$(pt_scn uas)" -m 1 -timeout 20s
pt_uac "$(pt_scn uac)" -d 300 -m 1 -timeout 20s
assert_eq "$?" 0 "a call after the restart, phone B not registering again (see $E2E_TMP/uac.out)"
hp_daemons_alive
echo "PASS"

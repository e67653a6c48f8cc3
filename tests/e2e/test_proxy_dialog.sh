#!/bin/bash
# One pierce-proxy and one pierce-redirect (granting at most 4 s) on loopback
# in a namespace of their own; test_proxy_dialog.py plays phone A, phone B and
# the ng relay and checks:
#   re-publication before the redirect server's granted Expires runs out
#   timer G: a final non-2xx INVITE response resent to A until its ACK
#   the ng answer's received-from is B's own (observed) address
#   B's 2xx resent more than 32 s after setup reaches A with the relay's SDP
#   media-timeout BYEs carry CSeq one above the last seen in their direction
#   SIGHUP: a new relay list and rate limit take effect
# Environment: BUILD, QUICK=1 skips the 34 s wait of the late 2xx check.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
e2e_init

for b in pierce-proxy pierce-redirect; do
	[ -x "$BUILD/$b" ] || fail "$BUILD/$b not built"
done
ns_create lo
nsx lo ip addr add 127.0.0.2/8 dev lo 2>/dev/null
conf=$E2E_TMP/proxy.conf
printf 'relay = udp:127.0.0.4:2223\nnat-policy = auto\n' >"$conf"
spawn lo "$E2E_TMP/redirect.log" "$BUILD/pierce-redirect" --listen 127.0.0.3:5060 --registrar 127.0.0.2 \
	--max-expires 4 --default-expires 4 -v
spawn lo "$E2E_TMP/proxy.log" "$BUILD/pierce-proxy" --config "$conf" --listen 127.0.0.2:5060 --domain b.test \
	--redirect 127.0.0.3:5060 --metrics 127.0.0.2:9091 -v
PROXY_PID=$SPAWNED_PID
wait_for 5 "pierce-proxy listening" bash -c "ip netns exec $(ns lo) ss -Hlun 'sport = :5060' | grep -q 127.0.0.2"
nsx lo "$PYTHON" tests/e2e/test_proxy_dialog.py "$PROXY_PID" "$conf" "$([ "${QUICK:-0}" = 1 ] && echo 0 || echo 1)" |
	tee "$E2E_TMP/dialog.out"
rc=${PIPESTATUS[0]}
grep -q "SIGHUP: reloaded" "$E2E_TMP/proxy.log" || fail "pierce-proxy did not log the reload"
kill -0 "$PROXY_PID" || fail "pierce-proxy died (see $E2E_TMP/proxy.log)"
[ "$rc" = 0 ] || { tail -30 "$E2E_TMP/proxy.log"; fail "$rc check(s) failed"; }
echo "PASS"

#!/bin/bash
# Interop with the operators' stack: Kamailio 5.6 (registrar, nathelper,
# rtpengine module, unmodified) drives a media relay over ng; sipp phones call
# through it. RELAY=pierce (the default) uses $BUILD/pierce-relay with XDP on
# the server's interface; RELAY=rtpengine uses Debian's rtpengine (userspace),
# which checks the harness itself.
#
#   srv namespace: Kamailio on 10.99.0.1:5060, the relay on 10.99.0.1 (ng 2223)
#   ph  namespace: UAC 10.99.0.11:5080 (media 6000), UAS 10.99.0.12:5070
#                  (media 7000, registered as "bob", echoes RTP back)
#
# Checks: calls set up and end (sipp's counts), RTP flows both ways through
# the relay (nftables counters at the phones; for pierce its XDP counters
# too), and after BYE, a busy callee (486), a CANCEL while ringing and an
# unknown callee (404) the relay is idle again: no session and no port in use
# in ng statistics (and for pierce in ng list and /metrics as well).
set -uo pipefail
cd "$(dirname "$0")/../.."
RELAY=${RELAY:-pierce}
. tests/e2e/lib.sh
. tests/e2e/sipp/sipp.sh

SRV=10.99.0.1 UAC=10.99.0.11 UAS=10.99.0.12
NG=$SRV:2223
CALLS=3
CALL_MS=4000
NGQ=tools/bench/peers/ngquery.py

command -v kamailio >/dev/null || fail "kamailio missing (apt-get install kamailio)"
command -v sipp >/dev/null || fail "sipp missing (apt-get install sip-tester)"
case $RELAY in
rtpengine) command -v rtpengine >/dev/null || fail "rtpengine missing (apt-get install rtpengine-daemon)" ;;
pierce) [ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: build first (make BUILD=$BUILD)" ;;
*) fail "RELAY must be pierce or rtpengine, not $RELAY" ;;
esac

e2e_init
ns_create srv ph
veth_create srv eth0 $SRV/24 ph eth0 $UAC/24
ip -n "$(ns ph)" addr add $UAS/24 dev eth0 || fail "second phone address"

# RTP that reached each phone from the relay, counted before any socket
nsx ph nft -f - <<EOF || fail "nftables counters in ph"
table inet pierce_cnt {
	counter to_uac {}
	counter to_uas {}
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $SRV udp dport 6000 counter name to_uac
		ip saddr $SRV udp dport 7000 counter name to_uas
	}
}
EOF
nft_packets() { # $1 = counter name
	nsx ph nft -j list counter inet pierce_cnt "$1" |
		"$PYTHON" -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}

# ---- the relay -----------------------------------------------------------
# Both relays free a deleted call's ports at once (delete delay 0), so "idle"
# can be checked right after each call ends.
ng_field() { nsx srv "$PYTHON" $NGQ $NG statistics --field "statistics.$1"; }
case $RELAY in
rtpengine)
	spawn srv "$E2E_TMP/relay.log" tools/bench/peers/rtpengine.sh "$E2E_TMP/rte" $SRV 2223 30000 30999
	RELAY_PID=$SPAWNED_PID
	relay_sessions() { ng_field currentstatistics.sessionstotal; }
	# prints "0" when the relay holds no session and no port
	relay_idle() {
		local a b
		a=$(relay_sessions) && b=$(ng_field interfaces.0.ports.used) && echo $((a + b))
	}
	relay_ng_errors() { ng_field controlstatistics.proxies.0.errorcount; }
	relay_packets() { ng_field totalstatistics.relayedpackets; }
	;;
pierce)
	xdp_pass_attach ph eth0
	PIN=$(bpffs_dir relay)/pierce
	spawn srv "$E2E_TMP/relay.log" "$BUILD/pierce-relay" --interface eth0 --address $SRV \
		--ng $NG --ng-allow $SRV/32 --ports 30000-30999 --delete-delay 0 --pin-dir "$PIN" \
		--metrics 127.0.0.1:9812
	RELAY_PID=$SPAWNED_PID
	relay_sessions() { ng_field currentstatistics.sessionstotal; }
	metric() { # NAME: its value in pierce-relay's /metrics
		nsx srv "$PYTHON" -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://127.0.0.1:9812/metrics", timeout=2).read().decode().splitlines():
    if l.split(" ")[0] == sys.argv[1]: print(l.split(" ")[1])' "$1"
	}
	# prints "0" when no view of the relay shows a session or a booked port:
	# ng statistics (sessions, ports), ng list, /metrics (sessions, ports)
	relay_idle() {
		local v sum=0
		for v in "$(ng_field currentstatistics.sessionstotal)" "$(ng_field currentstatistics.portsinuse)" \
			"$(nsx srv "$PYTHON" $NGQ $NG list --len calls)" "$(metric pierce_relay_sessions)" \
			"$(metric pierce_relay_ports_in_use)"; do
			[[ "$v" =~ ^[0-9]+$ ]] || { echo "unreadable"; return 1; }
			sum=$((sum + v))
		done
		echo "$sum"
	}
	relay_ng_errors() { ng_field controlstatistics.totalerrorcount; }
	# packets the XDP program sent back out (XDP_TX), from the pinned counters
	relay_packets() {
		nsx srv "$BUILD/piercectl" --pin-dir "$PIN" --json stats |
			"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["fwd_tx"]["packets"])'
	}
	;;
esac
wait_for 10 "$RELAY answers ng ping on $NG" nsx srv "$PYTHON" $NGQ $NG ping
kill -0 "$RELAY_PID" || fail "$RELAY exited: $(tail -5 "$E2E_TMP/relay.log")"
pass "$RELAY answers ng ping"

# ---- Kamailio --------------------------------------------------------------
spawn srv "$E2E_TMP/kamailio.log" tools/bench/peers/kamailio.sh "$E2E_TMP/kam" $SRV "udp:$NG" 2
KAM_PID=$SPAWNED_PID
wait_for 15 "Kamailio listening on $SRV:5060" \
	bash -c "ip netns exec $(ns srv) ss -Hlun 'sport = :5060' | grep -q 5060"
kill -0 "$KAM_PID" || fail "Kamailio exited: $(tail -5 "$E2E_TMP/kamailio.log")"
pass "Kamailio up"

# ---- sipp ------------------------------------------------------------------
# run_sipp TAG SECONDS ARGS...: foreground in ph; prints nothing, returns sipp's status
run_sipp() {
	local tag=$1 secs=$2
	shift 2
	# shellcheck disable=SC2046
	(cd "$E2E_TMP" && timeout $((secs + 10)) ip netns exec "$(ns ph)" sipp "$@" \
		$(sipp_common_args "$E2E_TMP" "$tag") -timeout "${secs}s" -timeout_error \
		>"$E2E_TMP/$tag.out" 2>&1)
}
# start_uas TAG SCENARIO CALLS: a UAS on the registered address, in the background
start_uas() {
	local tag=$1 scn=$2 n=$3
	# shellcheck disable=SC2046
	spawn ph "$E2E_TMP/$tag.out" sipp -sf "$(sipp_scn "$scn")" -i $UAS -p 5070 -mi $UAS -mp 7000 \
		-rtp_echo -m "$n" $(sipp_common_args "$E2E_TMP" "$tag") -timeout 60s
	UAS_PID=$SPAWNED_PID
	wait_for 5 "UAS $scn bound to $UAS:5070" \
		bash -c "ip netns exec $(ns ph) ss -Hlun 'sport = :5070' | grep -q 5070"
}
expect_calls() { # TAG WANT_OK
	local ok failed
	ok=$(sipp_stat "$E2E_TMP/$1.csv" "SuccessfulCall(C)")
	failed=$(sipp_stat "$E2E_TMP/$1.csv" "FailedCall(C)")
	if [ "${ok:-0}" != "$2" ] || [ "${failed:-1}" != 0 ]; then
		sed 's/^/    | /' "$E2E_TMP/$1.errors" 2>/dev/null | tail -20
		tail -30 "$E2E_TMP/kamailio.log" | sed 's/^/    kamailio| /'
		fail "$1: $ok successful and $failed failed calls, want $2 and 0"
	fi
	pass "$1: $ok calls as scripted, none failed"
}
expect_no_sessions() { # WHEN
	wait_for 5 "$RELAY idle (no session, no port in use) $1" bash -c '[ "$(relay_idle)" = 0 ]'
	pass "$RELAY idle (no session, no port in use) $1"
}
# sessions the relay has created so far (each offer of a new call)
relay_created() { ng_field totalstatistics.managedsessions; }
expect_created() { # BEFORE WANT_NEW WHEN
	local now
	now=$(relay_created) || fail "cannot read $RELAY's session total"
	assert_eq $((now - $1)) "$2" "$RELAY created $2 session(s) $3"
}
export -f relay_sessions relay_idle ng_field nsx ns
[ "$RELAY" = pierce ] && export -f metric
export PFX PYTHON NGQ NG BUILD
[ "$RELAY" = pierce ] && export PIN

run_sipp reg 10 -sf "$(sipp_scn reg)" -s bob -i $UAS -p 5070 -m 1 $SRV:5060 ||
	fail "REGISTER of bob failed: $(cat "$E2E_TMP/reg.errors" 2>/dev/null)"
pass "bob registered from $UAS:5070"

# 1. calls with RTP both ways
start_uas uas uas "$CALLS"
created=$(relay_created) || fail "cannot read $RELAY's session total"
before=$(relay_packets) || fail "cannot read $RELAY's packet counters"
run_sipp uac $((CALLS * CALL_MS / 1000 + 20)) -sf "$(sipp_scn uac)" -s bob -i $UAC -p 5080 \
	-mi $UAC -mp 6000 -set rtp 1 -d $CALL_MS -m "$CALLS" -l 1 -r 1 $SRV:5060 &
UAC_PID=$!
# while a call is up the relay must hold its session
wait_for 10 "a session on $RELAY during the call" bash -c '[ "$(relay_sessions)" -ge 1 ]'
pass "$RELAY holds a session while the call is up"
wait "$UAC_PID"
expect_calls uac "$CALLS"
wait_pid 10 "$UAS_PID"
expect_calls uas "$CALLS"
after=$(relay_packets)
to_uas=$(nft_packets to_uas)
to_uac=$(nft_packets to_uac)
# the pcap holds ~236 packets a call; each call plays at least CALL_MS of it
assert_ge "$to_uas" $((CALLS * 100)) "RTP from the relay reached the callee"
assert_ge "$to_uac" $((CALLS * 100)) "echoed RTP came back through the relay to the caller"
assert_ge $((after - before)) $((to_uas + to_uac)) "$RELAY counted the packets it relayed"
expect_created "$created" "$CALLS" "for the calls"
expect_no_sessions "after BYE"

# 2. busy callee: 486, the offer's session is deleted
start_uas uas_busy uas_busy 1
created=$(relay_created)
run_sipp uac_busy 15 -sf "$(sipp_scn uac_busy)" -s bob -i $UAC -p 5080 -mi $UAC -mp 6000 -m 1 $SRV:5060
wait_pid 10 "$UAS_PID"
expect_calls uac_busy 1
expect_created "$created" 1 "for the busy call"
expect_no_sessions "after 486"

# 3. caller gives up while it rings: CANCEL, 487
start_uas uas_ring uas_ring 1
created=$(relay_created)
run_sipp uac_cancel 15 -sf "$(sipp_scn uac_cancel)" -s bob -i $UAC -p 5080 -mi $UAC -mp 6000 -m 1 $SRV:5060
wait_pid 10 "$UAS_PID"
expect_calls uac_cancel 1
expect_calls uas_ring 1
expect_created "$created" 1 "for the cancelled call"
expect_no_sessions "after CANCEL"

# 4. unknown callee: 404 from the registrar, the relay is never asked
created=$(relay_created)
run_sipp uac_notfound 15 -sf "$(sipp_scn uac_notfound)" -s nobody -i $UAC -p 5080 -mi $UAC -mp 6000 -m 1 $SRV:5060
expect_calls uac_notfound 1
expect_created "$created" 0 "for the unknown callee"
expect_no_sessions "after 404"

errors=$(relay_ng_errors) || fail "cannot read $RELAY's ng error count"
assert_eq "$errors" 0 "$RELAY answered every ng request from Kamailio without an error"
kill -0 "$RELAY_PID" || fail "$RELAY died during the test"
kill -0 "$KAM_PID" || fail "Kamailio died during the test"
pass "Kamailio + $RELAY interop"

#!/bin/bash
# shellcheck shell=bash
# The signalling benchmarks' topology and stacks, shared by cps.sh and
# latency.sh. Source it after tests/e2e/lib.sh and tests/e2e/sipp/sipp.sh,
# with SUT_CPU, GEN_CPU, KAM_CHILDREN, BUDGET_S and OUT set, then call
# stack_topology.
#
#   srv namespace: the proxy on 10.97.0.1:5060 (pierce-redirect on 5062)
#                  and the relay (ng on 2223), all pinned to CPU $SUT_CPU
#   ph namespace:  sipp UAC 10.97.0.11:5080, sipp UAS 10.97.0.12:5070
#                  (registered as "bob"), pinned to CPU $GEN_CPU
#
#   stack_topology            the namespaces, the veth pair, scenario copies,
#                             a tmpfs RUN_DIR for pierce-relay's state file
#   start_stack PROXY/RELAY   relay then proxy (kamailio|pierce / rtpengine|pierce)
#   start_uas TAG             REGISTERs bob, then the sipp UAS in the background
#   stop_stack                stops the UAS, proxy, redirect server and relay
#   sipp_ph TAG SECONDS ARGS  sipp in ph, pinned, from the scratch dir;
#                             output and statistics in $OUT/TAG.*
#   call_step TAG RATE [ARGS] sipp UAC: RATE calls/s for $STEP_S s through
#                             the proxy, each held $HOLD_MS ms; prints "ok
#                             failed retransmissions" from $OUT/TAG.csv
SRV=10.97.0.1 UAC=10.97.0.11 UAS=10.97.0.12
NG=$SRV:2223
NGQ=tools/bench/peers/ngquery.py

stack_topology() {
	command -v sipp >/dev/null || fail "sipp missing (apt-get install sip-tester)"
	# sipp names its rtt file after the scenario, next to it: run from copies
	cp "$(sipp_scn uac)" "$(sipp_scn reg)" "$(sipp_scn uas)" "$E2E_TMP/" || fail "copy scenarios"
	ns_create srv ph
	veth_create srv eth0 $SRV/24 ph eth0 $UAC/24
	ip -n "$(ns ph)" addr add $UAS/24 dev eth0 || fail "second phone address"
	# pierce-relay's restart-adoption state file goes where a Debian host
	# keeps /run: in memory (this sandbox's /run is on disk), and private
	# to this run (teardown unmounts it)
	RUN_DIR=$E2E_TMP/run
	mkdir -p "$RUN_DIR" && mount -t tmpfs -o size=64m tmpfs "$RUN_DIR" || fail "tmpfs for the relay state file"
	# one pin directory for every pierce-relay start: its XDP link stays
	# pinned after it stops, and the next start takes it over
	RELAY_PIN=$(bpffs_dir relay)/pierce
}

start_relay() { # $1 = rtpengine | pierce, $2 = scratch dir, $3 = log
	case $1 in
	rtpengine)
		command -v rtpengine >/dev/null || fail "rtpengine missing (apt-get install rtpengine-daemon)"
		spawn srv "$3" taskset -c "$SUT_CPU" tools/bench/peers/rtpengine.sh "$2/rte" $SRV 2223 30000 59999 1
		;;
	pierce)
		[ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: make BUILD=$BUILD"
		# the peer of an XDP_TX veth needs a program to receive; once is enough
		[ -n "${PASS_ATTACHED:-}" ] || { xdp_pass_attach ph eth0; PASS_ATTACHED=1; }
		spawn srv "$3" taskset -c "$SUT_CPU" "$BUILD/pierce-relay" \
			--interface eth0 --address $SRV --ports 30000-59999 --delete-delay 0 \
			--ng $NG --ng-allow $SRV/32 --pin-dir "$RELAY_PIN" --state-file "$RUN_DIR/relay-state"
		;;
	*) fail "unknown relay $1" ;;
	esac
	RELAY_PID=$SPAWNED_PID
	wait_for 10 "$1 answers ng ping" nsx srv "$PYTHON" $NGQ $NG ping
}

start_proxy() { # $1 = kamailio | pierce, $2 = scratch dir, $3 = log
	case $1 in
	kamailio)
		command -v kamailio >/dev/null || fail "kamailio missing (apt-get install kamailio)"
		spawn srv "$3" taskset -c "$SUT_CPU" tools/bench/peers/kamailio.sh "$2/kam" $SRV "udp:$NG" "$KAM_CHILDREN"
		;;
	pierce)
		[ -x "$BUILD/pierce-proxy" ] || fail "$BUILD/pierce-proxy missing: make BUILD=$BUILD"
		[ -x "$BUILD/pierce-redirect" ] || fail "$BUILD/pierce-redirect missing: make BUILD=$BUILD"
		# one proxy, as with Kamailio: it publishes bob to the redirect
		# server, whose 302 then names this same proxy
		spawn srv "${3%.log}-redirect.log" taskset -c "$SUT_CPU" "$BUILD/pierce-redirect" \
			--listen $SRV:5062 --registrar $SRV --log-level warn
		REDIRECT_PID=$SPAWNED_PID
		spawn srv "$3" taskset -c "$SUT_CPU" "$BUILD/pierce-proxy" --listen $SRV:5060 --advertise $SRV \
			--domain $SRV --relay "udp:$NG" --redirect $SRV:5062 --nat-policy always ${PROXY_VERBOSE:+-v}
		;;
	*) fail "unknown proxy $1" ;;
	esac
	PROXY_PID=$SPAWNED_PID
	wait_for 15 "$1 listening on $SRV:5060" \
		bash -c "ip netns exec $(ns srv) ss -Hlun 'sport = :5060' | grep -q 5060"
}

start_stack() { # $1 = PROXY/RELAY
	local d=$E2E_TMP/${1//\//-}
	case $1 in */*) ;; *) fail "stacks are PROXY/RELAY, not $1" ;; esac
	mkdir -p "$d"
	start_relay "${1#*/}" "$d" "$OUT/${1//\//-}-relay.log"
	start_proxy "${1%/*}" "$d" "$OUT/${1//\//-}-proxy.log"
}

stop_stack() {
	stop_pid "$UAS_PID"
	stop_pid "$PROXY_PID"
	stop_pid "$RELAY_PID"
	[ -z "${REDIRECT_PID:-}" ] || stop_pid "$REDIRECT_PID"
	REDIRECT_PID=
}

sipp_ph() {
	local tag=$1 secs=$2
	shift 2
	# shellcheck disable=SC2046
	(cd "$E2E_TMP" && timeout $((secs + 20)) ip netns exec "$(ns ph)" taskset -c "$GEN_CPU" sipp "$@" \
		$(sipp_common_args "$OUT" "$tag") -timeout "${secs}s" >"$OUT/$tag.out" 2>&1)
}

start_uas() { # $1 = tag
	sipp_ph "$1-reg" 10 -sf reg.xml -s bob -i $UAS -p 5070 -m 1 $SRV:5060 ||
		fail "$1: REGISTER failed (see $OUT/$1-reg.*)"
	# shellcheck disable=SC2046
	spawn ph "$OUT/$1-uas.out" taskset -c "$GEN_CPU" sipp -sf "$E2E_TMP/uas.xml" -i $UAS -p 5070 \
		-mi $UAS -mp 7000 $(sipp_common_args "$OUT" "$1-uas") -timeout "${BUDGET_S}s"
	UAS_PID=$SPAWNED_PID
	wait_for 5 "UAS bound" bash -c "ip netns exec $(ns ph) ss -Hlun 'sport = :5070' | grep -q 5070"
}

call_step() {
	local tag=$1 rate=$2
	shift 2
	sipp_ph "$tag" $((STEP_S + HOLD_MS / 1000 + 15)) -sf uac.xml -s bob -i $UAC -p 5080 -mi $UAC \
		-mp 6000 -d "$HOLD_MS" -r "$rate" -m $((rate * STEP_S)) "$@" $SRV:5060
	echo "$(sipp_stat "$OUT/$tag.csv" "SuccessfulCall(C)") $(sipp_stat "$OUT/$tag.csv" "FailedCall(C)")" \
		"$(sipp_stat "$OUT/$tag.csv" "Retransmissions(C)")"
}

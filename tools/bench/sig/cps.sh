#!/bin/bash
# Signalling capacity: a sipp call-rate ramp (INVITE/180/200/ACK, a short
# hold, BYE/200; SDP relayed) through Kamailio + rtpengine and through
# pierce-proxy + pierce-relay, same scenario, same topology, same pinning.
# For each stack it reports the highest rate with 0 failed calls and 0
# retransmissions, then the call-setup latency (INVITE to 200, sipp's rtd)
# p50/p99 at half that rate.
#
#   srv namespace: the proxy on 10.97.0.1:5060 and the relay (ng on 2223),
#                  both pinned to CPU $SUT_CPU
#   ph namespace:  sipp UAC 10.97.0.11:5080, sipp UAS 10.97.0.12:5070
#                  (registered as "bob"), pinned to CPU $GEN_CPU
#
# Environment: BUILD (default build), STACKS: PROXY/RELAY pairs, proxy
# kamailio or pierce, relay rtpengine or pierce (default "kamailio/rtpengine
# pierce/pierce"; mixed pairs check interop and isolate either side),
# RATES (calls/s steps, default "100 200 400 600 800 1000 1200 1500"),
# STEP_S seconds per step (default 10), HOLD_MS call hold (default 500),
# BUDGET_S wall-clock cap for the whole run (default 600), SUT_CPU (1),
# GEN_CPU (0), KAM_CHILDREN (4), OUT (default $BUILD/bench/sig-cps).
set -uo pipefail
cd "$(dirname "$0")/../../.."
. tests/e2e/lib.sh
. tests/e2e/sipp/sipp.sh

STACKS=${STACKS:-kamailio/rtpengine pierce/pierce}
RATES=${RATES:-100 200 400 600 800 1000 1200 1500}
STEP_S=${STEP_S:-10}
HOLD_MS=${HOLD_MS:-500}
BUDGET_S=${BUDGET_S:-600}
SUT_CPU=${SUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
KAM_CHILDREN=${KAM_CHILDREN:-4}
SRV=10.97.0.1 UAC=10.97.0.11 UAS=10.97.0.12
NG=$SRV:2223
NGQ=tools/bench/peers/ngquery.py
T0=$SECONDS
for v in STEP_S HOLD_MS BUDGET_S; do
	[[ ${!v} =~ ^[0-9]+$ ]] || fail "$v must be a whole number"
done
[ "$BUDGET_S" -le 600 ] || fail "BUDGET_S is capped at 600"
command -v sipp >/dev/null || fail "sipp missing (apt-get install sip-tester)"

e2e_init
OUT=${OUT:-$BUILD/bench/sig-cps}
mkdir -p "$OUT" || fail "cannot create $OUT"
OUT=$(realpath "$OUT") # sipp runs from the scratch dir
# sipp names its rtt file after the scenario, next to it: run from copies
cp "$(sipp_scn uac)" "$(sipp_scn reg)" "$(sipp_scn uas)" "$E2E_TMP/" || fail "copy scenarios"
ns_create srv ph
veth_create srv eth0 $SRV/24 ph eth0 $UAC/24
ip -n "$(ns ph)" addr add $UAS/24 dev eth0 || fail "second phone address"

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
			--ng $NG --ng-allow $SRV/32 --pin-dir "$(bpffs_dir relay)/pierce"
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

# sipp_ph TAG SECONDS ARGS...: sipp in ph, pinned, from the scratch dir
sipp_ph() {
	local tag=$1 secs=$2
	shift 2
	# shellcheck disable=SC2046
	(cd "$E2E_TMP" && timeout $((secs + 20)) ip netns exec "$(ns ph)" taskset -c "$GEN_CPU" sipp "$@" \
		$(sipp_common_args "$OUT" "$tag") -timeout "${secs}s" >"$OUT/$tag.out" 2>&1)
}

start_uas() { # $1 = stack
	sipp_ph "$1-reg" 10 -sf reg.xml -s bob -i $UAS -p 5070 -m 1 $SRV:5060 ||
		fail "$1: REGISTER failed (see $OUT/$1-reg.*)"
	# shellcheck disable=SC2046
	spawn ph "$OUT/$1-uas.out" taskset -c "$GEN_CPU" sipp -sf "$E2E_TMP/uas.xml" -i $UAS -p 5070 \
		-mi $UAS -mp 7000 $(sipp_common_args "$OUT" "$1-uas") -timeout "${BUDGET_S}s"
	UAS_PID=$SPAWNED_PID
	wait_for 5 "UAS bound" bash -c "ip netns exec $(ns ph) ss -Hlun 'sport = :5070' | grep -q 5070"
}

# step STACK RATE [extra sipp args]: one ramp step; prints "ok failed retrans"
step() {
	local stack=$1 rate=$2 tag
	shift 2
	tag=$stack-$rate${1:+-rtt}
	sipp_ph "$tag" $((STEP_S + HOLD_MS / 1000 + 15)) -sf uac.xml -s bob -i $UAC -p 5080 -mi $UAC \
		-mp 6000 -d "$HOLD_MS" -r "$rate" -m $((rate * STEP_S)) "$@" $SRV:5060
	echo "$(sipp_stat "$OUT/$tag.csv" "SuccessfulCall(C)") $(sipp_stat "$OUT/$tag.csv" "FailedCall(C)")" \
		"$(sipp_stat "$OUT/$tag.csv" "Retransmissions(C)")"
}

declare -A BEST P50 P99
for stack in $STACKS; do
	case $stack in */*) ;; *) fail "STACKS entries are PROXY/RELAY, not $stack" ;; esac
	start_stack "$stack"
	start_uas "${stack//\//-}"
	best=0
	for rate in $RATES; do
		if [ $((SECONDS - T0 + STEP_S + 30)) -gt "$BUDGET_S" ]; then
			echo "$stack: time budget reached before $rate cps"
			break
		fi
		read -r ok failed retrans < <(step "${stack//\//-}" "$rate")
		echo "$stack $rate cps: ${ok:-?} ok, ${failed:-?} failed, ${retrans:-?} retransmissions"
		if [ "${ok:-0}" != $((rate * STEP_S)) ] || [ "${failed:-1}" != 0 ] || [ "${retrans:-1}" != 0 ]; then
			break
		fi
		best=$rate
		sleep $((HOLD_MS / 1000 + 2)) # let the last BYEs finish before the next step
	done
	BEST[$stack]=$best
	if [ "$best" -gt 0 ] && [ $((SECONDS - T0 + STEP_S + 30)) -le "$BUDGET_S" ]; then
		half=$((best / 2))
		sleep 2
		read -r ok failed retrans < <(step "${stack//\//-}" "$half" -trace_rtt -rtt_freq 1)
		rtt=$(ls "$E2E_TMP"/uac_*_rtt.csv 2>/dev/null | tail -1)
		if [ -n "$rtt" ]; then
			read -r P50[$stack] P99[$stack] < <(awk -F';' 'NR > 1 && $3 == 1 { print $2 }' "$rtt" | sort -n |
				awk '{ v[NR] = $1 } END { if (NR) print v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)] }')
			mv "$rtt" "$OUT/${stack//\//-}-$half-rtt.csv"
		fi
		echo "$stack at $half cps: $ok ok, $failed failed, setup p50 ${P50[$stack]:-?} ms, p99 ${P99[$stack]:-?} ms"
	fi
	echo "$stack: server namespace UDP receive buffer errors: $(_udp_snmp_field srv RcvbufErrors)," \
		"in errors: $(_udp_snmp_field srv InErrors)"
	left=$(nsx srv "$PYTHON" $NGQ $NG list --len calls 2>/dev/null || echo "?")
	echo "$stack: relay sessions left after the ramp: $left"
	stop_stack
done

echo "== summary: highest cps with 0 failed and 0 retransmissions (${STEP_S}s steps, hold ${HOLD_MS} ms);"
echo "   setup latency (INVITE->200) at half that rate"
for stack in $STACKS; do
	echo "  $stack: ${BEST[$stack]:-n/a} cps; p50 ${P50[$stack]:-n/a} ms, p99 ${P99[$stack]:-n/a} ms"
done
echo "logs and sipp statistics in $OUT"

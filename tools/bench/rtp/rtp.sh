#!/bin/bash
# The data plane with real RTP streams: pierce-relay against rtpengine
# (userspace, table = -1), both set up through the same ng offer/answer
# calls (ngcalls.py), both fed by pierce-rtpgen (bidirectional, 50 pps per
# stream, one stream per phone).
#
#   ph ns: phones A 10.96.1.1, phones B 10.96.2.1, pierce-rtpgen and the ng
#          client, pinned to CPU $GEN_CPU ──veth──  srv ns: the relay
#          10.96.0.1 (ng on :2223), pinned to CPU $RELAY_CPU
#
# Both veth ends carry an XDP program (pierce's, or XDP_PASS) so that each
# end receives in its own NAPI thread: threaded NAPI, the relay end's
# thread pinned to the relay CPU (its receive work is billed to the relay),
# the phones' end pinned to the generator CPU at real-time priority.
#
# Usage: rtp.sh streams OUT.json   calls ladder (CALLS), RTP_SECONDS each
#        rtp.sh overload OUT.json  OVERLOAD_CALLS calls, per-stream rate
#                                  stepped through OVERLOAD_PPS, then a
#                                  recovery run at 50 pps that counts the
#                                  streams the relay no longer forwards
# Environment: BUILD, RELAYS (default "pierce rtpengine"), CALLS (default
# "50 500 5000 50000"), RTP_SECONDS (default 5), OVERLOAD_CALLS (default
# 50), OVERLOAD_PPS (default "50 100 200 400 800 1600 3200"), GEN_CPU (0),
# RELAY_CPU (1).
# OUT.json: {"stage": ..., "rows": [...]} (row.py describes a row); rows
# that could not run carry "error".
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
. tests/e2e/lib.sh

MODE=${1:-}
OUT_JSON=${2:-}
case $MODE in streams | overload) ;; *) echo "usage: $0 streams|overload OUT.json" >&2; exit 2 ;; esac
[ -n "$OUT_JSON" ] || { echo "usage: $0 streams|overload OUT.json" >&2; exit 2; }
RELAYS=${RELAYS:-pierce rtpengine}
CALLS=${CALLS:-50 500 5000 50000}
RTP_SECONDS=${RTP_SECONDS:-5}
OVERLOAD_CALLS=${OVERLOAD_CALLS:-50}
OVERLOAD_PPS=${OVERLOAD_PPS:-50 100 200 400 800 1600 3200}
GEN_CPU=${GEN_CPU:-0}
RELAY_CPU=${RELAY_CPU:-1}
SRV=10.96.0.1 PA=10.96.1.1 PB=10.96.2.1
NG=$SRV:2223
PORTS=3000-65000
RTPGEN=$BUILD/pierce-rtpgen
HERE=tools/bench/rtp
for f in "$RTPGEN" "$BUILD/pierce-relay" "$BUILD/bpf/pass.bpf.o"; do
	[ -e "$f" ] || { echo "rtp.sh: $f missing: make BUILD=$BUILD" >&2; exit 1; }
done
# rtpengine holds 4 sockets per call, pierce-rtpgen one per phone: take
# the whole open-file allowance (the hard limit cannot be raised here)
ulimit -n "$(ulimit -Hn)" || exit 1
HZ=$(getconf CLK_TCK)

e2e_init
ROWS=$E2E_TMP/rows.jsonl
: >"$ROWS"
ns_create srv ph
RIF=${PFX}r PIF=${PFX}p
veth_create srv "$RIF" $SRV/16 ph "$PIF" $PA/16
ip -n "$(ns ph)" addr add $PB/16 dev "$PIF" || fail "second phone address"
xdp_pass_attach ph "$PIF"

napi_pid() { # IF: its NAPI thread (the ends have names unique to this run)
	ps -e -o pid=,comm= | awk -v p="napi/$1-" 'index($2, p) == 1 { print $1; exit }' | grep .
}

# threaded NAPI on both ends, each pinned to its side's CPU
pin_napi() {
	local pid
	nsx srv sh -c "echo 1 > /sys/class/net/$RIF/threaded" || fail "threaded NAPI on the relay end"
	nsx ph sh -c "echo 1 > /sys/class/net/$PIF/threaded" || fail "threaded NAPI on the phones' end"
	pid=$(napi_pid "$RIF") || fail "no NAPI thread on the relay end"
	taskset -p -c "$RELAY_CPU" "$pid" >/dev/null || fail "pin the relay NAPI thread"
	RELAY_NAPI=$pid
	pid=$(napi_pid "$PIF") || fail "no NAPI thread on the phones' end"
	taskset -p -c "$GEN_CPU" "$pid" >/dev/null || fail "pin the phones' NAPI thread"
	chrt -f -p 50 "$pid" >/dev/null || fail "real-time priority for the phones' NAPI thread"
}

# cpu_snap PID...: "wall_ns relay-core-idle_ns task_ns" (task_ns: every
# thread of the PIDs, from schedstat: /proc/stat under-counts bursts)
cpu_snap() {
	local wall idle t=0 p f a
	wall=$(date +%s%N)
	idle=$(awk -v c="cpu$RELAY_CPU" '$1 == c { print $5 + $6 }' /proc/stat)
	for p in "$@"; do
		for f in /proc/"$p"/task/*/schedstat; do
			read -r a _ <"$f" 2>/dev/null && t=$((t + a))
		done
	done
	echo "$wall $((idle * 1000000000 / HZ)) $t"
}

RUN=0
start_relay() { # pierce | rtpengine
	RUN=$((RUN + 1))
	case $1 in
	pierce)
		PIN=$(bpffs_dir "r$RUN")/pierce
		spawn srv "$E2E_TMP/relay-$RUN.log" taskset -c "$RELAY_CPU" "$BUILD/pierce-relay" --interface "$RIF" \
			--address $SRV --ports $PORTS --ng $NG --ng-allow 10.96.0.0/16 --metrics off \
			--pin-dir "$PIN" --state-file "$E2E_TMP/state-$RUN" --delete-delay 0 \
			--log-level warn
		;;
	rtpengine)
		command -v rtpengine >/dev/null || { echo "rtpengine missing (apt-get install rtpengine-daemon)"; return 1; }
		xdp_pass_attach srv "$RIF"
		spawn srv "$E2E_TMP/relay-$RUN.log" taskset -c "$RELAY_CPU" \
			tools/bench/peers/rtpengine.sh "$E2E_TMP/rte-$RUN" $SRV 2223 "${PORTS%-*}" "${PORTS#*-}" 1
		;;
	esac
	RELAY_PID=$SPAWNED_PID
	local i
	for ((i = 0; i < 100; i++)); do
		nsx ph "$PYTHON" tools/bench/peers/ngquery.py $NG ping --timeout 0.2 >/dev/null 2>&1 && break
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$i" = 100 ] || ! kill -0 "$RELAY_PID" 2>/dev/null; then
		echo "rtp.sh: $1 did not answer ng ping:"
		tail -5 "$E2E_TMP/relay-$RUN.log"
		return 1
	fi
	pin_napi
}

stop_relay() { # pierce | rtpengine
	stop_pid "$RELAY_PID"
	# pierce-relay leaves its program attached (pinned link) for a restart
	# to adopt: the next relay needs the interface free
	case $1 in
	pierce) nsx srv "$BUILD/piercectl" --pin-dir "$PIN" detach "$RIF" >/dev/null ;;
	rtpengine) ip -n "$(ns srv)" link set dev "$RIF" xdpdrv off ;;
	esac || fail "cannot free $RIF after $1"
}

# setup RELAY CALLS: ng offer/answer for CALLS calls from the phones' side
setup_calls() {
	local socks=$2
	[ "$socks" -gt 8000 ] && socks=8000
	nsx ph "$PYTHON" $HERE/ngcalls.py --server $NG --calls "$2" --a-ip $PA --b-ip $PB --sockets "$socks" \
		--streams-out "$E2E_TMP/streams" --json-out "$E2E_TMP/setup.json" --budget-s 90
}

# drops IF NS: every drop and error counter of a veth end, summed (where a
# packet was lost: the relay end, or the phones' end, i.e. the generator)
drops() {
	{ nsx "$2" ethtool -S "$1"; ip -n "$(ns "$2")" -s -s link show dev "$1"; } 2>/dev/null | awk '
		$1 ~ /(drop|err)[a-z_]*:$/ { n += $2 }
		/^ *(RX|TX):/ { hdr = $0; next }
		hdr != "" { split(hdr, h); for (i = 2; i <= NF; i++) if (h[i + 1] ~ /dropped|errors/) n += $i; hdr = "" }
		END { print n + 0 }'
}

# measure RELAY RATE SECONDS KEY=VALUE...: one pierce-rtpgen run over the
# current streams file; appends a row
measure() {
	local relay=$1 rate=$2 secs=$3 c0 c1 dr0 dr1 dp0 dp1 du0 du1
	shift 3
	rm -f "$E2E_TMP/gen.json"
	c0=$(cpu_snap "$RELAY_PID" "$RELAY_NAPI")
	dr0=$(drops "$RIF" srv) dp0=$(drops "$PIF" ph) du0=$(udp_in_errors srv)
	nsx ph "$RTPGEN" --streams-file "$E2E_TMP/streams" --rate "$rate" --duration "$secs" --wait 2 \
		--idle-ms 500 --cpu "$GEN_CPU" --json "$E2E_TMP/gen.json" --quiet >"$E2E_TMP/gen.log" 2>&1
	c1=$(cpu_snap "$RELAY_PID" "$RELAY_NAPI")
	dr1=$(drops "$RIF" srv) dp1=$(drops "$PIF" ph) du1=$(udp_in_errors srv)
	grep -E 'sent|received|latency' "$E2E_TMP/gen.log" | sed 's/^/    /'
	"$PYTHON" $HERE/row.py relay="$relay" "$@" drops_relay_end=$((dr1 - dr0)) \
		drops_relay_sockets=$((du1 - du0)) \
		drops_phone_end=$((dp1 - dp0)) --rtpgen "$E2E_TMP/gen.json" --setup "$E2E_TMP/setup.json" \
		--cpu0 "$c0" --cpu1 "$c1" >>"$ROWS" || echo "{\"relay\":\"$relay\",\"error\":\"row.py failed\"}" >>"$ROWS"
	kill -0 "$RELAY_PID" 2>/dev/null || echo "    $relay died during the run"
}

# media_cap CALLS: pierce-rtpgen takes at most 16384 streams (two per
# call): beyond 8192 calls, media flows on the first 8192 only (the others
# stay set up on the relay). Prints the number of calls with media.
MAX_MEDIA_CALLS=8192
media_cap() {
	local n=$1
	if [ "$n" -gt $MAX_MEDIA_CALLS ]; then
		# A streams are lines 1..n, B streams n+1..2n
		sed -n "1,${MAX_MEDIA_CALLS}p; $((n + 1)),$((n + MAX_MEDIA_CALLS))p" "$E2E_TMP/streams" >"$E2E_TMP/streams.cap" && mv "$E2E_TMP/streams.cap" "$E2E_TMP/streams" || fail "capping the streams file"
		n=$MAX_MEDIA_CALLS
	fi
	echo "$n"
}

error_row() { # RELAY MESSAGE KEY=VALUE...
	local relay=$1 msg=$2
	shift 2
	"$PYTHON" -c 'import json, sys
r = {"relay": sys.argv[1], "error": sys.argv[2]}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    r[k] = int(v) if v.isdigit() else v
print(json.dumps(r))' "$relay" "$msg" "$@" >>"$ROWS"
	echo "    $relay: $msg"
}

run_streams() {
	local relay n got media
	for relay in $RELAYS; do
		for n in $CALLS; do
			echo "== $relay: $n calls, ${RTP_SECONDS}s at 50 pps each way"
			start_relay "$relay" || { error_row "$relay" "relay did not start" calls_requested="$n"; continue; }
			if ! setup_calls "$relay" "$n"; then
				error_row "$relay" "no call could be set up" calls_requested="$n"
				stop_relay "$relay"
				continue
			fi
			got=$(json_get 'd["established"]' <"$E2E_TMP/setup.json")
			media=$(media_cap "$got")
			measure "$relay" 50 "$RTP_SECONDS" calls_requested="$n" calls="$got" calls_media="$media"
			stop_relay "$relay"
		done
	done
}

run_overload() {
	local relay pps got
	for relay in $RELAYS; do
		echo "== $relay overload: $OVERLOAD_CALLS calls, per-stream rate $OVERLOAD_PPS pps"
		start_relay "$relay" || { error_row "$relay" "relay did not start"; continue; }
		if ! setup_calls "$relay" "$OVERLOAD_CALLS"; then
			error_row "$relay" "no call could be set up"
			stop_relay "$relay"
			continue
		fi
		got=$(json_get 'd["established"]' <"$E2E_TMP/setup.json")
		for pps in $OVERLOAD_PPS; do
			echo "  $relay: $got calls at $pps pps per stream"
			measure "$relay" "$pps" 4 phase=step calls="$got"
		done
		echo "  $relay: recovery check, 50 pps per stream"
		measure "$relay" 50 3 phase=recovery calls="$got"
		stop_relay "$relay"
	done
}

case $MODE in
streams) run_streams ;;
overload) run_overload ;;
esac

"$PYTHON" - "$ROWS" "$OUT_JSON" "$MODE" "$RTP_SECONDS" <<'EOF' || fail "writing $OUT_JSON"
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc = {"stage": "rtp-" + sys.argv[3], "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
       "seconds_per_run": int(sys.argv[4]), "rows": rows,
       "method": "pierce-rtpgen in the phones' namespace on the generator CPU, one process for both "
                 "phones of every call (symmetric RTP, one socket per phone up to 8,000 per side); "
                 "relay pinned to the relay CPU with its veth's threaded NAPI thread; calls set up with "
                 "ng offer/answer (tools/bench/rtp/ngcalls.py)."}
json.dump(doc, open(sys.argv[2], "w"), indent=1)
EOF
echo "rtp.sh: wrote $OUT_JSON"

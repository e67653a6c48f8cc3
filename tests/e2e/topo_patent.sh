#!/bin/bash
# shellcheck shell=bash
# Helpers for the fault, flood and soak tests, on top of the patent topology
# of test_proxy_topology.sh (which this sources, with lib.sh and sipp.sh).
# Source it, then call e2e_init.
#
#   hp_relay_start [ARGS...]    pierce-relay on $RELAY like pt_relay_up, but
#                               ARGS replace its tunables (defaults in
#                               HP_RELAY_DEFAULTS); the pin directory and the
#                               state file are kept across calls, so a second
#                               call is a restart that adopts the calls;
#                               sets RELAY_PID and PIN
#   hp_ng JSON [NS]             one ng request (JSON in, JSON reply out) to
#                               $RELAY:$NG_PORT from NS (default proxy1);
#                               fails when no reply comes within 1 s
#   hp_ng_silent JSON NS        sends one ng request from NS and prints
#                               "noreply" when nothing comes back in 1 s
#   hp_relay_metric NAME        a value of the relay's /metrics
#   hp_proxy_metric N NAME      a value of proxy N's (1 or 2) /metrics
#   hp_relay_legs               legs in the relay's XDP maps (piercectl)
#   hp_relay_idle               true when the relay has no session, no port
#                               in use and no leg in its maps
#   hp_rss_kb PID               resident set size of PID in kB
#   hp_drop NS NAME RULE        adds nftables rule RULE (a filter drop) in a
#                               table of its own named NAME to the forward,
#                               input and output hooks of NS, with a counter
#   hp_undrop NS NAME           removes it again
#   hp_dropped NS NAME          packets that NAME's counter dropped
#   hp_sip_loss NS...           5 % random loss of SIP (udp port 5060) both
#                               ways through each router NS (numgen)
#   hp_uac_on NS IP PORT MPORT TAG SCN ARGS...  (killed after HP_UAC_LIMIT s, default 300)
#                               a sipp UAC from NS (a phone) through proxy 1,
#                               logs as $E2E_TMP/TAG.*; returns sipp's status
HP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/test_proxy_topology.sh
. "$HP_DIR/test_proxy_topology.sh"

HP_RELAY_DEFAULTS=(--ports 30000-30999 --ng-allow 203.0.113.0/24 --timeout 20 --delete-delay 0)
HP_RELAY_N=0

hp_relay_start() {
	local args=("$@")
	[ "${#args[@]}" -eq 0 ] && args=("${HP_RELAY_DEFAULTS[@]}")
	[ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: make BUILD=$BUILD"
	[ -n "${PIN:-}" ] || PIN=$(bpffs_dir relay)/pierce
	HP_RELAY_N=$((HP_RELAY_N + 1))
	RELAY_LOG=$E2E_TMP/relay.log.$HP_RELAY_N
	spawn relay "$RELAY_LOG" ${HP_RELAY_WRAP:-} "$BUILD/pierce-relay" --interface r0 --address $RELAY \
		--ng $RELAY:$NG_PORT --pin-dir "$PIN" --state-file "$E2E_TMP/relay-state" \
		--metrics 127.0.0.1:9812 -v "${args[@]}"
	RELAY_PID=$SPAWNED_PID
	RELAY_KIND=pierce
	wait_for 20 "pierce-relay answering ng ping on $RELAY:$NG_PORT" _pt_ng_ping
	neigh_resolve relay "$PUB_A"
	neigh_resolve relay "$PUB_B"
}

hp_ng() {
	ng_json "${2:-proxy1}" "$RELAY:$NG_PORT" "$1" --timeout 1
}

hp_ng_silent() {
	ng_json "$2" "$RELAY:$NG_PORT" "$1" --timeout 1 --noreply-ok
}

hp_relay_metric() {
	pt_metric relay http://127.0.0.1:9812/metrics "$1"
}

hp_proxy_metric() {
	pt_metric "proxy$1" http://127.0.0.1:9091/metrics "$2"
}

hp_relay_legs() {
	nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json legs |
		json_get 'len(d if isinstance(d, list) else d.get("legs", []))'
}

hp_relay_idle() {
	[ "$(hp_relay_metric pierce_relay_sessions)" = 0 ] &&
		[ "$(hp_relay_metric pierce_relay_ports_in_use)" = 0 ] &&
		[ "$(hp_relay_legs)" = 0 ]
}

hp_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

hp_drop() {
	local n=$1 name=$2 rule=$3
	nsx "$n" nft -f - <<NFT || fail "nftables drop rule $name in $n"
table inet $name {
	counter dropped { }
	chain forward { type filter hook forward priority filter; policy accept; $rule counter name dropped drop; }
	chain input { type filter hook input priority filter; policy accept; $rule counter name dropped drop; }
	chain output { type filter hook output priority filter; policy accept; $rule counter name dropped drop; }
}
NFT
}

hp_undrop() {
	nsx "$1" nft delete table inet "$2" || fail "removing nftables table $2 in $1"
}

hp_dropped() {
	nsx "$1" nft list counter inet "$2" dropped | awk '/packets/ { print $2 }'
}

hp_sip_loss() {
	local r
	for r in "$@"; do
		hp_drop "$r" pierce_loss "udp dport 5060 numgen random mod 20 == 0"
		nsx "$r" nft add rule inet pierce_loss forward udp sport 5060 numgen random mod 20 == 0 \
			counter name dropped drop || fail "loss rule (replies) on $r"
	done
}

hp_uac_on() {
	local n=$1 ip=$2 port=$3 mport=$4 tag=$5 scn=$6
	shift 6
	# shellcheck disable=SC2046
	nsx "$n" timeout "${HP_UAC_LIMIT:-300}" sipp -sf "$scn" -s "${PT_CALLEE:-bob}" -i "$ip" -p "$port" -mp "$mport" "$@" \
		$(sipp_common_args "$E2E_TMP" "$tag") $PROXY1:5060 >"$E2E_TMP/$tag.out" 2>&1
}

# hp_proxy_start N [ARGS...]: (re)starts proxy N (1: a.test, 2: b.test) with
# the arguments pt_proxies_up gives it plus ARGS; sets PROXY<N>_PID
hp_proxy_start() {
	local n=$1 dom addr
	shift
	case $n in
	1) dom=a.test addr=$PROXY1 ;;
	2) dom=b.test addr=$PROXY2 ;;
	*) fail "hp_proxy_start: proxy 1 or 2, not '$n'" ;;
	esac
	spawn "proxy$n" "$E2E_TMP/proxy$n.log.$(date +%s%N)" ${HP_PROXY_WRAP:-} "$BUILD/pierce-proxy" \
		--listen "$addr:5060" --advertise "$addr" --domain $dom --relay "udp:$RELAY:$NG_PORT" \
		--redirect "$REDIRECT:5060" --metrics 127.0.0.1:9091 -v "$@"
	printf -v "PROXY${n}_PID" %s "$SPAWNED_PID"
	wait_for 10 "proxy $n listening" bash -c "ip netns exec $(ns "proxy$n") ss -Hlun 'sport = :5060' | grep -q 5060"
}

# hp_scn_refused CODE: a copy of uac_notfound.xml (addressing b.test) that
# expects final response CODE instead of 404; prints its path
hp_scn_refused() {
	local out=$E2E_TMP/uac_$1.xml
	sed "s/response=\"404\"/response=\"$1\"/" "$(pt_scn uac_notfound)" >"$out" || fail "scenario for $1"
	echo "$out"
}

# hp_nat_udp_timeout SECS: natA and natB keep idle UDP bindings SECS seconds
# (the kernel's default for a binding that saw one reply is 30 s; pierce-proxy's
# --nat-keepalive keeps registered phones' bindings open, this is for tests
# whose other bindings must outlive that)
hp_nat_udp_timeout() {
	local r
	for r in natA natB; do
		nsx $r sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$1" ||
			fail "conntrack UDP timeout in $r"
	done
}

# hp_host_up NAME ADDR: one more host on the public segment (a namespace
# with e0 = ADDR/24 bridged into br0)
hp_host_up() {
	ns_create "$1"
	_pt_public_host "$1" e0 "$2"
}

# hp_blast NS SRC DST SECONDS MAX PAYLOAD: sends UDP datagrams from SRC
# (ip:port) to DST (ip:port) as fast as one socket goes, for SECONDS or MAX
# datagrams, whichever first; PAYLOAD is "options" (a SIP OPTIONS, new
# Call-ID and branch each) or "ngping" (an ng ping, new cookie each); prints
# "sent N replies M" (replies read meanwhile and for 1 s after)
_HP_BLAST_PY='
import socket, sys, time
src, dst, secs, cap, kind = sys.argv[1:6]
def hp(a):
    h, p = a.rsplit(":", 1); return h, int(p)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(hp(src)); s.setblocking(False)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
d, sh = hp(dst), hp(src)[0]
def msg(i):
    if kind == "ngping":
        return b"fl%d d7:command4:pinge" % i
    return ("OPTIONS sip:flood@a.test SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-fl%d;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:flood@%s>;tag=f%d\r\nTo: <sip:flood@a.test>\r\n"
            "Call-ID: fl%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (sh, d[1], i, sh, i, i, sh)).encode()
sent = replies = 0
end = time.monotonic() + float(secs)
def drain():
    global replies
    try:
        while True:
            s.recv(65535); replies += 1
    except BlockingIOError:
        pass
while sent < int(cap) and time.monotonic() < end:
    try:
        s.sendto(msg(sent), d); sent += 1
    except BlockingIOError:
        pass
    if sent % 64 == 0:
        drain()
end = time.monotonic() + 1
while time.monotonic() < end:
    drain(); time.sleep(0.01)
print("sent %d replies %d" % (sent, replies))
'
hp_blast() {
	nsx "$1" "$PYTHON" -c "$_HP_BLAST_PY" "$2" "$3" "$4" "$5" "$6"
}

# hp_stack_up [RELAY_ARGS...]: the whole patent topology with NATed phones:
# network, pierce-redirect, pierce-relay (hp_relay_start RELAY_ARGS), both
# proxies (--nat-policy auto and the array HP_PROXY_ARGS) and phone B
# registered
hp_stack_up() {
	pt_net_up nat
	pt_redirect_up
	hp_relay_start "$@"
	hp_proxy_start 1 --nat-policy auto "${HP_PROXY_ARGS[@]}"
	hp_proxy_start 2 --nat-policy auto "${HP_PROXY_ARGS[@]}"
	pt_register_b
}
HP_PROXY_ARGS=()

# hp_daemons_alive: fails the test when a daemon of the stack died
hp_daemons_alive() {
	local pid
	for pid in "$PROXY1_PID" "$PROXY2_PID" "$REDIRECT_PID" "$RELAY_PID"; do
		kill -0 "$pid" 2>/dev/null || fail "a daemon died during the test (pid $pid)"
	done
	pass "every daemon still runs"
}

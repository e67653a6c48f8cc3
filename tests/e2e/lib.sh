#!/bin/bash
# shellcheck shell=bash
# Helpers for pierce's end-to-end tests: network namespaces, veth pairs, a
# NAT router, XDP attachment, background processes, polling and assertions.
# Source it, then call e2e_init. Everything a test creates through these
# helpers is removed by the EXIT trap (teardown), whatever way the test ends.
#
# Environment: BUILD (default "build"), the build directory holding bpf/*.o
# and the binaries; E2E_KEEP=1 skips teardown (debugging); PYTHON (default
# /usr/bin/python3).
#
# Naming: every namespace is "$PFX-<name>", where PFX ("p" + 6 hex digits) is
# unique per run. Interface names live inside their namespaces, so tests may
# use short plain names (at most 15 characters).
#
# Setup
#   e2e_init                      root check, PFX, E2E_TMP (scratch dir), trap
#   ns_create NAME...             new namespaces, loopback up
#   ns NAME                       prints the full namespace name
#   nsx NAME CMD...               runs CMD inside namespace NAME
#   veth_create NS1 IF1 ADDR1 NS2 IF2 ADDR2
#                                 a veth pair between two namespaces, up, with
#                                 addresses (CIDR, or "-" for none) and tx
#                                 checksum offload off on both ends
#   route_default NS VIA          default route of NS via VIA
#   ip_forward_on NS              IPv4 and IPv6 forwarding on in NS (routers)
#   nat_masquerade NS OUT_IF SRC_CIDR [PORTS]
#                                 nftables masquerade of SRC_CIDR leaving OUT_IF
#                                 in NS (turns forwarding on); PORTS ("A-B")
#                                 maps source ports into that range, so the
#                                 post-NAT port differs from the private one
#   xdp_pass_attach NS IF         attaches $BUILD/bpf/pass.bpf.o natively: the
#                                 peer of an XDP_TX/REDIRECT veth needs one
#   bpffs_dir NAME                prints a fresh directory on its own bpffs
#                                 (visible inside every namespace; unmounted
#                                 at teardown); use it as a pin directory
#   neigh_resolve NS IP           makes NS resolve the neighbour entry of IP
#   topo_nat_relay                the relay's test topology: caller (CALLER,
#                                 10.0.1.0/24) behind router's NAT (source
#                                 ports 41000-41999), relay (RELAY, via
#                                 ROUTER_PUB), callee (CALLEE) and attacker
#                                 (ATTACKER) in public nets; sets those
#                                 variables; XDP_PASS on router's wan
# Processes
#   spawn NS LOG CMD...           runs CMD in NS in the background, output to
#                                 LOG; sets SPAWNED_PID; killed at teardown
#   stop_pid PID                  stops a spawned process (TERM, then KILL)
#   udp_peer NS BIND DEST COUNT SIZE INTERVAL_MS TAG LOG [LINGER_S [DELAY_S]]
#                                 background UDP endpoint (python): binds
#                                 BIND (ip:port), sends COUNT datagrams of SIZE
#                                 bytes to DEST (ip:port, "-" for none) whose
#                                 payload starts with "TAG <seq>", and writes a
#                                 line "<src-ip> <src-port> <len> <payload tag>"
#                                 per datagram received to LOG; exits LINGER_S
#                                 (default 2) seconds after its last send;
#                                 the first send waits DELAY_S (default 0)
#                                 after binding. Sets SPAWNED_PID.
#   udp_send_once NS BIND DEST TAG
#                                 one datagram, foreground
# Waiting and checking
#   wait_for SECONDS DESC CMD...  polls CMD every 0.1 s until it succeeds;
#                                 fails the test with DESC after SECONDS
#   wait_pid SECONDS PID          waits for a spawned process to exit
#   fail MSG                      prints "FAIL: MSG" and exits 1
#   pass MSG                      prints "ok: MSG"
#   assert_eq GOT WANT MSG        string equality
#   assert_ge GOT MIN MSG         integer GOT >= MIN
#   assert_le GOT MAX MSG         integer GOT <= MAX
#   assert_cmd MSG CMD...         CMD must succeed
#   assert_contains HAYSTACK NEEDLE MSG
# Counters
#   udp_in_datagrams NS           Udp InDatagrams of NS (/proc/net/snmp)
#   udp_in_errors NS              Udp InErrors of NS
#   count_lines LOG PATTERN       lines of LOG matching the extended regex
#   json_get EXPR                 reads JSON on stdin, prints the python
#                                 expression EXPR over it as d (e.g.
#                                 'd["fwd_tx"]["packets"]')
#   ng_json NS HOST:PORT JSON [OPT...] one ng request (the JSON object) from
#                                 namespace NS; prints the reply as one line
#                                 of JSON; fails without a reply (OPT: more
#                                 tools/bench/peers/ngquery.py options)

BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
NGQUERY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools/bench/peers" && pwd)/ngquery.py
E2E_PIDS=()
E2E_NS=()
E2E_TMP=

e2e_init() {
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: e2e tests need root (network namespaces, XDP)" >&2
		exit 1
	fi
	PFX=p$(printf '%06x' $(( (RANDOM << 15 | RANDOM) & 0xffffff )))
	E2E_TMP=$(mktemp -d "/tmp/pierce-e2e-$PFX.XXXXXX") || exit 1
	trap teardown EXIT
	trap 'exit 130' INT TERM
	echo "e2e: prefix $PFX, scratch $E2E_TMP, build $BUILD"
}

teardown() {
	local rc=$? pid n
	trap - EXIT
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "e2e: E2E_KEEP=1, leaving namespaces ${E2E_NS[*]} and $E2E_TMP" >&2
		return "$rc"
	fi
	for pid in "${E2E_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${E2E_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# bpffs_dir runs in command substitutions (subshells), so its mounts are
	# found again from the mount table rather than from a variable.
	if [ -n "$E2E_TMP" ]; then
		awk -v t="$E2E_TMP/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts |
			while read -r m; do umount "$m" 2>/dev/null; done
	fi
	for n in "${E2E_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$E2E_TMP" ] && rm -rf "$E2E_TMP"
	return "$rc"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "ok: $*"
}

ns() {
	echo "$PFX-$1"
}

nsx() {
	local n=$1
	shift
	ip netns exec "$PFX-$n" "$@"
}

ns_create() {
	local n
	for n in "$@"; do
		ip netns add "$PFX-$n" || fail "cannot create namespace $PFX-$n"
		E2E_NS+=("$PFX-$n")
		ip -n "$PFX-$n" link set lo up || fail "lo up in $PFX-$n"
	done
}

# ethtool -K IF tx off: veth's checksum offload leaves checksums that XDP
# programs and other namespaces see as wrong.
veth_create() {
	local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6
	[ "${#if1}" -le 15 ] && [ "${#if2}" -le 15 ] || fail "interface names over 15 characters: $if1 $if2"
	ip link add "$if1" netns "$PFX-$ns1" type veth peer name "$if2" netns "$PFX-$ns2" ||
		fail "veth $ns1/$if1 <-> $ns2/$if2"
	_veth_end "$ns1" "$if1" "$a1"
	_veth_end "$ns2" "$if2" "$a2"
}

_veth_end() {
	local n=$1 ifn=$2 addr=$3
	if [ "$addr" != - ]; then
		local opts=()
		case $addr in *:*) opts=(nodad) ;; esac
		ip -n "$PFX-$n" addr add "$addr" dev "$ifn" "${opts[@]}" || fail "address $addr on $n/$ifn"
	fi
	nsx "$n" ethtool -K "$ifn" tx off >/dev/null || fail "ethtool tx off on $n/$ifn"
	ip -n "$PFX-$n" link set "$ifn" up || fail "link up $n/$ifn"
}

route_default() {
	ip -n "$PFX-$1" route add default via "$2" || fail "default route of $1 via $2"
}

ip_forward_on() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		fail "forwarding on in $1"
}

nat_masquerade() {
	local n=$1 out=$2 src=$3 to=
	[ -n "${4:-}" ] && to=" to :$4"
	ip_forward_on "$n"
	nsx "$n" nft -f - <<EOF || fail "nftables masquerade in $n"
table ip pierce_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$out" ip saddr $src meta l4proto { tcp, udp } masquerade$to
		oifname "$out" ip saddr $src masquerade
	}
}
EOF
}

xdp_pass_attach() {
	local obj=$BUILD/bpf/pass.bpf.o
	[ -f "$obj" ] || fail "$obj missing: build first (make BUILD=$BUILD)"
	ip -n "$PFX-$1" link set dev "$2" xdpdrv obj "$obj" sec xdp ||
		fail "native XDP_PASS on $1/$2"
}

bpffs_dir() {
	local d
	d=$(mktemp -d "$E2E_TMP/bpffs-$1.XXXX") || fail "mktemp for bpffs"
	mount -t bpf bpf "$d" || fail "mount bpffs at $d"
	echo "$d"
}

# A datagram to the discard port makes the kernel resolve the neighbour
# (no ping needed); the entry is then polled for.
neigh_resolve() {
	local n=$1 ip=$2 i
	for ((i = 0; i < 30; i++)); do
		nsx "$n" "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"arp", (sys.argv[1], 9))' "$ip" 2>/dev/null
		ip -n "$PFX-$n" neigh show "$ip" | grep -qE 'REACHABLE|STALE|DELAY|PERMANENT' && return 0
		sleep 0.1
	done
	fail "$n cannot resolve the neighbour $ip"
}

spawn() {
	local n=$1 log=$2
	shift 2
	ip netns exec "$PFX-$n" "$@" >"$log" 2>&1 &
	SPAWNED_PID=$!
	E2E_PIDS+=("$SPAWNED_PID")
}

stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

wait_pid() {
	local secs=$1 pid=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	fail "process $pid still running after ${secs}s"
}

wait_for() {
	local secs=$1 desc=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for: $desc"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
	pass "$3 ($1)"
}

assert_ge() {
	[[ "$1" =~ ^[0-9]+$ ]] || fail "$3: '$1' is not a number"
	[ "$1" -ge "$2" ] || fail "$3: got $1, want >= $2"
	pass "$3 ($1 >= $2)"
}

assert_le() {
	[[ "$1" =~ ^[0-9]+$ ]] || fail "$3: '$1' is not a number"
	[ "$1" -le "$2" ] || fail "$3: got $1, want <= $2"
	pass "$3 ($1 <= $2)"
}

assert_cmd() {
	local msg=$1
	shift
	"$@" || fail "$msg (command failed: $*)"
	pass "$msg"
}

assert_contains() {
	case $1 in
	*"$2"*) pass "$3" ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

_udp_snmp_field() { # $1 = ns, $2 = field name in the Udp: header line
	nsx "$1" cat /proc/net/snmp | awk -v f="$2" '
		$1 == "Udp:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "Udp:" && hdr { print $col[f]; exit }'
}

udp_in_datagrams() {
	_udp_snmp_field "$1" InDatagrams
}

udp_in_errors() {
	_udp_snmp_field "$1" InErrors
}

count_lines() {
	local c
	c=$(grep -cE "$2" "$1" 2>/dev/null)
	echo "${c:-0}"
}

# The UDP endpoint behind udp_peer and udp_send_once. One socket sends and
# receives, as an RTP endpoint does, so a relay that latches sees the same
# source port it sends back to.
_UDP_PEER_PY='
import select, socket, sys, time
def hp(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)
bind, dest, count, size, interval, tag, log, linger, delay = sys.argv[1:10]
count, size, interval, linger = int(count), int(size), float(interval) / 1000, float(linger)
bh = hp(bind)
fam = socket.AF_INET6 if ":" in bh[0] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(bh)
d = hp(dest) if dest != "-" else None
out = open(log, "w", buffering=1)
sent, nxt = 0, time.monotonic() + float(delay)
end = nxt + linger + count * interval
while (d and sent < count) or time.monotonic() < end:
    now = time.monotonic()
    if d and sent < count and now >= nxt:
        body = ("%s %d " % (tag, sent)).encode()
        s.sendto(body + b"x" * max(0, size - len(body)), d)
        sent += 1
        nxt += interval
        if sent == count:
            end = now + linger
    wait = max(0.0, min(end, nxt if d and sent < count else end) - time.monotonic())
    r, _, _ = select.select([s], [], [], wait)
    if r:
        data, src = s.recvfrom(65535)
        words = data.split(b" ", 2)
        t = (words[0] + b" " + words[1]).decode(errors="replace") if len(words) > 1 else "?"
        out.write("%s %d %d %s\n" % (src[0], src[1], len(data), t))
'

udp_peer() {
	local n=$1 bind=$2 dest=$3 count=$4 size=$5 ival=$6 tag=$7 log=$8 linger=${9:-2} delay=${10:-0}
	spawn "$n" "$log.err" "$PYTHON" -c "$_UDP_PEER_PY" "$bind" "$dest" "$count" "$size" "$ival" "$tag" "$log" \
		"$linger" "$delay"
}

udp_send_once() {
	nsx "$1" "$PYTHON" -c "$_UDP_PEER_PY" "$2" "$3" 1 64 0 "$4" /dev/null 0 0 ||
		fail "udp send from $1 $2 to $3"
}

json_get() {
	"$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

ng_json() {
	local ns=$1 to=$2 req=$3
	shift 3
	nsx "$ns" "$PYTHON" "$NGQUERY" "$to" --json "$req" --any-result "$@"
}

topo_nat_relay() {
	RELAY=203.0.113.10
	ROUTER_PUB=203.0.113.1
	CALLER=10.0.1.10
	CALLEE=198.51.100.20
	ATTACKER=192.0.2.66
	ns_create caller callee attacker router relay
	veth_create caller c0 $CALLER/24 router lan 10.0.1.1/24
	veth_create router wan $ROUTER_PUB/24 relay r0 $RELAY/24
	veth_create router cal 198.51.100.1/24 callee e0 $CALLEE/24
	veth_create router atk 192.0.2.1/24 attacker a0 $ATTACKER/24
	route_default caller 10.0.1.1
	route_default relay $ROUTER_PUB
	route_default callee 198.51.100.1
	route_default attacker 192.0.2.1
	# NAT ports 41000-41999: the relay must learn a port the caller never used
	nat_masquerade router wan 10.0.1.0/24 41000-41999
	# relayed frames come back out of r0 with XDP_TX: its peer needs a program
	xdp_pass_attach router wan
	neigh_resolve relay $ROUTER_PUB
}

#!/bin/bash
# DRAFT (in progress; not run by tests/run.sh): the topology of US 7,257,837
# claim 1 with a real call through it.
#
#   phone A 10.0.1.10 ─ natA (masquerade) ┐                 ┌ natB (masquerade) ─ phone B 10.0.2.10
#                                         │  public segment │
#                                         └─ br0 203.0.113.0/24 ─┘
#                                              │   │   │   │
#            proxy1 .11 (a.test)  proxy2 .12 (b.test)  redirect .20  relay .30 (XDP on r0)
#
# Phone B (sipp UAS) registers bob@b.test at proxy 2, which publishes the
# binding to pierce-redirect with a third-party REGISTER. Phone A (sipp UAC)
# calls sip:bob@b.test through proxy 1: offer to the relay, INVITE to the
# redirect server (302 -> proxy 2), forwarding INVITE to proxy 2, 200 OK back,
# answer to the relay, 200 OK to A with the relay in its SDP. RTP flows
# A -> relay -> B -> (echo) -> relay -> A and is forwarded by XDP.
#
# DRAFT_STAGE picks how far to go:
#   topology  the network, NAT and pierce-redirect's reachability
#   publish   + both proxies; phone B registers at proxy 2, and proxy 2's
#             third-party REGISTER must reach pierce-redirect
#   call      (default) + pierce-relay and the call with RTP
# The relay's command line (RELAY_CMD) is a guess until pierce-relay has a
# main; check it against its option table when it lands.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
# shellcheck source=tests/e2e/sipp/sipp.sh
. tests/e2e/sipp/sipp.sh
e2e_init

NAT_A_PUB=203.0.113.2
NAT_B_PUB=203.0.113.3
PROXY1=203.0.113.11
PROXY2=203.0.113.12
REDIRECT=203.0.113.20
RELAY=203.0.113.30
PHONE_A=10.0.1.10
PHONE_B=10.0.2.10
CALL_MS=${CALL_MS:-4000}

STAGE=${DRAFT_STAGE:-call}
need=("$BUILD/pierce-redirect" "$BUILD/bpf/pass.bpf.o")
case $STAGE in
topology) ;;
publish) need+=("$BUILD/pierce-proxy") ;;
call) need+=("$BUILD/pierce-proxy" "$BUILD/pierce-relay" "$BUILD/piercectl" "$BUILD/bpf/relay.bpf.o") ;;
*) fail "DRAFT_STAGE must be topology, publish or call, not '$STAGE'" ;;
esac
for f in "${need[@]}"; do
	[ -e "$f" ] || fail "$f missing: build first (make BUILD=$BUILD)"
done

# ---- topology ------------------------------------------------------------------
ns_create phoneA natA phoneB natB pub proxy1 proxy2 redirect relay
nsx pub ip link add br0 type bridge || fail "bridge in pub"
nsx pub ip link set br0 up || fail "br0 up"
public_host() { # NS IF ADDR: a host on the public segment, its veth peer a br0 port
	veth_create "$1" "$2" "$3/24" pub "p-$1" -
	nsx pub ip link set "p-$1" master br0 || fail "p-$1 into br0"
}
public_host natA wan $NAT_A_PUB
public_host natB wan $NAT_B_PUB
public_host proxy1 e0 $PROXY1
public_host proxy2 e0 $PROXY2
public_host redirect e0 $REDIRECT
public_host relay r0 $RELAY
veth_create phoneA e0 $PHONE_A/24 natA lan 10.0.1.1/24
veth_create phoneB e0 $PHONE_B/24 natB lan 10.0.2.1/24
route_default phoneA 10.0.1.1
route_default phoneB 10.0.2.1
# post-NAT ports differ from the private ones, so nothing works by accident
nat_masquerade natA wan 10.0.1.0/24 41000-41999
nat_masquerade natB wan 10.0.2.0/24 42000-42999
# the relay sends with XDP_TX out of r0: the bridge port facing it needs a program
xdp_pass_attach pub p-relay

# ---- reachability and NAT -----------------------------------------------------------
nat_source_of() { # PHONE_NS PHONE_IP DEST_NS DEST_IP: the source DEST sees
	local log=$E2E_TMP/src-$1-$3.log
	udp_peer "$3" "$4:7000" - 0 0 0 none "$log" 3
	local sink=$SPAWNED_PID
	sleep 0.3
	udp_send_once "$1" "$2:7001" "$4:7000" probe
	wait_pid 5 "$sink"
	awk '{ print $1 ":" $2 }' "$log" | head -1
}
src=$(nat_source_of phoneA $PHONE_A proxy1 $PROXY1)
case $src in
$NAT_A_PUB:41*) pass "phone A reaches proxy 1 through natA as $src" ;;
*) fail "phone A's packet reached proxy 1 from '$src', not natA's public address" ;;
esac
src=$(nat_source_of phoneB $PHONE_B proxy2 $PROXY2)
case $src in
$NAT_B_PUB:42*) pass "phone B reaches proxy 2 through natB as $src" ;;
*) fail "phone B's packet reached proxy 2 from '$src', not natB's public address" ;;
esac

# ---- pierce-redirect ---------------------------------------------------------------
# only the proxies may publish bindings (the test's own query comes from proxy 1)
spawn redirect "$E2E_TMP/redirect.log" "$BUILD/pierce-redirect" --listen $REDIRECT:5060 \
	--registrar $PROXY1 --registrar $PROXY2 --metrics $REDIRECT:9090 -v
RD=$SPAWNED_PID
redirect_query() { # AOR: the Contact lines of a REGISTER without Contact (a query)
	nsx proxy1 "$PYTHON" - "$1" <<PY
import socket, sys
aor = sys.argv[1]
m = ("REGISTER sip:b.test SIP/2.0\r\nVia: SIP/2.0/UDP $PROXY1:5999;branch=z9hG4bK-q\r\n"
     "From: <%s>;tag=q\r\nTo: <%s>\r\nCall-ID: q@test\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n" % (aor, aor))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.bind(("$PROXY1", 5999))
s.sendto(m.encode(), ("$REDIRECT", 5060))
r = s.recv(65535).decode()
if not r.startswith("SIP/2.0 200 "):
    sys.exit(1)
print("\n".join(l for l in r.split("\r\n") if l.lower().startswith("contact:")))
PY
}
wait_for 5 "pierce-redirect answering from the public segment" redirect_query sip:nobody@b.test
pass "pierce-redirect reachable from proxy 1"
forged=$(nsx phoneA "$PYTHON" - <<PY
import socket
m = ("REGISTER sip:b.test SIP/2.0\r\nVia: SIP/2.0/UDP $PHONE_A:5998;branch=z9hG4bK-forge;rport\r\n"
     "From: <sip:bob@b.test>;tag=x\r\nTo: <sip:bob@b.test>\r\nCall-ID: forge@test\r\nCSeq: 1 REGISTER\r\n"
     "Contact: <sip:$NAT_A_PUB:5060>\r\nContent-Length: 0\r\n\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.bind(("$PHONE_A", 5998))
s.sendto(m.encode(), ("$REDIRECT", 5060))
print(s.recv(65535).decode().split("\r\n")[0])
PY
)
assert_eq "$forged" "SIP/2.0 403 Forbidden" "a REGISTER from a phone (not a proxy) is refused"

if [ "$STAGE" = topology ]; then
	kill -0 $RD 2>/dev/null || fail "pierce-redirect died"
	echo "PASS (stage topology)"
	exit 0
fi

# ---- relay (command line to confirm when pierce-relay has a main) and proxies -------
if [ "$STAGE" = call ]; then
	PIN=$(bpffs_dir relay)/pierce
	RELAY_CMD=${RELAY_CMD:-"$BUILD/pierce-relay --interface r0 --address $RELAY --ng $RELAY:2223 --ports 30000-30999 --pin-dir $PIN -v"}
	# shellcheck disable=SC2086
	spawn relay "$E2E_TMP/relay.log" $RELAY_CMD
	neigh_resolve relay $NAT_A_PUB
	neigh_resolve relay $NAT_B_PUB
fi
proxy_args() { # IP DOMAIN
	echo --listen "$1:5060" --advertise "$1" --domain "$2" --relay "udp:$RELAY:2223" \
		--redirect "$REDIRECT:5060" --nat-policy auto -v
}
# shellcheck disable=SC2046
spawn proxy1 "$E2E_TMP/proxy1.log" "$BUILD/pierce-proxy" $(proxy_args $PROXY1 a.test)
# shellcheck disable=SC2046
spawn proxy2 "$E2E_TMP/proxy2.log" "$BUILD/pierce-proxy" $(proxy_args $PROXY2 b.test)
sleep 0.5

# ---- phone B registers bob@b.test at proxy 2, which publishes it --------------------
# The shared scenarios address [service]@[remote_ip]; these copies use the
# domain instead, so the AOR is bob@b.test on both sides of the redirect.
sed -e 's/REGISTER sip:\[remote_ip\]:\[remote_port\]/REGISTER sip:b.test/' \
	-e 's/sip:\[service\]@\[remote_ip\]:\[remote_port\]/sip:[service]@b.test/g' \
	"$(sipp_scn reg)" >"$E2E_TMP/reg.xml"
sed -e 's/INVITE sip:\[service\]@\[remote_ip\]:\[remote_port\]/INVITE sip:[service]@b.test/' \
	-e 's/sip:\[service\]@\[remote_ip\]:\[remote_port\]/sip:[service]@b.test/g' \
	"$(sipp_scn uac)" >"$E2E_TMP/uac.xml"
# shellcheck disable=SC2046
nsx phoneB sipp -sf "$E2E_TMP/reg.xml" -s bob -i $PHONE_B -p 5060 -m 1 -timeout 5s \
	$(sipp_common_args "$E2E_TMP" reg) $PROXY2:5060 >/dev/null ||
	fail "phone B could not register at proxy 2"
pass "phone B registered at proxy 2"
bob_published() { redirect_query sip:bob@b.test | grep -q "$PROXY2"; }
wait_for 5 "proxy 2 published bob@b.test to pierce-redirect" bob_published
pass "pierce-redirect holds bob@b.test -> proxy 2"
if [ "$STAGE" = publish ]; then
	kill -0 $RD 2>/dev/null || fail "pierce-redirect died"
	echo "PASS (stage publish)"
	exit 0
fi

# ---- the call ------------------------------------------------------------------------
# shellcheck disable=SC2046
spawn phoneB "$E2E_TMP/uas.out" sipp -sf "$(sipp_scn uas)" -i $PHONE_B -p 5060 -mp 6000 -rtp_echo \
	-m 1 -timeout 30s $(sipp_common_args "$E2E_TMP" uas)
UAS=$SPAWNED_PID
sleep 0.5
# shellcheck disable=SC2046
nsx phoneA sipp -sf "$E2E_TMP/uac.xml" -s bob -i $PHONE_A -p 5060 -mp 6000 -set rtp 1 -d "$CALL_MS" \
	-m 1 -timeout 30s $(sipp_common_args "$E2E_TMP" uac) $PROXY1:5060 >/dev/null
rc=$?
assert_eq "$rc" 0 "sipp UAC call through proxy 1 -> redirect -> proxy 2 -> phone B"
wait_pid 10 "$UAS"
ok=$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")
assert_eq "$ok" 1 "one successful call"

# ---- what each element saw -----------------------------------------------------------
m=$(nsx redirect "$PYTHON" -c "import urllib.request; print(urllib.request.urlopen('http://$REDIRECT:9090/', timeout=2).read().decode())")
r302=$(echo "$m" | awk '$1 == "pierce_redirect_replies_302" { print $2 }')
assert_ge "${r302:-0}" 1 "pierce-redirect answered the redirect invite with 302"
grep -q "$RELAY" "$E2E_TMP/uac.msg" 2>/dev/null ||
	echo "note: run with SIPP_TRACE_MSG=1 to check the 200 OK's SDP names the relay"
fwd=$(nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json stats | json_get 'd["fwd_tx"]["packets"]')
assert_ge "${fwd:-0}" 100 "RTP forwarded by XDP on the relay"
kill -0 $RD 2>/dev/null || fail "pierce-redirect died"
echo "PASS"

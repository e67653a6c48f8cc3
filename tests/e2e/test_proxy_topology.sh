#!/bin/bash
# The network of US 7,257,837 claim 1, shared by test_patent_call.sh,
# test_proxy_*.sh and demo.sh. Sourced, it only defines the pt_* helpers
# below; run, it is a test of the network itself (NAT sources, pierce-redirect
# reachable from the public segment, a phone's forged REGISTER refused).
#
#   phone A 10.0.1.10 ─ natA (masquerade) ┐                 ┌ natB (masquerade) ─ phone B 10.0.2.10
#                                         │  public segment │
#                                         └─ br0 203.0.113.0/24 ─┘
#                                              │   │   │   │
#            proxy1 .11 (a.test)  proxy2 .12 (b.test)  redirect .20  relay .30 (XDP on r0)
#
# With "public" phones, A (.101) and B (.102) sit on the public segment
# itself, with no NAT in between.
#
# Sourcing it sources lib.sh and sipp/sipp.sh too. Helpers (after e2e_init):
#   pt_need PROG...             fails unless each of $BUILD/PROG (or command
#                               PROG, for sipp and tcpdump) exists
#   pt_net_up nat|public        namespaces, bridge, NATs; sets PHONE_A/PHONE_B
#                               (their own addresses) and PUB_A/PUB_B (what
#                               the public segment sees of them)
#   pt_redirect_up              pierce-redirect; only the proxies may publish
#   pt_relay_up pierce|rtpengine|none
#                               the ng relay on $RELAY:2223 (none: nothing
#                               listens there); sets RELAY_PID and PIN
#   pt_proxies_up [ARGS...]     proxy 1 (a.test) and proxy 2 (b.test), extra
#                               ARGS to both; sets PROXY1_PID, PROXY2_PID
#   pt_scn NAME                 a copy of sipp scenario NAME addressing
#                               sip:[service]@b.test; prints its path
#   pt_scn_uas_media            a copy of uas.xml that also plays RTP after ACK
#   pt_register_b               phone B registers bob@b.test at proxy 2 and
#                               proxy 2 publishes it to pierce-redirect
#   pt_uas SCN [ARGS...]        sipp UAS in phone B (background); UAS_PID
#   pt_uac SCN [ARGS...]        sipp UAC in phone A calling $PT_CALLEE (default
#                               bob) via proxy 1; returns sipp's status
#   pt_capture NS IF TAG        tcpdump of UDP on NS/IF to $E2E_TMP/TAG.pcap
#                               (background, until pt_capture_stop)
#   pt_capture_stop             stops every capture and flushes the files
#   pt_flow PCAP [--tsv]        the SIP and ng messages in PCAP, one a line
#                               (--tsv: t, src, dst, what, SDP c= address)
#   pt_rtp_count PCAP SRC_IP DST_IP
#                               RTP packets from SRC_IP to DST_IP in PCAP
#   pt_relay_stats              the relay's XDP counters (piercectl --json)
#   pt_metric NS URL NAME       a Prometheus value from a /metrics endpoint
#   pt_relay_calls              how many calls the relay lists (ng list)
#   pt_relay_empty              true when it lists none
PT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$PT_DIR/lib.sh"
# shellcheck source=tests/e2e/sipp/sipp.sh
. "$PT_DIR/sipp/sipp.sh"
NAT_A_PUB=203.0.113.2
NAT_B_PUB=203.0.113.3
PROXY1=203.0.113.11
PROXY2=203.0.113.12
REDIRECT=203.0.113.20
RELAY=203.0.113.30
NG_PORT=2223

pt_need() {
	local f
	for f in "$@"; do
		case $f in
		sipp | tcpdump) command -v "$f" >/dev/null || fail "$f missing (make deps)" ;;
		*) [ -e "$BUILD/$f" ] || fail "$BUILD/$f missing: build first (make BUILD=$BUILD)" ;;
		esac
	done
}

pt_net_up() {
	local mode=${1:-nat}
	ns_create phoneA phoneB pub proxy1 proxy2 redirect relay
	nsx pub ip link add br0 type bridge || fail "bridge in pub"
	nsx pub ip link set br0 up || fail "br0 up"
	_pt_public_host proxy1 e0 $PROXY1
	_pt_public_host proxy2 e0 $PROXY2
	_pt_public_host redirect e0 $REDIRECT
	_pt_public_host relay r0 $RELAY
	if [ "$mode" = public ]; then
		PHONE_A=203.0.113.101 PHONE_B=203.0.113.102
		_pt_public_host phoneA e0 $PHONE_A
		_pt_public_host phoneB e0 $PHONE_B
		PUB_A=$PHONE_A PUB_B=$PHONE_B
	else
		PHONE_A=10.0.1.10 PHONE_B=10.0.2.10
		ns_create natA natB
		_pt_public_host natA wan $NAT_A_PUB
		_pt_public_host natB wan $NAT_B_PUB
		veth_create phoneA e0 $PHONE_A/24 natA lan 10.0.1.1/24
		veth_create phoneB e0 $PHONE_B/24 natB lan 10.0.2.1/24
		route_default phoneA 10.0.1.1
		route_default phoneB 10.0.2.1
		# post-NAT ports differ from the private ones, so nothing works by accident
		nat_masquerade natA wan 10.0.1.0/24 41000-41999
		nat_masquerade natB wan 10.0.2.0/24 42000-42999
		PUB_A=$NAT_A_PUB PUB_B=$NAT_B_PUB
	fi
	# the relay sends with XDP_TX out of r0: the bridge port facing it needs a program
	xdp_pass_attach pub p-relay
}

_pt_public_host() { # NS IF ADDR: a host on the public segment, its veth peer a br0 port
	veth_create "$1" "$2" "$3/24" pub "p-$1" -
	nsx pub ip link set "p-$1" master br0 || fail "p-$1 into br0"
}

pt_redirect_up() {
	spawn redirect "$E2E_TMP/redirect.log" "$BUILD/pierce-redirect" --listen $REDIRECT:5060 \
		--registrar $PROXY1 --registrar $PROXY2 --metrics $REDIRECT:9090 -v
	REDIRECT_PID=$SPAWNED_PID
	wait_for 5 "pierce-redirect answering from the public segment" pt_redirect_query sip:nobody@b.test
}

# AOR: the Contact lines pierce-redirect holds (a REGISTER without Contact)
pt_redirect_query() {
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

_pt_ng_ping() {
	[ "$(ng_json proxy1 "$RELAY:$NG_PORT" '{"command": "ping"}' --field result --timeout 0.5)" = pong ]
}

pt_relay_up() {
	RELAY_KIND=$1
	case $1 in
	pierce)
		[ -x "$BUILD/pierce-relay" ] || fail "$BUILD/pierce-relay missing: make BUILD=$BUILD"
		PIN=$(bpffs_dir relay)/pierce
		spawn relay "$E2E_TMP/relay.log" "$BUILD/pierce-relay" --interface r0 --address $RELAY \
			--ng $RELAY:$NG_PORT --ng-allow 203.0.113.0/24 --ports 30000-30999 --pin-dir "$PIN" \
			--state-file "$E2E_TMP/relay-state" --metrics 127.0.0.1:9812 --delete-delay 0 --timeout 20 -v
		;;
	rtpengine)
		command -v rtpengine >/dev/null || fail "rtpengine missing (apt-get install rtpengine-daemon)"
		RTPENGINE_DELETE_DELAY=0 spawn relay "$E2E_TMP/relay.log" "$PT_DIR/../../tools/bench/peers/rtpengine.sh" \
			"$E2E_TMP/rtpengine" $RELAY $NG_PORT 30000 30999 1
		;;
	none)
		RELAY_PID=
		return 0
		;;
	*) fail "relay must be pierce, rtpengine or none, not '$1'" ;;
	esac
	RELAY_PID=$SPAWNED_PID
	wait_for 10 "$1 answering ng ping on $RELAY:$NG_PORT" _pt_ng_ping
	neigh_resolve relay "$PUB_A"
	neigh_resolve relay "$PUB_B"
}

pt_proxies_up() {
	local common=(--relay "udp:$RELAY:$NG_PORT" --redirect "$REDIRECT:5060" --metrics 127.0.0.1:9091 -v "$@")
	spawn proxy1 "$E2E_TMP/proxy1.log" "$BUILD/pierce-proxy" --listen $PROXY1:5060 --advertise $PROXY1 \
		--domain a.test "${common[@]}"
	PROXY1_PID=$SPAWNED_PID
	spawn proxy2 "$E2E_TMP/proxy2.log" "$BUILD/pierce-proxy" --listen $PROXY2:5060 --advertise $PROXY2 \
		--domain b.test "${common[@]}"
	PROXY2_PID=$SPAWNED_PID
	wait_for 5 "proxies listening" bash -c "ip netns exec $(ns proxy1) ss -Hlun 'sport = :5060' | grep -q 5060 &&
		ip netns exec $(ns proxy2) ss -Hlun 'sport = :5060' | grep -q 5060"
}

# The shared scenarios address [service]@[remote_ip]; these copies use the
# domain, so the AOR is bob@b.test on both sides of the redirect.
pt_scn() {
	local out=$E2E_TMP/$1.xml
	sed -e 's/REGISTER sip:\[remote_ip\]:\[remote_port\]/REGISTER sip:b.test/' \
		-e 's/\(INVITE\|CANCEL\|ACK\) sip:\[service\]@\[remote_ip\]:\[remote_port\]/\1 sip:[service]@b.test/' \
		-e 's/sip:\[service\]@\[remote_ip\]:\[remote_port\]/sip:[service]@b.test/g' \
		"$(sipp_scn "$1")" >"$out" || fail "scenario copy $1"
	echo "$out"
}

# Phone B must send too: behind its NAT it is reachable only once its own
# packets opened the mapping and the relay latched onto them.
pt_scn_uas_media() {
	local out=$E2E_TMP/uas_media.xml
	"$PYTHON" - "$(sipp_scn uas)" "$out" <<'PY' || fail "media UAS scenario"
import sys
s = open(sys.argv[1]).read()
ack = '<recv request="ACK" rtd="true" />'
assert ack in s
play = ack + '\n\n  <nop>\n    <action>\n      <exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap" />\n    </action>\n  </nop>\n'
open(sys.argv[2], "w").write(s.replace(ack, play))
PY
	echo "$out"
}

pt_register_b() {
	local scn
	scn=$(pt_scn reg)
	# shellcheck disable=SC2046
	nsx phoneB timeout 15 sipp -sf "$scn" -s bob -i "$PHONE_B" -p 5060 -m 1 -timeout 10s \
		$(sipp_common_args "$E2E_TMP" reg) $PROXY2:5060 >"$E2E_TMP/reg.out" 2>&1 ||
		fail "phone B could not register at proxy 2"
	wait_for 5 "proxy 2 published bob@b.test to pierce-redirect" _pt_bob_published
}

_pt_bob_published() { pt_redirect_query sip:bob@b.test | grep -q "$PROXY2"; }

pt_uas() {
	local scn=$1
	shift
	# shellcheck disable=SC2046
	spawn phoneB "$E2E_TMP/uas.out" sipp -sf "$scn" -i "$PHONE_B" -p 5060 -mp 6000 "$@" \
		$(sipp_common_args "$E2E_TMP" uas)
	UAS_PID=$SPAWNED_PID
	wait_for 5 "UAS listening" bash -c "ip netns exec $(ns phoneB) ss -Hlun 'sport = :5060' | grep -q 5060"
}

pt_uac() {
	local scn=$1
	shift
	# shellcheck disable=SC2046
	nsx phoneA timeout 60 sipp -sf "$scn" -s "${PT_CALLEE:-bob}" -i "$PHONE_A" -p 5060 -mp 6000 "$@" \
		$(sipp_common_args "$E2E_TMP" uac) $PROXY1:5060 >"$E2E_TMP/uac.out" 2>&1
}

PT_CAPTURES=()
pt_capture() {
	local log=$E2E_TMP/$3.tcpdump.log
	spawn "$1" "$log" tcpdump -n -U --immediate-mode -Z root -s 0 -i "$2" -w "$E2E_TMP/$3.pcap" udp
	PT_CAPTURES+=("$SPAWNED_PID")
	wait_for 5 "tcpdump on $1/$2 listening" grep -q "listening on" "$log"
}

pt_capture_stop() {
	local pid
	sleep 0.3 # the last packets reach the capture
	for pid in "${PT_CAPTURES[@]}"; do
		stop_pid "$pid"
	done
	PT_CAPTURES=()
}

# A pcap reader (Ethernet or Linux cooked, IPv4, UDP) that names SIP and ng
# messages; no tshark needed.
_PT_PCAP_PY='
import struct, sys
def packets(path):
    d = open(path, "rb").read()
    if len(d) < 24:
        return
    magic = struct.unpack("<I", d[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    link = struct.unpack(e + "I", d[20:24])[0]
    off, t0 = 24, None
    while off + 16 <= len(d):
        ts, tu, caplen, _ = struct.unpack(e + "IIII", d[off:off + 16])
        frame = d[off + 16:off + 16 + caplen]
        off += 16 + caplen
        l2 = {1: 14, 113: 16, 276: 20}.get(link)
        if l2 is None or len(frame) < l2 + 28:
            continue
        etype = struct.unpack("!H", frame[l2 - 2:l2])[0] if link != 276 else struct.unpack("!H", frame[0:2])[0]
        if etype != 0x0800:
            continue
        ip = frame[l2:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        t = ts + tu / 1e6
        t0 = t if t0 is None else t0
        yield t - t0, src, sport, dst, dport, ip[ihl + 8:]
def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i); return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        out, i = [], i + 1
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i); out.append(v)
        return (dict(zip(out[::2], out[1::2])) if c == b"d" else out), i + 1
    j = b.index(b":", i); n = int(b[i:j]); return b[j + 1:j + 1 + n], j + 1 + n
def sdp_c(body):
    for l in body.split("\n"):
        if l.startswith("c="):
            return l[2:].split()[-1].strip()
    return "-"
def describe(p, sport, dport, ng):
    if ng in (sport, dport):
        try:
            msg = bdec(p.split(b" ", 1)[1])[0]
        except Exception:
            return None
        if not isinstance(msg, dict):
            return None
        if b"command" in msg:
            cmd = msg[b"command"].decode()
            return "ng " + cmd, sdp_c(msg.get(b"sdp", b"").decode(errors="replace"))
        if b"result" in msg:
            return "ng reply " + msg[b"result"].decode(), sdp_c(msg.get(b"sdp", b"").decode(errors="replace"))
        return None
    try:
        s = p.decode()
    except UnicodeDecodeError:
        return None
    first = s.split("\r\n", 1)[0]
    if not (first.endswith("SIP/2.0") or first.startswith("SIP/2.0 ")):
        return None
    head, _, body = s.partition("\r\n\r\n")
    cseq = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith(("cseq:",))]
    what = first.rsplit(" SIP/2.0", 1)[0] if not first.startswith("SIP/2.0") else first[8:] + " (" + (cseq[0] if cseq else "?") + ")"
    return what, sdp_c(body) if body else "-"
path, mode, ng = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = dict(a.split("=", 1) for a in sys.argv[4:])
for t, src, sport, dst, dport, p in packets(path):
    if mode == "rtp":
        if len(p) >= 12 and p[0] >> 6 == 2 and 5060 not in (sport, dport) and ng not in (sport, dport):
            print(src, dst)
        continue
    d = describe(p, sport, dport, ng)
    if not d or d[0] in ("ng ping", "ng reply pong"):
        continue
    a, b = names.get(src, src), names.get(dst, dst)
    if mode == "tsv":
        print("%.3f\t%s\t%s\t%s\t%s" % (t, src, dst, d[0], d[1]))
    else:
        sdp = "   [SDP c=%s]" % d[1] if d[1] != "-" else ""
        print("  %7.3f  %-22s -> %-22s %s%s" % (t, a, b, d[0], sdp))
'

pt_flow() {
	local mode=text
	[ "${2:-}" = --tsv ] && mode=tsv
	"$PYTHON" -c "$_PT_PCAP_PY" "$1" "$mode" $NG_PORT "$PUB_A=phone A${PUB_A_NOTE:-}" \
		"$PUB_B=phone B${PUB_B_NOTE:-}" "$PROXY1=proxy 1" "$PROXY2=proxy 2" "$REDIRECT=pierce-redirect" \
		"$RELAY=relay" "$PHONE_A=phone A" "$PHONE_B=phone B"
}

pt_rtp_count() {
	"$PYTHON" -c "$_PT_PCAP_PY" "$1" rtp $NG_PORT | awk -v s="$2" -v d="$3" '$1 == s && $2 == d { n++ } END { print n + 0 }'
}

pt_relay_stats() {
	nsx relay "$BUILD/piercectl" --pin-dir "$PIN" --json stats
}

pt_metric() { # NS URL NAME
	nsx "$1" "$PYTHON" -c "import urllib.request; print(urllib.request.urlopen('$2', timeout=2).read().decode())" |
		awk -v n="$3" '$1 == n { print $2 }'
}

pt_relay_calls() {
	nsx proxy1 "$PYTHON" - <<PY
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(b"ptl d7:command4:liste", ("$RELAY", $NG_PORT))
r = s.recv(65535).split(b" ", 1)[1]
# "calls" is a list of call-id strings: d5:callsl<n>:<id>...e6:result2:oke
i, n = r.index(b"5:callsl") + 8, 0
while r[i:i + 1] != b"e":
    j = r.index(b":", i); i = j + 1 + int(r[i:j]); n += 1
print(n)
PY
}

pt_relay_empty() { [ "$(pt_relay_calls)" = 0 ]; }

# ---- run on its own: a test of the network ----------------------------------------
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	cd "$PT_DIR/../.." || exit 1
	e2e_init
	pt_need pierce-redirect bpf/pass.bpf.o
	pt_net_up nat
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
	pt_redirect_up
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
	kill -0 "$REDIRECT_PID" 2>/dev/null || fail "pierce-redirect died"
	echo "PASS"
fi

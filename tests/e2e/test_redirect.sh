#!/bin/bash
# pierce-redirect on loopback, in a namespace of its own so fixed ports never
# collide with anything else on the machine: third-party REGISTER, INVITE ->
# 302 with the serving proxy, unknown -> 404, OPTIONS -> 200, ACK absorbed,
# unregister -> 404, expiry, malformed -> 400, responses dropped, TCP and IPv6,
# retransmissions answered alike, static routes, SIGHUP reload, metrics over
# SIGUSR1 and HTTP, and the daemon still alive at the end.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
e2e_init

BIN=$BUILD/pierce-redirect
[ -x "$BIN" ] || fail "$BIN not built (make BUILD=$BUILD)"
ns_create rd
LOG=$E2E_TMP/redirect.log
CONF=$E2E_TMP/redirect.conf
CLIENT=$E2E_TMP/sipclient.py

cat >"$CONF" <<'CONF'
# static route for a peer that does not register
route = peer.test=127.0.0.1:5099
default-expires = 300
CONF

# Bad configuration is refused with status 2 before anything starts.
nsx rd "$BIN" --listen 127.0.0.1:5060 --route 'not a route' >/dev/null 2>&1
assert_eq "$?" 2 "a bad --route exits 2"
nsx rd "$BIN" >/dev/null 2>&1
assert_eq "$?" 2 "no --listen exits 2"
nsx rd "$BIN" --listen 127.0.0.1:5060 --location redis://127.0.0.1 >/dev/null 2>&1
assert_eq "$?" 2 "an unknown location backend exits 2"

spawn rd "$LOG" "$BIN" --config "$CONF" --listen 127.0.0.1:5060 --listen '[::1]:5060' \
	--metrics 127.0.0.1:9090 --max-bindings 100 -v
RD=$SPAWNED_PID

cat >"$CLIENT" <<'PY'
"""A scripted SIP peer: sends requests, checks the answers, exits 1 on the first mismatch."""
import re, socket, sys, time, urllib.request

SERVER4 = ("127.0.0.1", 5060)
SERVER6 = ("::1", 5060)
n = 0

def request(method, ruri, to, extra="", branch=None, callid=None, via_port=5555, cseq_method=None):
    global n
    n += 1
    branch = branch or "z9hG4bK-%d" % n
    callid = callid or "call-%d@e2e" % n
    return ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:proxy2@b.test>;tag=ft%d\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 %s\r\n%s"
            "Content-Length: 0\r\n\r\n" % (method, ruri, via_port, branch, n, to, callid,
                                           cseq_method or method, extra))

socks = {}

def udp_exchange(msg, server=SERVER4, expect_answer=True):
    # one socket per family, so a retransmission comes from the same port
    fam = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    s = socks.get(fam) or socks.setdefault(fam, socket.socket(fam, socket.SOCK_DGRAM))
    s.settimeout(1.0 if expect_answer else 0.5)
    s.sendto(msg.encode(), server)
    try:
        data = s.recv(65535).decode(errors="replace")
    except socket.timeout:
        data = None
    return data

def tcp_exchange(msgs, want, server=SERVER4):
    s = socket.create_connection(server, timeout=2)
    s.sendall("".join(msgs).encode())
    buf = b""
    answers = []
    while len(answers) < want:
        chunk = s.recv(65535)
        if not chunk:
            break
        buf += chunk
        buf = buf.lstrip(b"\r\n")  # a keep-alive pong
        while b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            answers.append(head.decode() + "\r\n\r\n")
            buf = rest
    s.close()
    return answers

def status(resp):
    m = re.match(r"SIP/2\.0 (\d{3}) ", resp or "")
    return int(m.group(1)) if m else None

def header(resp, name):
    return re.findall(r"^%s:\s*(.*?)\r$" % name, resp or "", re.M | re.I)

def check(cond, what, resp=None):
    if not cond:
        print("FAIL: %s" % what)
        if resp is not None:
            print("---- got:\n%s----" % resp)
        sys.exit(1)
    print("ok: %s" % what)

def register(aor, contact_hdr, expires_hdr=None):
    extra = "Contact: %s\r\n" % contact_hdr if contact_hdr else ""
    if expires_hdr is not None:
        extra += "Expires: %s\r\n" % expires_hdr
    return udp_exchange(request("REGISTER", "sip:b.test", "<%s>" % aor, extra))

step = sys.argv[1]
if step == "ping":
    sys.exit(0 if status(udp_exchange(request("OPTIONS", "sip:127.0.0.1", "<sip:127.0.0.1>"))) == 200 else 1)

if step == "main":
    r = register("sip:bob@b.test", "<sip:192.0.2.2:5070>", 120)
    check(status(r) == 200, "third-party REGISTER answered 200", r)
    check(header(r, "Contact") == ["<sip:192.0.2.2:5070>;expires=120"], "200 lists the binding", r)

    inv = request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", branch="z9hG4bK-inv1", callid="inv1@e2e")
    r = udp_exchange(inv)
    check(status(r) == 302, "INVITE for a registered AOR gets 302", r)
    check(header(r, "Contact") == ["<sip:bob@192.0.2.2:5070>"], "302 Contact = callee user @ serving proxy", r)
    check("received=127.0.0.1" in r and "rport=" in r, "Via carries received and rport", r)
    r2 = udp_exchange(inv)
    check(r2 == r, "a retransmitted INVITE gets the very same 302 (To-tag included)", r2)

    ack = request("ACK", "sip:bob@b.test", "<sip:bob@b.test>;tag=x", branch="z9hG4bK-inv1", callid="inv1@e2e")
    check(udp_exchange(ack, expect_answer=False) is None, "ACK of the 302 is absorbed")

    r = udp_exchange(request("INVITE", "sip:nobody@b.test", "<sip:nobody@b.test>"))
    check(status(r) == 404, "INVITE for an unknown AOR gets 404", r)
    r = udp_exchange(request("OPTIONS", "sip:127.0.0.1:5060", "<sip:127.0.0.1:5060>"))
    check(status(r) == 200, "OPTIONS to the server gets 200", r)
    r = udp_exchange(request("MESSAGE", "sip:bob@b.test", "<sip:bob@b.test>"))
    check(status(r) == 302, "other out-of-dialog requests are redirected too", r)

    r = udp_exchange(request("INVITE", "sip:carol@peer.test", "<sip:carol@peer.test>"))
    check(status(r) == 302 and header(r, "Contact") == ["<sip:carol@127.0.0.1:5099>"],
          "static route from the config file", r)

    # IPv6 and TCP listeners
    r = udp_exchange(request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>"), server=SERVER6)
    check(status(r) == 302, "302 over UDP/IPv6", r)
    rs = tcp_exchange(["\r\n\r\n", request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>"),
                       request("INVITE", "sip:nobody@b.test", "<sip:nobody@b.test>")], 2)
    check(len(rs) == 2 and status(rs[0]) == 302 and status(rs[1]) == 404,
          "TCP: keep-alive skipped, two pipelined INVITEs -> 302 then 404", "".join(rs))

    # malformed requests and stray responses
    bad = ("INVITE sip:bob@b.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5555;branch=z9hG4bK-bad\r\n"
           "From: <sip:a@a.test>;tag=1\r\nCall-ID: bad@e2e\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    r = udp_exchange(bad)
    check(status(r) == 400, "a request without To gets 400", r)
    r = udp_exchange(request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", cseq_method="BYE"))
    check(status(r) == 400 and "CSeq" in r.split("\r\n")[0], "CSeq method mismatch gets 400 naming it", r)
    resp = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5555;branch=z9hG4bK-r\r\nFrom: <sip:a@a.test>;tag=1\r\n"
            "To: <sip:b@b.test>;tag=2\r\nCall-ID: r@e2e\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    check(udp_exchange(resp, expect_answer=False) is None, "a stray response is dropped silently")
    check(udp_exchange("\x00\x01garbage", expect_answer=False) is None, "garbage without a Via is dropped")

    # unregister
    r = register("sip:bob@b.test", "<sip:192.0.2.2:5070>", 0)
    check(status(r) == 200 and not header(r, "Contact"), "REGISTER with Expires: 0 removes the binding", r)
    r = udp_exchange(request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>"))
    check(status(r) == 404, "INVITE after unregister gets 404", r)

    # expiry by the timer
    r = register("sip:eve@b.test", "<sip:192.0.2.3>;expires=1")
    check(status(r) == 200, "a 1 s binding is accepted", r)
    check(status(udp_exchange(request("INVITE", "sip:eve@b.test", "<sip:eve@b.test>"))) == 302, "... and used")
    time.sleep(2.5)
    check(status(udp_exchange(request("INVITE", "sip:eve@b.test", "<sip:eve@b.test>"))) == 404,
          "... and gone after it expired")

if step == "reloaded":
    r = udp_exchange(request("INVITE", "sip:carol@peer.test", "<sip:carol@peer.test>"))
    check(status(r) == 302 and header(r, "Contact") == ["<sip:carol@127.0.0.1:6099>"],
          "SIGHUP re-read the route from the config file", r)

if step == "metrics":
    body = urllib.request.urlopen("http://127.0.0.1:9090/metrics", timeout=2).read().decode()
    vals = dict(re.findall(r"^pierce_redirect_(\w+) (\d+)$", body, re.M))
    print(" ".join("%s=%s" % kv for kv in sorted(vals.items())))
    check(int(vals.get("replies_302", 0)) >= 7, "HTTP metrics count the 302s")
    check(int(vals.get("replies_404", 0)) >= 4, "... the 404s")
    check(int(vals.get("replies_400", 0)) >= 2, "... the 400s")
    check(int(vals.get("registrations", 0)) >= 2, "... the registrations")
    check(int(vals.get("unregistrations", 0)) >= 1, "... the unregistrations")
    check(int(vals.get("expired", 0)) >= 1, "... the expired bindings")
    check(int(vals.get("responses_dropped", 0)) >= 1, "... the dropped responses")
    check(int(vals.get("acks_absorbed", 0)) >= 1, "... the absorbed ACKs")
PY

wait_for 5 "pierce-redirect answering OPTIONS" nsx rd "$PYTHON" "$CLIENT" ping
pass "pierce-redirect is up"

nsx rd "$PYTHON" "$CLIENT" main || fail "redirect behaviour (see above)"

sed -i 's/127.0.0.1:5099/127.0.0.1:6099/' "$CONF"
kill -HUP "$RD"
wait_for 3 "reload logged" grep -q "reloaded" "$LOG"
nsx rd "$PYTHON" "$CLIENT" reloaded || fail "reload"

nsx rd "$PYTHON" "$CLIENT" metrics || fail "metrics endpoint"
kill -USR1 "$RD"
wait_for 3 "metrics line in the log" grep -q "metrics: requests=" "$LOG"
pass "SIGUSR1 logs the counters"

# Bounded against a flood: 300 REGISTERs for distinct AORs into a store of 100.
nsx rd "$PYTHON" - <<'PY' || fail "flood"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
codes = {}
for i in range(300):
    m = ("REGISTER sip:b.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5556;branch=z9hG4bK-f%d\r\n"
         "From: <sip:p@b.test>;tag=f\r\nTo: <sip:u%d@b.test>\r\nCall-ID: f%d\r\nCSeq: 1 REGISTER\r\n"
         "Contact: <sip:192.0.2.9>\r\nContent-Length: 0\r\n\r\n" % (i, i, i))
    s.sendto(m.encode(), ("127.0.0.1", 5060))
    c = s.recv(65535).split(b" ")[1].decode()
    codes[c] = codes.get(c, 0) + 1
print(codes)
assert codes.get("200", 0) >= 95 and codes.get("503", 0) >= 195, codes
print("ok: a full store answers 503, and holds its bound")
PY

kill -0 "$RD" 2>/dev/null || fail "pierce-redirect died"
nsx rd "$PYTHON" "$CLIENT" ping || fail "pierce-redirect stopped answering"
pass "pierce-redirect still alive and answering"
stop_pid "$RD"
grep -q "signal 15: stopping" "$LOG" || fail "no clean stop in the log"
if grep -Eq "runtime error|AddressSanitizer" "$LOG"; then fail "sanitizer report in the log"; fi
pass "clean shutdown"
echo "PASS"

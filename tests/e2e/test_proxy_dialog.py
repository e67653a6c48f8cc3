#!/usr/bin/env python3
# Plays phone A, phone B and an ng relay against one pierce-proxy (and a
# pierce-redirect that grants at most 4 s) on loopback; driven by
# test_proxy_dialog.sh. Each check prints "PASS ..." or "FAIL ..."; the exit
# status is the number of failures. Every wait is bounded.
import os
import re
import select
import signal
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/bench/peers"))
from ngquery import dec as bdec, enc as benc  # noqa: E402

PROXY = ("127.0.0.2", 5060)
RELAY1 = ("127.0.0.4", 2223)
RELAY2 = ("127.0.0.7", 2223)
A = ("127.0.0.5", 5061)
B = ("127.0.0.6", 5062)
METRICS = "http://127.0.0.2:9091/metrics"
RELAY_SDP_IP = "203.0.113.1"
proxy_pid = int(sys.argv[1])
config = sys.argv[2]
long_wait = int(sys.argv[3]) if len(sys.argv) > 3 else 1
failures = 0


def check(ok, what):
    global failures
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


def udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(addr)
    return s


sa, sb, r1, r2 = udp(A), udp(B), udp(RELAY1), udp(RELAY2)
ng_log = []           # (relay address, request dict)
query_result = "ok"   # what the relay says to a query


def relay_reply(sock, data, src):
    cookie, _, body = data.partition(b" ")
    req, _ = bdec(body)
    cmd = req.get("command", "")
    ng_log.append((sock.getsockname(), req))
    rep = {"result": "ok"}
    if cmd in ("offer", "answer"):
        sdp = req.get("sdp", "")
        sdp = re.sub(r"c=IN IP4 \S+", "c=IN IP4 " + RELAY_SDP_IP, sdp)
        sdp = re.sub(r"m=audio \d+", "m=audio 30000", sdp)
        rep["sdp"] = sdp
    elif cmd == "ping":
        rep = {"result": "pong"}
    elif cmd == "query" and query_result != "ok":
        rep = {"result": "error", "error-reason": "Unknown call-id"}
    sock.sendto(cookie + b" " + benc(rep), src)


def pump(secs, want=None):
    """Serve the relays and collect SIP until want(msgs) is true or secs pass.
    Returns the SIP messages received as (socket name, text, time)."""
    got = []
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0 or (want and want(got)):
            return got
        r, _, _ = select.select([sa, sb, r1, r2], [], [], left)
        for s in r:
            data, src = s.recvfrom(65535)
            if s in (r1, r2):
                relay_reply(s, data, src)
            else:
                got.append(("A" if s is sa else "B", data.decode(errors="replace"), time.monotonic()))


def hdr(msg, name):
    m = re.search(r"^" + name + r":\s*(.*?)\r$", msg, re.M | re.I)
    return m.group(1) if m else ""


def first_line(msg):
    return msg.split("\r\n", 1)[0]


def metric(name):
    try:
        text = urllib.request.urlopen(METRICS, timeout=2).read().decode()
    except OSError:
        return -1
    m = re.search(r"^pierce_proxy_" + name + r"_total (\d+)$", text, re.M)
    return int(m.group(1)) if m else -1


def send(sock, text):
    sock.sendto(text.replace("\n", "\r\n").encode(), PROXY)


SDP_A = "v=0\no=- 1 1 IN IP4 10.0.1.10\ns=-\nc=IN IP4 10.0.1.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
SDP_B = "v=0\no=- 2 2 IN IP4 10.20.0.5\ns=-\nc=IN IP4 10.20.0.5\nt=0 0\nm=audio 5000 RTP/AVP 0\n"


def invite(call, cseq, sdp=SDP_A, branch=None):
    body = sdp.replace("\n", "\r\n")
    return ("INVITE sip:bob@b.test SIP/2.0\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\n"
            "Max-Forwards: 70\nFrom: <sip:alice@a.test>;tag=ta%s\nTo: <sip:bob@b.test>\n"
            "Call-ID: %s\nCSeq: %d INVITE\nContact: <sip:alice@%s:%d>\n"
            "Content-Type: application/sdp\nContent-Length: %d\n\n" %
            (A[0], A[1], branch or "z9hG4bK-a-" + call, call, call, cseq, A[0], A[1], len(body))) + sdp


def response_to(req, code, reason, to_tag, sdp=None, contact=True):
    """B's answer to a request the proxy forwarded: Vias, From, To, Call-ID, CSeq copied."""
    lines = [l for l in req.split("\r\n")[1:] if l]
    keep = [l for l in lines if re.match(r"(Via|From|Call-ID|CSeq|Record-Route):", l, re.I)]
    to = hdr(req, "To")
    if to_tag and "tag=" not in to:
        to += ";tag=" + to_tag
    out = ["SIP/2.0 %d %s" % (code, reason)] + keep + ["To: " + to]
    if contact:
        out.append("Contact: <sip:bob@10.20.0.5:%d>" % B[1])
    body = (sdp or "").replace("\n", "\r\n")
    if body:
        out.append("Content-Type: application/sdp")
    out.append("Content-Length: %d" % len(body))
    return "\r\n".join(out) + "\r\n\r\n" + body


def of(got, who, pattern):
    return [m for w, m, _ in got if w == who and re.search(pattern, first_line(m))]


# ---- registration and publication -------------------------------------------
send(sb, "REGISTER sip:b.test SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-r1;rport\nMax-Forwards: 70\n"
     "From: <sip:bob@b.test>;tag=rb\nTo: <sip:bob@b.test>\nCall-ID: reg-b\nCSeq: 1 REGISTER\n"
     "Contact: <sip:bob@10.20.0.5:%d>\nExpires: 3600\nContent-Length: 0\n\n" % (B[0], B[1], B[1]))
got = pump(3, lambda g: of(g, "B", r"^SIP/2.0 200"))
check(of(got, "B", r"^SIP/2.0 200"), "phone B registered (private Contact, so its calls are relayed)")
pub0 = metric("publish_sent")
got = pump(7)
check(metric("publish_shortened") >= 1, "the redirect server granted 4 s of the 3600 asked: noticed")
check(metric("publish_sent") >= pub0 + 2,
      "re-published before the granted 4 s ran out (%d -> %d publications in 7 s)" % (pub0, metric("publish_sent")))

# ---- timer G: a final non-2xx is resent to A until its ACK -------------------
send(sa, invite("busy1", 1))
got = pump(3, lambda g: of(g, "B", r"^INVITE"))
inv = of(got, "B", r"^INVITE")
check(inv, "the INVITE reached phone B")
if inv:
    sb.sendto(response_to(inv[0], 486, "Busy Here", "tb1").encode(), PROXY)
got = pump(2.2)
busy = [t for w, m, t in got if w == "A" and first_line(m).startswith("SIP/2.0 486")]
check(len(busy) >= 3, "486 sent to A %d times in 2.2 s without an ACK (timer G: 0, 0.5, 1.5 s)" % len(busy))
if busy:
    resp = [m for w, m, _ in got if w == "A" and first_line(m).startswith("SIP/2.0 486")][0]
    send(sa, "ACK sip:bob@b.test SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-a-busy1;rport\n"
         "Max-Forwards: 70\nFrom: <sip:alice@a.test>;tag=tabusy1\nTo: %s\nCall-ID: busy1\nCSeq: 1 ACK\n"
         "Content-Length: 0\n\n" % (A[0], A[1], hdr(resp, "To")))
    time.sleep(0.05)
    pump(0.3)
    got = pump(4.5)
    check(not of(got, "A", r"^SIP/2.0 486"), "no 486 after A's ACK")
check(metric("tx_retransmissions") >= 2, "tx_retransmissions counted")

# ---- a relayed call: B's public address in the ng answer ---------------------
ng_log.clear()
send(sa, invite("call2", 20))
got = pump(3, lambda g: of(g, "B", r"^INVITE"))
inv = of(got, "B", r"^INVITE")
check(inv and RELAY_SDP_IP in inv[0], "B got the INVITE with the relay's SDP")
ok200 = response_to(inv[0], 200, "OK", "tb2", SDP_B) if inv else ""
sb.sendto(ok200.encode(), PROXY)
got = pump(3, lambda g: of(g, "A", r"^SIP/2.0 200"))
oks = of(got, "A", r"^SIP/2.0 200")
check(oks and "c=IN IP4 " + RELAY_SDP_IP in oks[0] and "c=IN IP4 10.20.0.5" not in oks[0],
      "A got the 200 with the relay's SDP")
answers = [req for _, req in ng_log if req.get("command") == "answer"]
rf = answers[0].get("received-from") if answers else None
check(bool(rf) and list(rf)[-1:] == [B[0]],
      "ng answer received-from names B's own address %s (got %r)" % (B[0], rf))
callee_contact = ""
if oks:
    callee_contact = re.search(r"<([^>]*)>", hdr(oks[0], "Contact")).group(1)
    check(callee_contact.endswith("%s:%d" % B), "the 200's Contact was fixed to B's observed address: " +
          callee_contact)
    rr = [re.search(r"<([^>]*)>", l).group(1) for l in re.findall(r"^Record-Route:\s*(.*?)\r$", oks[0], re.M)]
    route = "".join("Route: <%s>\n" % u for u in rr)
    to_a = hdr(oks[0], "To")
    send(sa, "ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-ack2;rport\n%sMax-Forwards: 70\n"
         "From: <sip:alice@a.test>;tag=tacall2\nTo: %s\nCall-ID: call2\nCSeq: 20 ACK\nContent-Length: 0\n\n" %
         (callee_contact, A[0], A[1], route, to_a))
    # in-dialog requests both ways set the CSeq a media-timeout BYE continues from
    send(sa, "INFO %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-info-a;rport\n%sMax-Forwards: 70\n"
         "From: <sip:alice@a.test>;tag=tacall2\nTo: %s\nCall-ID: call2\nCSeq: 25 INFO\nContent-Length: 0\n\n" %
         (callee_contact, A[0], A[1], route, to_a))
    got = pump(3, lambda g: of(g, "B", r"^INFO"))
    info = of(got, "B", r"^INFO")
    check(info, "A's INFO reached B")
    if info:
        sb.sendto(response_to(info[0], 200, "OK", None, contact=False).encode(), PROXY)
    send(sb, "INFO sip:alice@%s:%d SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-info-b;rport\n"
         "Route: <%s>\nMax-Forwards: 70\nFrom: %s\nTo: <sip:alice@a.test>;tag=tacall2\nCall-ID: call2\n"
         "CSeq: 7 INFO\nContent-Length: 0\n\n" % (A[0], A[1], B[0], B[1], rr[0] if rr else "sip:127.0.0.2;lr", to_a))
    got = pump(3, lambda g: of(g, "A", r"^INFO"))
    info = of(got, "A", r"^INFO")
    check(info, "B's INFO reached A")
    if info:
        send(sa, response_to(info[0], 200, "OK", None, contact=False))
    pump(0.5)

# ---- B's 2xx retransmission after the transaction is gone (> 32 s) ----------
if ok200 and long_wait:
    print("waiting 34 s for the INVITE transaction to end", flush=True)
    pump(34)
    sb.sendto(ok200.encode(), PROXY)
    got = pump(3, lambda g: of(g, "A", r"^SIP/2.0 200"))
    oks = of(got, "A", r"^SIP/2.0 200")
    body = oks[0].split("\r\n\r\n", 1)[1] if oks else ""
    check(oks and "c=IN IP4 " + RELAY_SDP_IP in body and "c=IN IP4 10.20.0.5" not in body,
          "B's 2xx resent after 34 s reached A with the relay's SDP, not B's")
elif not long_wait:
    print("NOT RUN (QUICK=1): B's 2xx resent after 34 s", flush=True)

# ---- media timeout: BYE to each side one above its direction's CSeq ----------
query_result = "error"
got = pump(13, lambda g: of(g, "A", r"^BYE") and of(g, "B", r"^BYE"))
bye_a, bye_b = of(got, "A", r"^BYE"), of(got, "B", r"^BYE")
check(bye_a and hdr(bye_a[0], "CSeq") == "8 BYE", "BYE to A carries CSeq 8 (B's last 7 + 1): %r" %
      (hdr(bye_a[0], "CSeq") if bye_a else None))
check(bye_b and hdr(bye_b[0], "CSeq") == "26 BYE", "BYE to B carries CSeq 26 (A's last 25 + 1): %r" %
      (hdr(bye_b[0], "CSeq") if bye_b else None))
query_result = "ok"

# ---- SIGHUP: another relay and a rate limit ----------------------------------
with open(config, "w") as f:
    f.write("relay = udp:%s:%d\nrate-limit = 5/s\nnat-policy = always\n" % RELAY2)
os.kill(proxy_pid, signal.SIGHUP)
pump(0.5)
ng_log.clear()
send(sa, invite("call3", 30))
got = pump(3, lambda g: of(g, "B", r"^INVITE"))
offers = [addr for addr, req in ng_log if req.get("command") == "offer"]
check(offers and offers[0] == RELAY2, "after SIGHUP the new call's offer went to the new relay: %r" % offers)
inv = of(got, "B", r"^INVITE")
if inv:
    sb.sendto(response_to(inv[0], 486, "Busy Here", "tb3").encode(), PROXY)
    pump(0.5)
limited0 = metric("rx_rate_limited")
flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flood.bind(("127.0.0.9", 0))
for i in range(40):
    flood.sendto(("OPTIONS sip:127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9:1;branch=z9hG4bK-f%d\r\n"
                  "Max-Forwards: 70\r\nFrom: <sip:f@x>;tag=f\r\nTo: <sip:127.0.0.2>\r\nCall-ID: f%d\r\n"
                  "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (i, i)).encode(), PROXY)
pump(0.5)
check(metric("rx_rate_limited") >= limited0 + 20, "after SIGHUP the rate limit of 5/s holds back a burst of 40")
sys.exit(failures)

#!/usr/bin/python3
"""Sets up N calls on an ng media relay (rtpengine or pierce-relay) the way a
SIP proxy would (offer with phone A's SDP, answer with phone B's SDP), many
requests in flight at once, and writes a pierce-rtpgen streams file that
sends each phone's RTP to the relay port the relay gave it.

Usage: ngcalls.py --server IP:PORT --calls N --a-ip IP --b-ip IP
                  --streams-out FILE --json-out FILE [--sockets S]
                  [--port-base P] [--window W] [--max-fail F] [--budget-s T]

Phone ports: call i's phone A is A-IP:(P + 2*(i mod S)), phone B likewise
on B-IP, so at most S sockets per side (calls share sockets beyond S; the
streams are told apart by their probe). The streams file lists every A
stream (call order) and then every B stream: "LOCAL REMOTE".

Stops early after F failed calls (the relay is full: rtpengine's sockets or
a port range) or when T seconds have passed; what was set up is used.
JSON out: requested, established, failed, seconds, calls_per_s, first error.
Exit status: 0 when at least one call was set up, 1 otherwise, 2 bad usage.
"""
import argparse
import json
import os
import re
import select
import socket
import sys
import time

# bencode as tools/bench/peers/ngquery.py speaks it
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from ngquery import dec, enc  # noqa: E402

M_PORT = re.compile(r"^m=audio (\d+) ", re.M)
C_ADDR = re.compile(r"^c=IN IP[46] (\S+)", re.M)
RETRIES = 3
TIMEOUT_S = 1.0


def sdp(ip, port, sess):
    fam = "IP6" if ":" in ip else "IP4"
    return ("v=0\r\no=- %d 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % (sess, fam, ip, fam, ip, port)


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


def fmt(ip, port):
    return "[%s]:%d" % (ip, port) if ":" in ip else "%s:%d" % (ip, port)


class Call:
    __slots__ = ("i", "stage", "a_port", "b_port", "to_a", "to_b")

    def __init__(self, i):
        self.i, self.stage = i, "offer"
        self.a_port = self.b_port = 0
        self.to_a = self.to_b = None


def request(call, a):
    i = call.i
    cid = "bench-%d@pierce" % i
    if call.stage == "offer":
        return {"command": "offer", "call-id": cid, "from-tag": "fa%d" % i,
                "sdp": sdp(a.a_ip, call.a_port, i)}
    return {"command": "answer", "call-id": cid, "from-tag": "fa%d" % i, "to-tag": "tb%d" % i,
            "sdp": sdp(a.b_ip, call.b_port, i)}


def relay_of(reply):
    body = reply.get("sdp", "")
    m, c = M_PORT.search(body), C_ADDR.search(body)
    if not m or not c:
        raise ValueError("reply SDP without c= or m=audio")
    return c.group(1), int(m.group(1))


def run(a):
    host, port = hostport(a.server)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.setblocking(False)
    dest = (host, port)
    todo = iter(range(a.calls))
    inflight = {}  # cookie -> [call, payload, sent_at, tries]
    done, failed, first_err, nxt = [], 0, None, 0
    t0 = time.monotonic()
    deadline = t0 + a.budget_s

    def send(call, cookie=None):
        nonlocal nxt
        if cookie is None:
            cookie = b"%x" % nxt
            nxt += 1
            payload = cookie + b" " + enc(request(call, a))
            inflight[cookie] = [call, payload, 0.0, 0]
        ent = inflight[cookie]
        ent[2], ent[3] = time.monotonic(), ent[3] + 1
        try:
            s.sendto(ent[1], dest)
        except BlockingIOError:
            pass  # the timeout retransmits it

    def start_next():
        i = next(todo, None)
        if i is None:
            return False
        c = Call(i)
        slot = i % a.sockets
        c.a_port = c.b_port = a.port_base + 2 * slot
        send(c)
        return True

    exhausted = False
    while True:
        now = time.monotonic()
        stop = failed >= a.max_fail or now > deadline
        while not stop and not exhausted and len(inflight) < a.window:
            exhausted = not start_next()
        if not inflight:
            break
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            for _ in range(256):
                try:
                    data = s.recv(1 << 16)
                except BlockingIOError:
                    break
                ck, _, body = data.partition(b" ")
                ent = inflight.pop(ck, None)
                if ent is None:
                    continue  # a late reply to a retransmission
                call = ent[0]
                try:
                    reply, _ = dec(body)
                    if not isinstance(reply, dict) or reply.get("result") != "ok":
                        raise ValueError("%s: %s" % (reply.get("result") if isinstance(reply, dict) else "?",
                                                     reply.get("error-reason", "") if isinstance(reply, dict) else ""))
                    ip, rport = relay_of(reply)
                except ValueError as e:
                    failed += 1
                    first_err = first_err or "call %d %s: %s" % (call.i, call.stage, e)
                    continue
                if call.stage == "offer":
                    call.to_b, call.stage = (ip, rport), "answer"
                    if not (failed >= a.max_fail or time.monotonic() > deadline):
                        send(call)
                else:
                    call.to_a = (ip, rport)
                    done.append(call)
        now = time.monotonic()
        for ck in [k for k, e in inflight.items() if now - e[2] > TIMEOUT_S]:
            if inflight[ck][3] > RETRIES:
                failed += 1
                first_err = first_err or "call %d %s: no reply" % (inflight[ck][0].i, inflight[ck][0].stage)
                del inflight[ck]
            else:
                send(inflight[ck][0], ck)
    secs = time.monotonic() - t0
    done.sort(key=lambda c: c.i)
    with open(a.streams_out, "w") as f:
        for c in done:
            f.write("%s %s\n" % (fmt(a.a_ip, c.a_port), fmt(*c.to_a)))
        for c in done:
            f.write("%s %s\n" % (fmt(a.b_ip, c.b_port), fmt(*c.to_b)))
    doc = {"requested": a.calls, "established": len(done), "failed": failed,
           "stopped_early": len(done) + failed < a.calls, "seconds": round(secs, 3),
           "calls_per_s": round(len(done) / secs, 1) if secs > 0 else 0,
           "sockets_per_side": min(a.sockets, a.calls), "first_error": first_err}
    with open(a.json_out, "w") as f:
        json.dump(doc, f)
    print("ngcalls: %d of %d calls set up in %.1f s (%d failed)%s" % (
        len(done), a.calls, secs, failed, ("; first error: " + first_err) if first_err else ""))
    return 0 if done else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", required=True)
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--a-ip", required=True)
    p.add_argument("--b-ip", required=True)
    p.add_argument("--streams-out", required=True)
    p.add_argument("--json-out", required=True)
    p.add_argument("--sockets", type=int, default=8000)
    p.add_argument("--port-base", type=int, default=10000)
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--max-fail", type=int, default=50)
    p.add_argument("--budget-s", type=float, default=120)
    a = p.parse_args()
    if not 1 <= a.calls <= 1000000 or not 1 <= a.sockets <= 16384 or not 1 <= a.window <= 4096:
        p.error("--calls 1..1000000, --sockets 1..16384, --window 1..4096")
    if a.port_base < 1024 or a.port_base + 2 * min(a.sockets, a.calls) > 65535:
        p.error("phone ports must fit in 1024..65535")
    return run(a)


if __name__ == "__main__":
    sys.exit(main())

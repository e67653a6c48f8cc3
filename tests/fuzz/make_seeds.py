#!/usr/bin/env python3
"""Writes the generated seed corpora under tests/fuzz/corpus/ (the RFC 4475
messages are copied as they are). Run from anywhere; rerun after editing."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\xff\xfe\xfd\xfc"  # fuzz_split.h


def ben(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, D):  # keys in the order given (Kamailio does not sort them)
        return b"d" + b"".join(ben(k) + ben(x) for k, x in v) + b"e"
    return b"l" + b"".join(ben(x) for x in v) + b"e"


class D(list):
    """A bencode dictionary as (key, value) pairs, in wire order."""


def sdp(ip, port, extra="", fam="IP4", media=None):
    s = ("v=0\r\no=- 1545997027 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n" % (fam, ip, fam, ip))
    for m in media or ["m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n" % port]:
        s += m
    return s + extra


SDPS = {
    "plain": sdp("192.168.1.10", 4000),
    "ipv6": sdp("2001:db8::10", 4000, fam="IP6"),
    "rtcp_attr": sdp("10.0.1.10", 4000, "a=rtcp:4011 IN IP4 10.0.1.10\r\n"),
    "rtcp_mux_ice": sdp("10.0.1.10", 4000, "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef01234567\r\n"
                        "a=candidate:1 1 UDP 2130706431 10.0.1.10 4000 typ host\r\n"),
    "hold_zero": sdp("0.0.0.0", 4000, "a=sendonly\r\n"),
    "two_media": sdp("10.0.1.10", 4000, media=["m=audio 4000 RTP/AVP 0\r\n",
                                                "m=video 4002 RTP/AVP 96\r\nc=IN IP4 10.0.1.11\r\na=rtpmap:96 H264/90000\r\n"]),
    "disabled": sdp("10.0.1.10", 4000, media=["m=audio 0 RTP/AVP 0\r\n", "m=audio 4002 RTP/AVP 8\r\n"]),
    "relayed": sdp("203.0.113.1", 30000, "a=nortpproxy:yes\r\na=pierce-relay:r1\r\n"),
    "lf_only": sdp("10.0.1.10", 4000).replace("\r\n", "\n"),
    "fqdn": sdp("phone.example.com", 4000),
}


def ng(cookie, items):
    return cookie.encode() + b" " + ben(D(items))


def kamailio_offer(call, tag, body, src="192.168.1.10"):
    # the order and keys of Kamailio 5.6's rtpengine module
    return [("supports", ["load limit"]), ("sdp", body), ("ICE", "remove"),
            ("flags", ["trust-address"]), ("replace", ["origin", "session-connection"]),
            ("received-from", ["IP4", src]), ("call-id", call), ("from-tag", tag), ("command", "offer")]


def ng_seeds():
    a = SDPS["plain"]
    b = sdp("10.20.0.5", 5000)
    offer = ng("5_1", kamailio_offer("c1@host", "ta", a))
    answer = ng("5_2", [("supports", ["load limit"]), ("sdp", b), ("ICE", "remove"), ("flags", ["trust-address"]),
                        ("replace", ["origin", "session-connection"]), ("received-from", ["IP4", "10.20.0.5"]),
                        ("call-id", "c1@host"), ("from-tag", "ta"), ("to-tag", "tb"), ("command", "answer")])
    delete = ng("5_3", [("supports", ["load limit"]), ("received-from", ["IP4", "192.168.1.10"]),
                        ("call-id", "c1@host"), ("from-tag", "ta"), ("to-tag", "tb"), ("command", "delete")])
    out = {
        "ping": ng("1", [("command", "ping")]),
        "offer_kamailio": offer,
        "answer": answer,
        "delete_received_from": delete,
        "query": ng("q1", [("command", "query"), ("call-id", "c1@host")]),
        "list": ng("l1", [("command", "list"), ("limit", 5)]),
        "statistics": ng("s1", [("command", "statistics")]),
        "offer_v6": ng("6_1", [("command", "offer"), ("call-id", "c6"), ("from-tag", "x"), ("sdp", SDPS["ipv6"]),
                               ("address family", "IP6"), ("flags", ["SIP-source-address", "asymmetric"])]),
        "offer_flags": ng("7_1", [("command", "offer"), ("call-id", "c7"), ("from-tag", "x"),
                                  ("sdp", SDPS["rtcp_mux_ice"]), ("rtcp-mux", ["demux"]), ("TOS", 0),
                                  ("flags", ["loop-protect", "strict-source", "media-handover", "no-rtcp-attribute"]),
                                  ("media-address", "198.51.100.9"), ("delete-delay", 0)]),
        "offer_two_media": ng("8_1", [("command", "offer"), ("call-id", "c8"), ("from-tag", "x"),
                                      ("sdp", SDPS["two_media"])]),
        "offer_hold": ng("9_1", [("command", "offer"), ("call-id", "c9"), ("from-tag", "x"), ("sdp", SDPS["hold_zero"])]),
        "unknown_command": ng("u", [("command", "block media"), ("call-id", "c1")]),
        "no_cookie": ben(D([("command", "ping")])),
        "call_sequence": SEP.join([offer, offer, answer, ng("q", [("command", "query"), ("call-id", "c1@host")]),
                                   delete, delete]),
        "reoffer_sequence": SEP.join([offer, answer, ng("5_4", kamailio_offer("c1@host", "tb", b, "10.20.0.5")),
                                      ng("5_5", [("command", "answer"), ("call-id", "c1@host"), ("from-tag", "tb"),
                                                 ("to-tag", "ta"), ("sdp", a)]), delete]),
    }
    return out


def bencode_seeds():
    s = {k: v.split(b" ", 1)[1] for k, v in ng_seeds().items() if b" " in v and SEP not in v}
    s.update({"int_neg": b"i-42e", "list_nested": b"lli1eli2eee", "dup_keys": b"d1:ai1e1:ai2ee",
              "empty_str": b"0:", "big_int": b"i9223372036854775807e"})
    return s


def sdp_seeds():
    # first byte: rewrite options (fuzz_relay_sdp.c)
    out = {k: b"\x00" + v.encode() for k, v in SDPS.items()}
    out.update({k + "_opts": bytes([0xc7]) + v.encode() for k, v in SDPS.items()})
    return out


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


if __name__ == "__main__":
    write("fuzz_common_bencode", bencode_seeds())
    write("fuzz_relay_ng", ng_seeds())
    write("fuzz_relay_sdp", sdp_seeds())


def sip(start, hdrs, body=""):
    h = start + "\r\n" + "".join(x + "\r\n" for x in hdrs)
    if body:
        h += "Content-Type: application/sdp\r\n"
    return h + "Content-Length: %d\r\n\r\n%s" % (len(body), body)


def proxy_seeds():
    """fuzz_proxy_message.c: parts of <kind byte><payload>; kind 0 phone A
    (198.51.100.7:40000), 1 phone B / next hop, 2 A over TCP, 3 relay reply
    (empty: canned ok with SDP), 4 tick."""
    A, B, RELAY, TICK = b"\x00", b"\x01", b"\x03", b"\x04"
    call = "Call-ID: call1@10.0.1.10"
    via_a = "Via: SIP/2.0/UDP 10.0.1.10:5060;branch=z9hG4bK-a1;rport"
    frm = "From: <sip:alice@example.com>;tag=ta"
    reg = sip("REGISTER sip:example.com SIP/2.0",
              ["Via: SIP/2.0/UDP 10.20.0.5:5060;branch=z9hG4bK-r1;rport", "Max-Forwards: 70",
               "From: <sip:bob@example.com>;tag=r1", "To: <sip:bob@example.com>", "Call-ID: reg1@10.20.0.5",
               "CSeq: 1 REGISTER", "Contact: <sip:bob@10.20.0.5:5060>", "Expires: 3600"])
    invite = sip("INVITE sip:bob@example.com SIP/2.0",
                 [via_a, "Max-Forwards: 70", frm, "To: <sip:bob@example.com>", call, "CSeq: 1 INVITE",
                  "Contact: <sip:alice@10.0.1.10:5060>"], sdp("10.0.1.10", 4000))
    pvia = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpp0"
    ok = sip("SIP/2.0 200 OK", [pvia, via_a + ";received=198.51.100.7;rport=40000", frm,
                                "To: <sip:bob@example.com>;tag=tb", call, "CSeq: 1 INVITE",
                                "Contact: <sip:bob@10.20.0.5:5060>"], sdp("10.20.0.5", 5000))
    ringing = ok.replace("200 OK", "180 Ringing").split("Content-Type")[0] + "Content-Length: 0\r\n\r\n"
    ack = sip("ACK sip:bob@10.20.0.5:5060 SIP/2.0", [via_a.replace("a1", "a2"), "Max-Forwards: 70", frm,
                                                     "To: <sip:bob@example.com>;tag=tb", call, "CSeq: 1 ACK"])
    bye = sip("BYE sip:bob@10.20.0.5:5060 SIP/2.0", [via_a.replace("a1", "a3"), "Max-Forwards: 70", frm,
                                                     "To: <sip:bob@example.com>;tag=tb", call, "CSeq: 2 BYE"])
    cancel = sip("CANCEL sip:bob@example.com SIP/2.0", [via_a, "Max-Forwards: 70", frm, "To: <sip:bob@example.com>",
                                                        call, "CSeq: 1 CANCEL"])
    options = sip("OPTIONS sip:192.0.2.1 SIP/2.0", [via_a, "Max-Forwards: 70", frm, "To: <sip:192.0.2.1>",
                                                    "Call-ID: o1", "CSeq: 1 OPTIONS"])
    e = lambda *parts: SEP.join(parts)
    b = lambda s: s.encode()
    out = {
        "register": B + b(reg),
        "options": A + b(options),
        "call": e(B + b(reg), A + b(invite), RELAY, B + b(ringing), B + b(ok), RELAY, A + b(ack), A + b(bye),
                  B + b(ok.replace("1 INVITE", "2 BYE").replace(pvia, pvia + "1")), RELAY, TICK),
        "call_cancel": e(B + b(reg), A + b(invite), RELAY, A + b(cancel)),
        "invite_unknown_user": e(A + b(invite.replace("bob@", "carol@"))),
        "invite_relay_error": e(B + b(reg), A + b(invite), RELAY + b"d6:result5:error12:error-reason3:bade"),
        "invite_tcp": e(B + b(reg), b"\x02" + b(invite), RELAY),
    }
    rfc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "rfc4475")
    if os.path.isdir(rfc):
        for f in sorted(os.listdir(rfc)):
            if f.endswith(".dat"):
                with open(os.path.join(rfc, f), "rb") as fh:
                    out["rfc4475_" + f[:-4]] = A + fh.read()
    return out


if __name__ == "__main__":
    write("fuzz_proxy_message", proxy_seeds())

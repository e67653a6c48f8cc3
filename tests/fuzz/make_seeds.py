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

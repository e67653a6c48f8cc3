#!/usr/bin/python3
"""Sends one ng control command (rtpengine's protocol: a cookie, a space and
a bencoded dictionary, over UDP) and prints the reply as JSON.

Usage: ngquery.py HOST:PORT COMMAND [KEY=VALUE...] [--timeout S]
                  [--field PATH | --len PATH]
       ngquery.py HOST:PORT --json REQUEST [--cookie C] [--any-result]
                  [--noreply-ok] [--timeout S]
  e.g. ngquery.py 10.0.0.1:2223 statistics
       ngquery.py 10.0.0.1:2223 delete call-id=abc from-tag=x
       ngquery.py 10.0.0.1:2223 list --len calls
  --field PATH  prints only that member (dot-separated keys, list indexes)
  --len PATH    prints only the number of members of a list or dictionary
  --json REQ    sends the JSON object REQ as the whole request; without
                --field or --len prints the reply as one line of JSON (the
                e2e tests' ng client, tests/e2e/lib.sh ng_json)
  --cookie C    uses cookie C instead of a random one
  --any-result  exit 0 for any matching reply, "error" results too
  --noreply-ok  prints "noreply" and exits 0 when no reply comes in time
Exit status: 0 with a reply whose result is not "error" (and that holds
PATH), 1 otherwise.
"""
import json
import os
import socket
import sys


def enc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(enc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(enc(k) + enc(x) for k, x in v.items()) + b"e"
    raise TypeError(type(v))


def dec(b, i=0, depth=0):
    if depth > 32:
        raise ValueError("nested too deep")
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        out = [] if c == b"l" else {}
        while b[i:i + 1] != b"e":
            if i >= len(b):
                raise ValueError("truncated")
            v, i = dec(b, i, depth + 1)
            if c == b"l":
                out.append(v)
            else:
                x, i = dec(b, i, depth + 1)
                out[v] = x
        return out, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    if n < 0 or j + 1 + n > len(b):
        raise ValueError("string runs past the end")
    return b[j + 1:j + 1 + n].decode(errors="replace"), j + 1 + n


def take_opt(argv, name):
    if name not in argv:
        return None
    k = argv.index(name)
    if k + 1 >= len(argv):
        raise SystemExit("ngquery: %s needs a value" % name)
    v = argv[k + 1]
    del argv[k:k + 2]
    return v


def flag(argv, name):
    if name not in argv:
        return False
    argv.remove(name)
    return True


def lookup(v, path):
    for p in path.split("."):
        if isinstance(v, list) and p.isdigit() and int(p) < len(v):
            v = v[int(p)]
        elif isinstance(v, dict) and p in v:
            v = v[p]
        else:
            raise KeyError(path)
    return v


def main(argv):
    timeout = float(take_opt(argv, "--timeout") or 2.0)
    field = take_opt(argv, "--field")
    length = take_opt(argv, "--len")
    request = take_opt(argv, "--json")
    cookie = take_opt(argv, "--cookie") or os.urandom(6).hex()
    any_result = flag(argv, "--any-result")
    noreply_ok = flag(argv, "--noreply-ok")
    if len(argv) < (2 if request is not None else 3):
        print(__doc__, file=sys.stderr)
        return 2
    host, port = argv[1].rsplit(":", 1)
    host = host.strip("[]")
    if request is not None:
        msg = json.loads(request)
    else:
        msg = {"command": argv[2]}
        for kv in argv[3:]:
            k, v = kv.split("=", 1)
            msg[k] = v
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(cookie.encode() + b" " + enc(msg), (host, int(port)))
    try:
        data, _ = s.recvfrom(1 << 20)
    except socket.timeout:
        if noreply_ok:
            print("noreply")
            return 0
        print("ngquery: no reply from %s within %.1fs" % (argv[1], timeout), file=sys.stderr)
        return 1
    ck, _, body = data.partition(b" ")
    if ck.decode(errors="replace") != cookie:
        print("ngquery: reply cookie does not match", file=sys.stderr)
        return 1
    reply, end = dec(body)
    if end != len(body):
        print("ngquery: trailing bytes after the reply", file=sys.stderr)
        return 1
    ok = isinstance(reply, dict) and (any_result or reply.get("result") != "error")
    try:
        if field is not None:
            v = lookup(reply, field)
            print(v if isinstance(v, (str, int)) else json.dumps(v, sort_keys=True))
        elif length is not None:
            print(len(lookup(reply, length)))
        elif request is not None:
            print(json.dumps(reply))
        else:
            print(json.dumps(reply, indent=1, sort_keys=True))
    except KeyError:
        print("ngquery: no %s in the reply: %s" % (field or length, json.dumps(reply)), file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

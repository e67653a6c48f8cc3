#!/bin/bash
# RFC 4475 torture messages against pierce-proxy on loopback: each .dat goes
# over UDP, the first answer (or silence) is checked against what a proxy
# should do (testdata README), and the proxy must still answer afterwards.
# A stub redirect server answers 404, so "forward" cases end in a 404 here.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
DATA=${TORTURE_DATA:-$(cd "$(dirname "$0")/../data/rfc4475" && pwd)}
PROXY=$BUILD/pierce-proxy
[ -x "$PROXY" ] || { echo "FAIL: $PROXY not built" >&2; exit 1; }
[ -d "$DATA" ] || { echo "FAIL: no torture data in $DATA" >&2; exit 1; }

TMP=$(mktemp -d /tmp/pt$$.XXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PPORT=$(port)
RPORT=$(port)
REGPORT=$(port) # REGISTERs go to a second proxy: their bindings must not reroute the other files

# the stub redirect server: 404 to every request, bounded lifetime
cat >"$TMP/redirect.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.5)
end = time.time() + 120
while time.time() < end:
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        continue
    text = data.decode("latin-1")
    if text.startswith("SIP/") or text.startswith("ACK "):
        continue
    head = text.split("\r\n\r\n")[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq", "v", "f", "t", "i")]
    resp = "SIP/2.0 404 Not Found\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    s.sendto(resp.encode("latin-1"), src)
PY
python3 "$TMP/redirect.py" "$RPORT" &
PIDS+=($!)

"$PROXY" --listen "127.0.0.1:$PPORT" --domain example.com --domain example.net --domain company.com \
	--redirect "127.0.0.1:$RPORT" --rate-limit 0 --nat-policy never ${PROXY_FLAGS:-} >"$TMP/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=($PROXY_PID)
"$PROXY" --listen "127.0.0.1:$REGPORT" --domain example.com --redirect "127.0.0.1:$RPORT" \
	--nat-policy never >"$TMP/registrar.log" 2>&1 &
REG_PID=$!
PIDS+=($REG_PID)
sleep 0.5
kill -0 "$PROXY_PID" || { cat "$TMP/proxy.log"; echo "FAIL: proxy did not start"; exit 1; }
kill -0 "$REG_PID" || { cat "$TMP/registrar.log"; echo "FAIL: second proxy did not start"; exit 1; }

# file -> accepted first final answers ("drop" = silence, "any" = any answer or silence)
declare -A EXPECT=(
	[wsinv]="404" [intmeth]="404 400" [esc01]="404" [escnull]="200" [esc02]="404 405"
	[lwsdisp]="404" [longreq]="404" [dblreq]="200" [semiuri]="404" [transports]="404"
	[mpart01]="404 drop" [unreason]="drop" [noreason]="drop"
	[badinv01]="400" [clerr]="400" [ncl]="400" [scalar02]="400" [scalarlg]="drop"
	[quotbal]="400" [ltgtruri]="400" [lwsruri]="400" [lwsstart]="400" [trws]="400 404"
	[escruri]="400" [baddate]="400 404" [regbadct]="400" [badaspec]="400" [baddn]="400"
	[badvers]="505" [mismatch01]="400" [mismatch02]="400" [bigcode]="drop"
	[badbranch]="404" [insuf]="400 drop" [unkscm]="416" [novelsc]="416 404" [unksm2]="200 400"
	[bext01]="420" [invut]="404" [regaut01]="200 401 403" [multi01]="400" [mcl01]="400"
	[bcast]="drop" [zeromf]="483" [cparam01]="200" [cparam02]="200" [regescrt]="200"
	[sdp01]="404" [inv2543]="404"
)

# sends one file and prints the first non-100 status it gets back, or "drop"
cat >"$TMP/send.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.sendto(open(sys.argv[2], "rb").read(), ("127.0.0.1", int(sys.argv[1])))
end = time.time() + float(sys.argv[3])
s.settimeout(0.2)
while time.time() < end:
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    parts = data.split(b" ", 2)
    if parts[0] == b"SIP/2.0" and parts[1] != b"100":
        print(parts[1].decode()); sys.exit(0)
print("drop")
PY

fails=0
for f in "$DATA"/*.dat; do
	name=$(basename "$f" .dat)
	want=${EXPECT[$name]:-}
	if [ -z "$want" ]; then
		echo "FAIL $name: no expectation in this test"; fails=$((fails + 1)); continue
	fi
	# answers come within a second; silence is waited for a little longer
	to=$PPORT
	if head -c 9 "$f" | grep -q '^REGISTER '; then to=$REGPORT; fi
	got=$(timeout 10 python3 "$TMP/send.py" "$to" "$f" 1.5)
	if [[ " $want " == *" $got "* ]]; then
		echo "ok   $name: $got"
	else
		echo "FAIL $name: got $got, want one of: $want"; fails=$((fails + 1))
	fi
	for pid in "$PROXY_PID" "$REG_PID"; do
		kill -0 "$pid" || { echo "FAIL: a proxy died on $name"; cat "$TMP"/*.log; exit 1; }
	done
done

# still alive and answering: OPTIONS to the proxy itself
cat >"$TMP/alive.sip" <<SIP
OPTIONS sip:127.0.0.1:$PPORT SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKalive$$
Max-Forwards: 70
To: <sip:127.0.0.1:$PPORT>
From: <sip:check@example.com>;tag=1
Call-ID: alive$$
CSeq: 1 OPTIONS
Content-Length: 0

SIP
sed -i 's/$/\r/' "$TMP/alive.sip"
got=$(timeout 10 python3 "$TMP/send.py" "$PPORT" "$TMP/alive.sip" 2)
[ "$got" = 200 ] || { echo "FAIL: proxy no longer answers OPTIONS ($got)"; fails=$((fails + 1)); }
kill -0 "$PROXY_PID" || { echo "FAIL: proxy died"; exit 1; }
echo "$fails failures"
[ "$fails" -eq 0 ]

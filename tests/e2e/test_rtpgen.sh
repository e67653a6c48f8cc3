#!/bin/bash
# pierce-rtpgen on the loopback of a namespace of its own (so its ports
# collide with nothing else): two instances exchange streams as two phones
# would; an echo peer returns a sender's own packets; a run against a port
# nobody listens on fails its loss threshold; bad flags exit 2.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
e2e_init

RTPGEN=$PWD/$BUILD/pierce-rtpgen
[ -x "$RTPGEN" ] || fail "$RTPGEN not built"
ns_create lo

# jget FILE EXPR: a value out of a JSON report
jget() {
	json_get "$2" <"$1" || fail "cannot read $2 from $1"
}

# The streams are 50 pps each; sane loopback jitter is far below a packet time.
MAX_JITTER_MS=10

bound() { # $1 = port: a UDP socket is bound to it inside the namespace
	nsx lo ss -Hunl "sport = :$1" | grep -q .
}

# ---- 1. bidirectional: each instance sends 4 streams and receives the other's
A_JSON=$E2E_TMP/a.json
B_JSON=$E2E_TMP/b.json
spawn lo "$E2E_TMP/a.log" "$RTPGEN" --streams 4 --local 127.0.0.1:20000 --remote 127.0.0.1:30000 \
	--duration 3 --json "$A_JSON" --max-loss 0 --max-jitter-ms $MAX_JITTER_MS --quiet
A_PID=$SPAWNED_PID
wait_for 5 "instance A bound its sockets" bound 20006
nsx lo "$RTPGEN" --streams 4 --local 127.0.0.1:30000 --remote 127.0.0.1:20000 \
	--duration 3 --json "$B_JSON" --max-loss 0 --max-jitter-ms $MAX_JITTER_MS --quiet >"$E2E_TMP/b.log" 2>&1
B_RC=$?
wait_pid 15 "$A_PID"
A_RC=$?
cat "$E2E_TMP/a.log" "$E2E_TMP/b.log"
assert_eq "$A_RC" 0 "instance A exits 0 (0 loss, jitter <= $MAX_JITTER_MS ms)"
assert_eq "$B_RC" 0 "instance B exits 0 (0 loss, jitter <= $MAX_JITTER_MS ms)"
for side in A B; do
	f=$E2E_TMP/${side,,}.json
	assert_eq "$(jget "$f" 'd["result"]')" pass "$side: result"
	assert_eq "$(jget "$f" 'd["totals"]["lost"]')" 0 "$side: lost"
	assert_eq "$(jget "$f" 'd["totals"]["silent_streams"]')" 0 "$side: silent streams"
	assert_eq "$(jget "$f" 'd["totals"]["duplicates"] + d["totals"]["stray"] + d["totals"]["invalid"]')" 0 \
		"$side: duplicates, stray and invalid packets"
	assert_eq "$(jget "$f" 'sum(s["tx_packets"] for s in d["streams_detail"])')" 600 "$side: sent 4 x 150 packets"
	assert_eq "$(jget "$f" 'all(s["jitter_ms"] <= '$MAX_JITTER_MS' for s in d["streams_detail"])')" True \
		"$side: every stream's jitter <= $MAX_JITTER_MS ms"
	assert_eq "$(jget "$f" '0 < d["totals"]["latency"]["p99_us"] < 50000')" True "$side: p99 latency in (0, 50 ms)"
	assert_eq "$(jget "$f" 'all(s["rx_from"] == s["remote"] for s in d["streams_detail"])')" True \
		"$side: each stream came from the port it sends to (symmetric RTP)"
done
# A listened before B started and until after B stopped: it got every packet of B.
for i in 0 1 2 3; do
	assert_eq "$(jget "$A_JSON" "d['streams_detail'][$i]['received']")" \
		"$(jget "$B_JSON" "d['streams_detail'][$i]['tx_packets']")" "A received all of B's stream $i"
done
# B started later: it misses A's first packets, but nothing after
assert_ge "$(jget "$B_JSON" 'd["totals"]["received"]')" 480 "B received most of A's packets"

# ---- 2. echo: a sender gets its own packets back and counts loss against what it sent
spawn lo "$E2E_TMP/echo.log" "$RTPGEN" --mode echo --streams 2 --local 127.0.0.1:21000 --duration 3 --quiet
ECHO_PID=$SPAWNED_PID
wait_for 5 "echo peer bound its sockets" bound 21002
nsx lo "$RTPGEN" --streams 2 --local 127.0.0.1:31000 --remote 127.0.0.1:21000 --rate 500 --duration 1 \
	--json "$E2E_TMP/c.json" --max-loss 0 --quiet >"$E2E_TMP/c.log" 2>&1
C_RC=$?
cat "$E2E_TMP/c.log"
assert_eq "$C_RC" 0 "echo client exits 0"
assert_eq "$(jget "$E2E_TMP/c.json" 'all(s["looped"] for s in d["streams_detail"])')" True "streams came back looped"
assert_eq "$(jget "$E2E_TMP/c.json" 'd["totals"]["expected"]')" 1000 "expected = packets sent (2 x 500)"
assert_eq "$(jget "$E2E_TMP/c.json" 'd["totals"]["received"]')" 1000 "every packet came back"
stop_pid "$ECHO_PID"

# ---- 3. many streams over few sockets: 8 streams on 2 sockets into a sink
spawn lo "$E2E_TMP/sink.log" "$RTPGEN" --mode sink --streams 8 --sockets 2 --local 127.0.0.1:22000 \
	--local-step 1 --duration 3 --json "$E2E_TMP/sink.json" --max-loss 0 --quiet
SINK_PID=$SPAWNED_PID
wait_for 5 "sink bound its sockets" bound 22001
nsx lo "$RTPGEN" --mode send --streams 8 --sockets 2 --remote 127.0.0.1:22000 --remote-step 0 --rate 200 \
	--duration 1 --quiet >"$E2E_TMP/send.log" 2>&1 || fail "sender to the shared sockets failed"
wait_pid 10 "$SINK_PID"
SINK_RC=$?
cat "$E2E_TMP/sink.log"
assert_eq "$SINK_RC" 0 "sink on shared sockets exits 0"
assert_eq "$(jget "$E2E_TMP/sink.json" '[s["received"] for s in d["streams_detail"]]')" \
	"[200, 200, 200, 200, 200, 200, 200, 200]" "each of 8 streams told apart on 2 sockets"

# ---- 4. nobody listens: the loss threshold must fail the run
nsx lo "$RTPGEN" --streams 2 --local 127.0.0.1:23000 --remote 127.0.0.1:39000 --duration 1 --max-loss 1 \
	--quiet >"$E2E_TMP/dead.log" 2>&1
DEAD_RC=$?
cat "$E2E_TMP/dead.log"
assert_eq "$DEAD_RC" 1 "a run against a port nobody listens on exits 1 with --max-loss 1"
assert_contains "$(cat "$E2E_TMP/dead.log")" "received nothing" "the failure says why"

# ---- 5. bad flags exit 2 with a message naming the problem
nsx lo "$RTPGEN" --local 127.0.0.1:1 --remote 127.0.0.1:2 --max-loss abc >"$E2E_TMP/bad.log" 2>&1
assert_eq "$?" 2 "a bad flag exits 2"
assert_contains "$(cat "$E2E_TMP/bad.log")" "--max-loss" "the message names the flag"

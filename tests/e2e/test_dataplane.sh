#!/bin/bash
# The XDP data plane end to end, with piercectl as the only control plane:
#
#   caller 10.0.1.10 ── lan ┐                  ┌ wan 203.0.113.1 ── r0 relay 203.0.113.10
#                           router (masquerade │                     (relay.bpf.o, XDP_TX)
#   callee 198.51.100.20 ── cal ┤  out of "wan") │
#   attacker 192.0.2.66 ─── atk ┘
#
# The relay has one interface, so relayed packets leave the way they came
# (XDP_TX) and the router carries them on. The caller's leg allows only the
# caller's post-NAT address (the router's public one, any port); the callee's
# leg allows the callee. Asserts delivery both ways, the source each side
# sees (the relay), the latched post-NAT source, XDP forwarding (fwd_tx up,
# the relay's UDP InDatagrams flat) and that an RTP Bleed attempt from a
# third host is dropped and counted.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
e2e_init

CTL=$BUILD/piercectl
for f in "$CTL" "$BUILD/bpf/relay.bpf.o" "$BUILD/bpf/pass.bpf.o"; do
	[ -e "$f" ] || fail "$f missing: build first (make BUILD=$BUILD)"
done

PORT_A=30000 # the caller sends here; forwarded to the callee
PORT_B=30002 # the callee sends here; forwarded to the caller
N=200        # datagrams each way
SIZE=172     # RTP header + 20 ms of G.711

topo_nat_relay

PIN=$(bpffs_dir relay)/pierce
ctl() {
	nsx relay "$CTL" --pin-dir "$PIN" "$@"
}
stat_of() { # reason
	ctl --json stats | json_get "d[\"$1\"][\"packets\"]"
}
leg_field() { # relay-port field
	ctl --json legs | json_get "[l for l in d if l['relay'] == '$RELAY:$1'][0]['$2']"
}

# ---- bad input is refused with a message and exit 2 ------------------------
out=$(ctl attach r0 --address 203.0.113.999 2>&1)
assert_eq "$?" 2 "attach with a bad address exits 2"
assert_contains "$out" "203.0.113.999" "the message names the bad address"
out=$(ctl attach r0 --address $RELAY --ports 40000-30000 2>&1)
assert_eq "$?" 2 "attach with a reversed port range exits 2"
out=$(ctl leg add --relay $RELAY:$PORT_A --policy sometimes --src $RELAY:$PORT_B 2>&1)
assert_eq "$?" 2 "leg add with an unknown policy exits 2"
assert_contains "$out" "sometimes" "the message names the bad policy"

# ---- load, attach, install the two legs -------------------------------------
assert_cmd "piercectl attach r0 (native)" ctl attach r0 --address $RELAY --ports 30000-30999
ip -n "$(ns relay)" link show r0 | grep -q xdp || fail "no XDP program on relay r0 after attach"
assert_cmd "caller leg" ctl leg add --relay $RELAY:$PORT_A --dst $CALLEE:5000 \
	--allow $ROUTER_PUB --policy strict --peer $RELAY:$PORT_B
assert_cmd "callee leg" ctl leg add --relay $RELAY:$PORT_B --allow $CALLEE \
	--policy strict --peer $RELAY:$PORT_A
out=$(ctl leg add --relay $RELAY:$PORT_A --dst $CALLEE:5000 --peer $RELAY:$PORT_B 2>&1)
[ $? -ne 0 ] || fail "adding a leg twice without --replace succeeded"
out=$(ctl leg add --relay 203.0.113.11:$PORT_A --peer $RELAY:$PORT_B 2>&1)
[ $? -eq 1 ] || fail "a leg on an address the relay does not own was accepted: $out"
ctl legs

in0=$(udp_in_datagrams relay)
tx0=$(stat_of fwd_tx)
bleed0=$(stat_of drop_src_mismatch)

# ---- the caller's first packet latches its post-NAT source ------------------
udp_send_once caller $CALLER:4000 $RELAY:$PORT_A latch
for _ in $(seq 50); do
	[ "$(leg_field $PORT_A latched)" = True ] && break
	sleep 0.1
done
assert_eq "$(leg_field $PORT_A latched)" True "caller leg latched"
latched=$(leg_field $PORT_A allow)
assert_contains "$latched" "$ROUTER_PUB:" "caller leg latched the post-NAT source (router's public address)"
nat_port=${latched##*:}
assert_ge "$nat_port" 41000 "latched the post-NAT port, not the caller's own 4000"
assert_le "$nat_port" 41999 "latched port is in the router's NAT range"
assert_eq "$(leg_field $PORT_B dst)" "$latched" "callee leg now sends to the caller's latched address"
ctl legs | grep -q "$RELAY:$PORT_A .*allow $latched (latched)" || fail "piercectl legs does not show the latch"

# ---- media both ways, and an RTP Bleed attempt meanwhile --------------------
udp_peer callee $CALLEE:5000 $RELAY:$PORT_B $N $SIZE 5 callee "$E2E_TMP/callee.log" 2 0.5
p_callee=$SPAWNED_PID
udp_peer caller $CALLER:4000 $RELAY:$PORT_A $N $SIZE 5 caller "$E2E_TMP/caller.log" 2 0.5
p_caller=$SPAWNED_PID
udp_peer attacker $ATTACKER:6666 $RELAY:$PORT_A 20 $SIZE 10 attack "$E2E_TMP/attack_a.log" 1 0.7
p_atk_a=$SPAWNED_PID
udp_peer attacker $ATTACKER:6667 $RELAY:$PORT_B 20 $SIZE 10 attack "$E2E_TMP/attack_b.log" 1 0.7
p_atk_b=$SPAWNED_PID
for p in $p_callee $p_caller $p_atk_a $p_atk_b; do
	wait_pid 20 "$p" || fail "a UDP peer failed (see $E2E_TMP/*.err)"
done

got_callee=$(count_lines "$E2E_TMP/callee.log" "^$RELAY $PORT_B $SIZE caller ")
got_caller=$(count_lines "$E2E_TMP/caller.log" "^$RELAY $PORT_A $SIZE callee ")
echo "callee received $got_callee, caller received $got_caller of $N"
assert_ge "$got_callee" $((N - 5)) "callee received the caller's media from $RELAY:$PORT_B"
assert_ge "$got_caller" $((N - 5)) "caller received the callee's media from $RELAY:$PORT_A"
assert_eq "$(count_lines "$E2E_TMP/callee.log" "^")" "$got_callee" "callee saw no other source or size"
assert_eq "$(count_lines "$E2E_TMP/caller.log" "^")" "$got_caller" "caller saw no other source or size"
assert_eq "$(count_lines "$E2E_TMP/callee.log" " attack ")$(count_lines "$E2E_TMP/caller.log" " attack ")" 00 \
	"no attacker datagram reached either phone"
assert_eq "$(count_lines "$E2E_TMP/attack_a.log" "^")$(count_lines "$E2E_TMP/attack_b.log" "^")" 00 \
	"the attacker received nothing"

tx1=$(stat_of fwd_tx)
bleed1=$(stat_of drop_src_mismatch)
in1=$(udp_in_datagrams relay)
assert_ge $((tx1 - tx0)) $((got_callee + got_caller)) "fwd_tx counted every relayed datagram"
assert_eq $((bleed1 - bleed0)) 40 "drop_src_mismatch counted the 40 attacker datagrams"
assert_eq $((in1 - in0)) 0 "relay namespace UDP InDatagrams stayed flat (XDP forwarded everything)"
assert_ge "$(leg_field $PORT_A packets)" "$got_callee" "caller leg packet counter"
assert_ge "$(leg_field $PORT_B packets)" "$got_caller" "callee leg packet counter"
assert_eq "$(leg_field $PORT_A allow)" "$latched" "the attack did not move the latch"
ctl stats
ctl sessions

# ---- traffic that is not for a relay port still reaches the relay's stack ---
udp_peer relay $RELAY:5060 - 0 0 0 sip "$E2E_TMP/sip.log" 2
p_sip=$SPAWNED_PID
sleep 0.3
udp_send_once caller $CALLER:5062 $RELAY:5060 sip
wait_pid 10 "$p_sip"
assert_eq "$(count_lines "$E2E_TMP/sip.log" "^$ROUTER_PUB [0-9]+ 64 sip ")" 1 "SIP port untouched: XDP_PASS"

# ---- delete, detach, unload --------------------------------------------------
assert_cmd "leg del" ctl leg del --relay $RELAY:$PORT_A
ctl --json legs | json_get "len(d)" | grep -qx 1 || fail "leg del left the leg in place"
assert_cmd "detach" ctl detach r0
ip -n "$(ns relay)" link show r0 | grep -q xdp && fail "XDP program still on r0 after detach"
assert_cmd "unload" ctl unload
out=$(ctl stats 2>&1)
[ $? -eq 1 ] || fail "stats after unload should fail: $out"
assert_contains "$out" "no pierce data plane" "stats after unload says nothing is pinned"
echo "test_dataplane: all assertions passed"

#!/bin/bash
# The README's Operations section as an operator runs it, inside a network
# namespace: piercectl attach/leg/legs/stats/detach/unload and the bpftool
# commands on the pinned, BTF-carrying maps. Also: inside `ip netns exec`,
# /sys is private, so the default pin directory would die with the command
# (and the XDP link with it): piercectl attach must refuse that, not report
# a success that vanishes.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
e2e_init

CTL=$BUILD/piercectl
[ -x "$CTL" ] || fail "$CTL missing: build first (make BUILD=$BUILD)"
command -v bpftool >/dev/null || fail "bpftool missing (make deps)"

ns_create relay peer
veth_create relay r0 10.77.0.1/24 peer p0 10.77.0.2/24
xdp_pass_attach peer p0

# 1. default pin dir inside `ip netns exec`: refused with a clear reason, nothing attached
out=$(nsx relay "$CTL" attach r0 --address 10.77.0.1 --ports 30000-30999 2>&1)
rc=$?
assert_eq "$rc" 1 "attach on a namespace-private /sys/fs/bpf fails"
echo "$out" | grep -q "not on a bpffs this mount namespace shares" || fail "no reason given: $out"
ip -n "$(ns relay)" link show r0 | grep -q "prog/xdp" && fail "an XDP program was left on r0"
pass "attach refuses a pin dir that would die with the command"

# 2. a bpffs outside /sys, as the README says: everything persists between commands
PIN=$(bpffs_dir ops)/pierce
nsx relay "$CTL" --pin-dir "$PIN" attach r0 --address 10.77.0.1 --ports 30000-30999 ||
	fail "piercectl attach"
ip -n "$(ns relay)" link show r0 | grep -q "prog/xdp" || fail "no XDP program on r0 after attach"
pass "attach, and the program stays after piercectl exits"
nsx relay bpftool prog show name pierce_relay | grep -q "xdp" || fail "bpftool prog show name pierce_relay"
bpftool link show | grep -q "xdp" || fail "bpftool link show: no XDP link"
bpftool map dump pinned "$PIN/cfg" | grep -q '"port_min": 30000' || fail "bpftool map dump cfg: no named fields"
nsx relay "$CTL" --pin-dir "$PIN" leg add --relay 10.77.0.1:30564 --dst 10.77.0.2:4000 \
	--src 10.77.0.1:30566 --allow 10.77.0.2 >/dev/null || fail "piercectl leg add"
bpftool map lookup pinned "$PIN/legs" key 0x34 0x02 0x00 0x00 | grep -q '"dst_port_be"' ||
	fail "bpftool map lookup of leg 564 (port 30564)"
nsx relay "$CTL" --pin-dir "$PIN" legs | grep -q "10.77.0.1:30564" || fail "piercectl legs"
nsx relay "$CTL" --pin-dir "$PIN" --json stats | grep -q '"not_ours"' || fail "piercectl --json stats"
pass "bpftool and piercectl read the pinned maps"
nsx relay "$CTL" --pin-dir "$PIN" detach r0 || fail "piercectl detach"
ip -n "$(ns relay)" link show r0 | grep -q "prog/xdp" && fail "XDP program still on r0 after detach"
nsx relay "$CTL" --pin-dir "$PIN" unload || fail "piercectl unload"
nsx relay "$CTL" --pin-dir "$PIN" stats >/dev/null 2>&1 && fail "stats after unload still found a data plane"
pass "detach and unload"

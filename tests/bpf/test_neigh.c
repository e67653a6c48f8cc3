// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Review item 12: a peer whose MAC changes while its media goes through
 * XDP. bpf_fib_lookup keeps answering with the STALE neighbour entry (XDP
 * never confirms it); pierce_dp_neigh_confirm makes the kernel re-probe,
 * and the next lookup has the new MAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define PEER_IP "10.5.0.2"
static char peer_ns[32];
static const uint8_t old_mac[6] = { 2, 0, 0, 0, 0, 0xa1 }, new_mac[6] = { 2, 0, 0, 0, 0, 0xb2 };

/* Runs one frame on a leg to PEER_IP with a fresh next-hop lookup: the
 * action, and the destination MAC it left with. */
static int forward_once(uint32_t idx, uint8_t dmac[6])
{
	struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20060, .payload = 20 };
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s);

	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &l), 0);
	l.nh_stamp_ns = 0;
	assert_int_equal(bpf_map_update_elem(pierce_dp_legs_fd(T.dp), &idx, &l, BPF_EXIST), 0);
	assert_int_equal(t_run(f, n, &r), 0);
	memcpy(dmac, r.out, 6);
	return r.action;
}

static void test_stale_neighbour_reprobed(void **state)
{
	uint32_t idx = t_index(T_RELAY4, 20060);
	__u32 key = if_nametoindex("pf0");
	struct pierce_leg l;
	uint8_t dmac[6];
	char cmd[256];
	int confirmed, tries;

	assert_int_not_equal(key, 0);
	assert_int_equal(bpf_map_update_elem(pierce_dp_devmap_fd(T.dp), &key, &key, BPF_ANY), 0);
	t_leg(&l, T_RELAY4, 20061, T_PEER4, PEER_IP, 5000, PIERCE_SRC_STRICT);
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, &l, true), 0);
	assert_int_equal(forward_once(idx, dmac), XDP_REDIRECT);
	assert_memory_equal(dmac, old_mac, 6);

	snprintf(cmd, sizeof(cmd), "ip -n %s link set pf1 address 02:00:00:00:00:b2", peer_ns);
	assert_int_equal(t_sh(cmd), 0);
	/* reachable_time is 0.5 s: STALE by now, and STALE it stays, the old
	 * MAC used, for as long as only XDP sends to it */
	for (tries = 0; tries < 5; tries++) {
		usleep(600000);
		assert_int_equal(forward_once(idx, dmac), XDP_REDIRECT);
		assert_memory_equal(dmac, old_mac, 6);
	}

	confirmed = pierce_dp_neigh_confirm(T.dp, 10000000000ULL);
	assert_int_equal(confirmed, 1);
	/* STALE -> DELAY -> PROBE (unicast, to the old MAC: no answer) ->
	 * FAILED (the slow path meanwhile) -> confirmed again -> INCOMPLETE
	 * (broadcast) -> REACHABLE with the new MAC */
	for (tries = 0; tries < 40; tries++) {
		usleep(200000);
		if (forward_once(idx, dmac) == XDP_REDIRECT && !memcmp(dmac, new_mac, 6))
			break;
		if (tries % 3 == 2) /* as the relay's timer would */
			assert_true(pierce_dp_neigh_confirm(T.dp, 10000000000ULL) >= 0);
	}
	assert_memory_equal(dmac, new_mac, 6);

	/* legs idle longer than the window are left alone */
	usleep(100000);
	assert_int_equal(pierce_dp_neigh_confirm(T.dp, 50000000), 0);
}

static int setup(void **state)
{
	char cmd[1024];

	if (t_group_setup(state))
		return -1;
	snprintf(peer_ns, sizeof(peer_ns), "pn%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns && ip netns add %s && "
		 "ip link add pf0 type veth peer name pf1 netns %s && ip link set pf0 up && "
		 "ip -n %s link set pf1 address 02:00:00:00:00:a1 && ip -n %s link set pf1 up && "
		 "ip addr add 10.5.0.1/24 dev pf0 && ip -n %s addr add " PEER_IP "/24 dev pf1 && "
		 "sysctl -qw net.ipv4.neigh.pf0.base_reachable_time_ms=500 net.ipv4.neigh.pf0.gc_stale_time=1 "
		 "net.ipv4.neigh.pf0.delay_first_probe_time=0 net.ipv4.neigh.pf0.retrans_time_ms=100 && "
		 "ip neigh replace " PEER_IP " lladdr 02:00:00:00:00:a1 dev pf0 nud reachable",
		 peer_ns, peer_ns, peer_ns, peer_ns, peer_ns);
	return t_sh(cmd) ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "ip netns del %s", peer_ns);
	t_sh(cmd);
	return t_group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_neighbour_reprobed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

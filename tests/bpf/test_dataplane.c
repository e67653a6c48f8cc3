// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The user-space data plane around the real program: pinning, adoption by
 * a new handle (ABI and geometry checks), XDP links on veth, leg iteration,
 * reason names, and the per-packet cost under BPF_PROG_TEST_RUN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/if_link.h>
#include <sys/stat.h>

#include "harness.h"

static char pin_dir[64];

static void pin_opts(struct pierce_dp_opts *o, struct pierce_local *addrs, uint32_t port_count)
{
	t_local(&addrs[0], T_RELAY4);
	t_local(&addrs[1], T_RELAY6);
	*o = (struct pierce_dp_opts){ .pin_dir = pin_dir, .addrs = addrs, .n_addrs = 2, .port_min = T_PORT_MIN,
				      .port_count = port_count };
}

static bool pinned(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return stat(path, &st) == 0;
}

static __u32 xdp_prog_id(const char *ifname, int mode)
{
	__u32 id = 0;

	if (bpf_xdp_query_id((int)if_nametoindex(ifname), mode, &id) < 0)
		return 0;
	return id;
}

static void test_pin_adopt_and_checks(void **state)
{
	struct pierce_local addrs[2];
	struct pierce_dp_opts o;
	struct pierce_dp *dp, *dp2, *ro;
	struct pierce_leg l, got;
	struct pierce_stats st;
	struct pierce_cfg c;
	bool adopted = true;
	char path[128];
	__u32 zero = 0;
	int cfg_fd;

	pin_opts(&o, addrs, T_PORTS);
	assert_int_equal(pierce_dp_open(&o, &dp, &adopted), 0);
	assert_false(adopted);
	assert_true(pinned(PIERCE_PIN_LEGS) && pinned(PIERCE_PIN_CFG) && pinned(PIERCE_PIN_STATS) &&
		    pinned(PIERCE_PIN_SLOWPATH) && pinned(PIERCE_PIN_DEVMAP));
	t_leg(&l, T_RELAY4, 20001, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	assert_int_equal(pierce_dp_leg_set(dp, 5, &l, true), 0);
	assert_int_equal(pierce_dp_attach(dp, "pd0", false), 0);
	assert_true(pinned("link_pd0"));
	assert_true(xdp_prog_id("pd0", XDP_FLAGS_DRV_MODE) != 0);
	pierce_dp_close(dp);
	/* the pinned link keeps the program attached without any process */
	assert_true(xdp_prog_id("pd0", XDP_FLAGS_DRV_MODE) != 0);

	assert_int_equal(pierce_dp_open(&o, &dp2, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(pierce_dp_leg_get(dp2, 5, &got), 0);
	assert_memory_equal(&got, &l, offsetof(struct pierce_leg, nh_dmac));
	assert_int_equal(pierce_dp_attach(dp2, "pd0", false), 0); /* already pinned: no-op */

	/* another geometry is refused, and so is another ABI */
	pin_opts(&o, addrs, T_PORTS + 1);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -EEXIST);
	pin_opts(&o, addrs, T_PORTS);
	assert_int_equal(pierce_dp_cfg_get(dp2, &c), 0);
	c.abi_version = PIERCE_ABI_VERSION + 1;
	assert_int_equal(pierce_dp_cfg_set(dp2, &c), -EINVAL);
	snprintf(path, sizeof(path), "%s/%s", pin_dir, PIERCE_PIN_CFG);
	cfg_fd = bpf_obj_get(path);
	assert_true(cfg_fd >= 0);
	assert_int_equal(bpf_map_update_elem(cfg_fd, &zero, &c, BPF_ANY), 0); /* as an older build would */
	close(cfg_fd);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -EPROTO);
	c.abi_version = PIERCE_ABI_VERSION;
	assert_int_equal(pierce_dp_cfg_set(dp2, &c), 0);

	/* an inspector opens the maps only */
	o = (struct pierce_dp_opts){ .pin_dir = pin_dir, .adopt_only = true };
	assert_int_equal(pierce_dp_open(&o, &ro, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(pierce_dp_prog_fd(ro), -1);
	assert_int_equal(pierce_dp_leg_count(ro), 2 * T_PORTS);
	assert_int_equal(pierce_dp_stats(ro, &st), 0);
	assert_int_equal(pierce_dp_attach(ro, "pd0", false), -EOPNOTSUPP);
	pierce_dp_close(ro);

	assert_int_equal(pierce_dp_detach(dp2, "pd0"), 0);
	assert_false(pinned("link_pd0"));
	assert_int_equal(xdp_prog_id("pd0", XDP_FLAGS_DRV_MODE), 0);
	pierce_dp_close(dp2);
	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_false(pinned(PIERCE_PIN_LEGS) || pinned(PIERCE_PIN_CFG));
	o = (struct pierce_dp_opts){ .pin_dir = pin_dir, .adopt_only = true };
	assert_int_equal(pierce_dp_open(&o, &ro, NULL), -ENOENT);
}

static void test_attach_generic_and_unpinned(void **state)
{
	__u32 key = (__u32)T.if_pe0, val = 0;

	assert_int_equal(pierce_dp_attach(T.dp, "pe0", true), 0);
	assert_true(xdp_prog_id("pe0", XDP_FLAGS_SKB_MODE) != 0);
	assert_int_equal(bpf_map_lookup_elem(pierce_dp_devmap_fd(T.dp), &key, &val), 0);
	assert_int_equal(val, T.if_pe0);
	assert_int_equal(pierce_dp_attach(T.dp, "pe0", true), 0);
	assert_int_equal(pierce_dp_detach(T.dp, "pe0"), 0);
	assert_int_equal(xdp_prog_id("pe0", XDP_FLAGS_SKB_MODE), 0);
	assert_int_not_equal(bpf_map_lookup_elem(pierce_dp_devmap_fd(T.dp), &key, &val), 0);
	assert_int_equal(pierce_dp_detach(T.dp, "pe0"), -ENOENT);
	assert_int_equal(pierce_dp_attach(T.dp, "nosuchif0", false), -ENODEV);
}

static int count_leg(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	uint64_t *sum = arg;

	*sum += index;
	return 0;
}

static void test_leg_foreach_and_index(void **state)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct pierce_leg l;
	struct pierce_cfg c;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < pierce_dp_leg_count(T.dp); i++)
		assert_int_equal(pierce_dp_leg_clear(T.dp, i), 0);
	t_leg(&l, T_RELAY4, 20001, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	assert_int_equal(pierce_dp_leg_set(T.dp, 3, &l, true), 0);
	assert_int_equal(pierce_dp_leg_set(T.dp, 150, &l, true), 0);
	assert_int_equal(pierce_dp_leg_foreach(T.dp, count_leg, &sum), 0);
	assert_int_equal(sum, 153);
	assert_int_equal(pierce_dp_leg_set(T.dp, 2 * T_PORTS, &l, true), -ENOENT);

	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(T_PORT_MIN + 7);
	inet_pton(AF_INET6, T_RELAY6, &s6->sin6_addr);
	assert_int_equal(pierce_dp_leg_index(&c, &ss), T_PORTS + 7);
	s6->sin6_port = htons(T_PORT_MIN + T_PORTS);
	assert_int_equal(pierce_dp_leg_index(&c, &ss), -ENOENT);
}

static void test_reason_names(void **state)
{
	assert_string_equal(pierce_reason_name(PIERCE_R_DROP_SRC), "drop_src_mismatch");
	assert_string_equal(pierce_reason_name(PIERCE_R_FWD_TX), "fwd_tx");
	assert_string_equal(pierce_reason_name(PIERCE_R__COUNT), "unknown");
	assert_non_null(strstr(pierce_reason_help(PIERCE_R_SLOW_NO_NEIGH), "next hop"));
}

/* ns per packet of the forwarding path under test_run's repeat mode. The
 * leg sends the packet back to its own relay port, so every repeat takes
 * the full path: lookup, source check, cached next hop, rewrite, XDP_TX. */
static void test_cost_per_packet(void **state)
{
	struct t_frame_spec s = { .src = T_RELAY4, .dst = T_RELAY4, .sport = 20002, .dport = 20002, .payload = 172 };
	struct t_frame_spec miss = { .src = T_PEER4, .dst = T_PEER4, .sport = 1, .dport = 2, .payload = 172 };
	const uint32_t repeat = 1000000;
	uint32_t idx = t_index(T_RELAY4, 20002);
	uint64_t tx = t_count(PIERCE_R_FWD_TX);
	struct pierce_cfg c;
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s);

	t_leg(&l, T_RELAY4, 20002, NULL, T_RELAY4, 20002, PIERCE_SRC_TRUST);
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, &l, true), 0);
	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &l), 0);
	memcpy(l.nh_dmac, t_peer_mac, 6);
	memcpy(l.nh_smac, T.pd0_mac, 6);
	l.nh_ifindex = (uint32_t)T.if_pd0;
	l.nh_stamp_ns = t_coarse_ns();
	assert_int_equal(bpf_map_update_elem(pierce_dp_legs_fd(T.dp), &idx, &l, BPF_EXIST), 0);
	/* the frame cycles in place: a decremented TTL would end it after 63 rounds */
	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	c.flags |= PIERCE_CFG_KEEP_TTL;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	assert_int_equal(t_run_n(f, n, T.if_pd0, repeat, &r), 0);
	c.flags &= ~(uint32_t)PIERCE_CFG_KEEP_TTL;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(t_count(PIERCE_R_FWD_TX), tx + repeat);
	print_message("relay forward (XDP_TX, cached next hop): %u ns/packet\n", r.duration_ns);
	n = t_build(f, sizeof(f), &miss);
	assert_int_equal(t_run_n(f, n, T.if_pd0, repeat, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	print_message("miss (not a relay address, XDP_PASS): %u ns/packet\n", r.duration_ns);
}

static int group_setup(void **state)
{
	if (t_group_setup(state))
		return -1;
	snprintf(pin_dir, sizeof(pin_dir), "/tmp/pierce-test-%d", (int)getpid());
	return 0;
}

static int group_teardown(void **state)
{
	umount2(pin_dir, MNT_DETACH);
	rmdir(pin_dir);
	return t_group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_adopt_and_checks),
		cmocka_unit_test(test_attach_generic_and_unpinned),
		cmocka_unit_test(test_leg_foreach_and_index),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_cost_per_packet),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

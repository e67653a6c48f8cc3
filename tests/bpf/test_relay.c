// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real relay program under BPF_PROG_TEST_RUN: forwarding with exact
 * output bytes, checksums, the next-hop lookup and its cache, misses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include "harness.h"

#define P_IN  20000 /* relay port the peer sends to */
#define P_OUT 20001 /* relay port the packet leaves from */

static void set_leg(uint32_t idx, const struct pierce_leg *l)
{
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, l, true), 0);
}

/* Exact bytes: the program's output equals a frame built from scratch. */
static void expect_frame(const struct t_run *r, const struct t_frame_spec *want)
{
	struct t_frame_spec w = *want;
	uint8_t exp[2048];
	size_t n;

	if (!w.ttl)
		w.ttl = 63; /* the inputs have 64: one hop */
	n = t_build(exp, sizeof(exp), &w);

	assert_int_equal(r->out_len, n);
	assert_memory_equal(r->out, exp, n);
}

static void test_v4_forward_real_fib(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct t_frame_spec in = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 172 };
	struct t_frame_spec out = { .src = T_RELAY4, .dst = T_FAR4, .sport = P_OUT, .dport = 5000, .payload = 172,
				    .dmac = t_far_mac, .smac = T.pe0_mac };
	uint8_t f[2048];
	size_t n = t_build(f, sizeof(f), &in);
	uint64_t redir = t_count(PIERCE_R_FWD_REDIRECT), nodev = t_count(PIERCE_R_SLOW_NO_DEVMAP);
	__u32 key = (__u32)T.if_pe0;
	struct pierce_leg l;
	struct t_run r;

	/* to 10.8.0.2: via pe0, so a redirect; first without pe0 in the devmap */
	t_leg(&l, T_RELAY4, P_OUT, T_PEER4, T_FAR4, 5000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	bpf_map_delete_elem(pierce_dp_devmap_fd(T.dp), &key);
	assert_int_equal(t_run_slow(f, n, &r), PIERCE_R_SLOW_NO_DEVMAP);
	assert_int_equal(r.action, XDP_DROP); /* user space owns it */
	assert_memory_equal(r.out, f, n); /* untouched for the slow path */
	assert_int_equal(t_count(PIERCE_R_SLOW_NO_DEVMAP), nodev + 1);

	assert_int_equal(bpf_map_update_elem(pierce_dp_devmap_fd(T.dp), &key, &key, BPF_ANY), 0);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_REDIRECT);
	expect_frame(&r, &out);
	assert_int_equal(t_count(PIERCE_R_FWD_REDIRECT), redir + 1);
	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &l), 0);
	assert_int_equal(l.nh_ifindex, T.if_pe0);
	assert_memory_equal(l.nh_dmac, t_far_mac, 6);
	assert_true(l.nh_stamp_ns != 0);
	assert_int_equal(l.packets, 2); /* both accepted; one went to the slow path */
	assert_int_equal(l.bytes, 2 * n);
	assert_true(l.first_seen_ns != 0 && l.last_seen_ns >= l.first_seen_ns);
}

static uint64_t coarse_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The program reads the coarse clock once per jiffy and CPU: last_seen still
 * follows CLOCK_MONOTONIC_COARSE (what the relay's timeouts compare with)
 * within a tick, and moves on when time does. */
static void test_last_seen_follows_clock(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct t_frame_spec in = { .src = T_OTHER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40 };
	uint8_t f[2048];
	size_t n = t_build(f, sizeof(f), &in);
	uint64_t before, after, first;
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, P_OUT, T_OTHER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	for (int round = 0; round < 3; round++) {
		before = coarse_ns();
		assert_int_equal(t_run(f, n, &r), 0);
		after = coarse_ns();
		assert_int_equal(r.action, XDP_TX);
		assert_int_equal(pierce_dp_leg_get(T.dp, idx, &l), 0);
		if (round == 0)
			first = l.last_seen_ns;
		/* at most one tick (<= 10 ms at HZ=100) behind the clock, never ahead */
		assert_true(l.last_seen_ns + 10000000ull >= before);
		assert_true(l.last_seen_ns <= after);
		usleep(30000);
	}
	assert_true(l.last_seen_ns >= first + 50000000ull); /* two 30 ms sleeps later */
}

static void test_v4_forward_tx_same_if(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct t_frame_spec in = { .src = T_OTHER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 160 };
	struct t_frame_spec out = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000, .payload = 160,
				    .dmac = t_peer_mac, .smac = T.pd0_mac };
	uint8_t f[2048];
	size_t n = t_build(f, sizeof(f), &in);
	uint64_t tx = t_count(PIERCE_R_FWD_TX);
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, P_OUT, T_OTHER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &out);
	assert_int_equal(t_count(PIERCE_R_FWD_TX), tx + 1);
}

static void test_v6_forward_real_fib(void **state)
{
	uint32_t idx = t_index(T_RELAY6, P_IN);
	struct t_frame_spec in = { .src = "fd00:9::5", .dst = T_RELAY6, .sport = 4000, .dport = P_IN, .payload = 33,
				   .tos = 0xb9 };
	struct t_frame_spec out = { .src = T_RELAY6, .dst = T_PEER6, .sport = P_OUT, .dport = 6000, .payload = 33,
				    .tos = 0xb9, .dmac = t_peer_mac, .smac = T.pd0_mac };
	uint8_t f[2048];
	size_t n = t_build(f, sizeof(f), &in);
	uint64_t tx = t_count(PIERCE_R_FWD_TX);
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY6, P_OUT, "fd00:9::5", T_PEER6, 6000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &out);
	assert_int_equal(t_count(PIERCE_R_FWD_TX), tx + 1);
}

static void test_v4_zero_udp_csum_stays_zero(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct t_frame_spec in = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 20,
				   .zero_csum = true };
	struct t_frame_spec out = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000, .payload = 20,
				    .zero_csum = true, .dmac = t_peer_mac, .smac = T.pd0_mac };
	uint8_t f[2048];
	size_t n = t_build(f, sizeof(f), &in);
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, P_OUT, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &out);
	assert_int_equal(((struct udphdr *)(r.out + 14 + 20))->check, 0);
}

/* Many address/port combinations: every incremental checksum equals one
 * computed from scratch (including the 0 -> 0xffff UDP case). */
static void test_checksums_many(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	char src[32];
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];

	t_leg(&l, T_RELAY4, P_OUT, NULL, T_PEER4, 6000, PIERCE_SRC_TRUST);
	for (unsigned i = 0; i < 300; i++) {
		struct t_frame_spec in = { .src = src, .dst = T_RELAY4, .sport = (uint16_t)(1 + i * 211),
					   .dport = P_IN, .payload = (uint16_t)(i % 40) };
		struct t_frame_spec out = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000,
					    .payload = in.payload, .dmac = t_peer_mac, .smac = T.pd0_mac };
		size_t n;

		snprintf(src, sizeof(src), "10.%u.%u.%u", i % 256, (i * 7) % 256, (i * 13) % 256);
		n = t_build(f, sizeof(f), &in);
		l.dst_port_be = htons((uint16_t)(6000 + i * 97));
		out.dport = (uint16_t)(6000 + i * 97);
		set_leg(idx, &l);
		assert_int_equal(t_run(f, n, &r), 0);
		assert_int_equal(r.action, XDP_TX);
		expect_frame(&r, &out);
	}
}

static void test_dscp_rewrite(void **state)
{
	uint32_t i4 = t_index(T_RELAY4, P_IN), i6 = t_index(T_RELAY6, P_IN);
	struct t_frame_spec in4 = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 10,
				    .tos = 0x03 }; /* ECN CE */
	struct t_frame_spec out4 = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000, .payload = 10,
				     .tos = (46 << 2) | 0x03, .dmac = t_peer_mac, .smac = T.pd0_mac };
	struct t_frame_spec in6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = P_IN, .payload = 10,
				    .tos = 0x01 };
	struct t_frame_spec out6 = { .src = T_RELAY6, .dst = T_PEER6, .sport = P_OUT, .dport = 6000, .payload = 10,
				     .tos = (46 << 2) | 0x01, .dmac = t_peer_mac, .smac = T.pd0_mac };
	uint8_t f[256];
	struct pierce_leg l;
	struct t_run r;
	size_t n;

	t_leg(&l, T_RELAY4, P_OUT, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	l.flags |= PIERCE_LEG_SET_DSCP;
	l.dscp = 46; /* EF */
	set_leg(i4, &l);
	n = t_build(f, sizeof(f), &in4);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &out4);

	t_leg(&l, T_RELAY6, P_OUT, T_PEER6, T_PEER6, 6000, PIERCE_SRC_STRICT);
	l.flags |= PIERCE_LEG_SET_DSCP;
	l.dscp = 46;
	set_leg(i6, &l);
	n = t_build(f, sizeof(f), &in6);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &out6);
}

static void test_vlan_and_qinq_keep_tags(void **state)
{
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];

	for (int v = 1; v <= 2; v++) {
		struct t_frame_spec in = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN,
					   .payload = 12, .vlans = v };
		struct t_frame_spec out = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000,
					    .payload = 12, .vlans = v, .dmac = t_peer_mac, .smac = T.pd0_mac };
		size_t n = t_build(f, sizeof(f), &in);

		t_leg(&l, T_RELAY4, P_OUT, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
		set_leg(idx, &l);
		assert_int_equal(t_run(f, n, &r), 0);
		assert_int_equal(r.action, XDP_TX);
		expect_frame(&r, &out);
	}
}

/* A fresh cached next hop is used without a lookup; a stale one is redone. */
static void test_next_hop_cache(void **state)
{
	static const uint8_t fake[6] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint32_t idx = t_index(T_RELAY4, P_IN);
	struct t_frame_spec in = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 12 };
	struct t_frame_spec cached = { .src = T_RELAY4, .dst = T_PEER4, .sport = P_OUT, .dport = 6000,
				       .payload = 12, .dmac = fake, .smac = fake };
	struct t_frame_spec fresh = cached;
	struct pierce_leg l, got;
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &in);

	fresh.dmac = t_peer_mac;
	fresh.smac = T.pd0_mac;
	t_leg(&l, T_RELAY4, P_OUT, T_PEER4, T_PEER4, 6000, PIERCE_SRC_STRICT);
	set_leg(idx, &l);
	assert_int_equal(t_run(f, n, &r), 0); /* fills the cache */
	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &got), 0);
	memcpy(got.nh_dmac, fake, 6);
	memcpy(got.nh_smac, fake, 6);
	got.nh_stamp_ns = t_coarse_ns(); /* the program's clock: bpf_ktime_get_coarse_ns */
	assert_int_equal(bpf_map_update_elem(pierce_dp_legs_fd(T.dp), &idx, &got, BPF_EXIST), 0);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &cached);

	got.nh_stamp_ns = 1; /* ancient: looked up again */
	assert_int_equal(bpf_map_update_elem(pierce_dp_legs_fd(T.dp), &idx, &got, BPF_EXIST), 0);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	expect_frame(&r, &fresh);
	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &got), 0);
	assert_memory_equal(got.nh_dmac, t_peer_mac, 6);
	assert_true(got.nh_stamp_ns > 1);
}

static void test_miss_is_untouched_pass(void **state)
{
	struct t_frame_spec specs[] = {
		{ .src = T_PEER4, .dst = "10.9.0.77", .sport = 4000, .dport = P_IN, .payload = 8 },   /* other IP */
		{ .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 5060, .payload = 8 },      /* SIP */
		{ .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = T_PORT_MIN + T_PORTS, .payload = 8 },
		{ .src = T_PEER6, .dst = "fd00:9::77", .sport = 4000, .dport = P_IN, .payload = 8 },
		{ .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = 22, .payload = 8 },
	};
	uint8_t f[256], arp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 9, 0x08, 0x06 };
	uint64_t before = t_count(PIERCE_R_NOT_OURS), nu = t_count(PIERCE_R_PASS_NOT_UDP);
	struct t_run r;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t n = t_build(f, sizeof(f), &specs[i]);

		assert_int_equal(t_run(f, n, &r), 0);
		assert_int_equal(r.action, XDP_PASS);
		assert_int_equal(r.out_len, n);
		assert_memory_equal(r.out, f, n);
	}
	assert_int_equal(t_run(arp, sizeof(arp), &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, arp, sizeof(arp));
	assert_int_equal(t_count(PIERCE_R_NOT_OURS), before + 6);

	{
		struct t_frame_spec tcp = { .src = T_PEER4, .dst = T_RELAY4, .sport = 1, .dport = P_IN, .payload = 20,
					    .ip_proto = IPPROTO_TCP };
		size_t n = t_build(f, sizeof(f), &tcp);

		assert_int_equal(t_run(f, n, &r), 0);
		assert_int_equal(r.action, XDP_PASS);
		assert_memory_equal(r.out, f, n);
		assert_int_equal(t_count(PIERCE_R_PASS_NOT_UDP), nu + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_forward_real_fib),
		cmocka_unit_test(test_v4_forward_tx_same_if),
		cmocka_unit_test(test_last_seen_follows_clock),
		cmocka_unit_test(test_v6_forward_real_fib),
		cmocka_unit_test(test_v4_zero_udp_csum_stays_zero),
		cmocka_unit_test(test_checksums_many),
		cmocka_unit_test(test_dscp_rewrite),
		cmocka_unit_test(test_vlan_and_qinq_keep_tags),
		cmocka_unit_test(test_next_hop_cache),
		cmocka_unit_test(test_miss_is_untouched_pass),
	};

	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}

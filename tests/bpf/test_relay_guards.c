// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real relay program under BPF_PROG_TEST_RUN: the guards around
 * latching and the slow path. Who may latch an ANY_SRC leg and its RTCP
 * sibling, the source check before every slow path, TTL and hop limit,
 * VLAN tags on redirects, fragments, oversized frames, the ring consumer's
 * heartbeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define ATTACKER4 "198.51.100.7"

static const uint8_t other4[4] = { 10, 9, 0, 3 }; /* T_OTHER4 */

static void set_leg(uint32_t idx, const struct pierce_leg *l)
{
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, l, true), 0);
}

static struct pierce_leg get_leg(uint32_t idx)
{
	struct pierce_leg l;

	assert_int_equal(pierce_dp_leg_get(T.dp, idx, &l), 0);
	return l;
}

static int send_spec(const struct t_frame_spec *s, struct t_run *r)
{
	uint8_t f[4096];
	size_t n = t_build(f, sizeof(f), s);

	return t_run(f, n, r);
}

/* An RTP-shaped v4 datagram (t_build's payload starts 0x80: version 2). */
static int send_v4(const char *src, uint16_t sport, uint16_t dport, struct t_run *r)
{
	struct t_frame_spec s = { .src = src, .dst = T_RELAY4, .sport = sport, .dport = dport, .payload = 20 };

	return send_spec(&s, r);
}

/* A v4 datagram whose payload is `payload` bytes of `fill` (no UDP checksum). */
static int send_v4_raw(const char *src, uint16_t sport, uint16_t dport, uint16_t payload, uint8_t fill,
		       struct t_run *r)
{
	struct t_frame_spec s = { .src = src, .dst = T_RELAY4, .sport = sport, .dport = dport, .payload = payload,
				  .zero_csum = true };
	uint8_t f[512];
	size_t n = t_build(f, sizeof(f), &s);

	memset(f + 14 + 20 + 8, fill, payload);
	return t_run(f, n, r);
}

static bool dst_is(const struct pierce_leg *l, const char *ip, uint16_t port)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	return (l->flags & PIERCE_LEG_HAS_DEST) && l->dst_family == PIERCE_AF_INET &&
	       !memcmp(l->dst.addr_be, &a, 4) && ntohs(l->dst_port_be) == port;
}

/* A call as pierce-relay installs it: A (known, T_PEER4) on ports a/a+1,
 * B (unknown yet: ANY_SRC) on b/b+1; B's RTP leg names its RTCP sibling. */
static void install_call(uint16_t a, uint16_t b, bool rtcp_next)
{
	struct pierce_leg l;

	for (int k = 0; k < 2; k++) {
		t_leg(&l, T_RELAY4, (uint16_t)(b + k), T_PEER4, NULL, 0, PIERCE_SRC_STRICT);
		l.flags |= PIERCE_LEG_HAS_PEER;
		l.peer_index = t_index(T_RELAY4, (uint16_t)(b + k));
		set_leg(t_index(T_RELAY4, (uint16_t)(a + k)), &l);
		t_leg(&l, T_RELAY4, (uint16_t)(a + k), NULL, T_PEER4, (uint16_t)(7000 + k), PIERCE_SRC_STRICT);
		l.flags |= PIERCE_LEG_HAS_PEER;
		if (k == 0 && rtcp_next)
			l.flags |= PIERCE_LEG_RTCP_NEXT;
		l.peer_index = t_index(T_RELAY4, (uint16_t)(a + k));
		set_leg(t_index(T_RELAY4, (uint16_t)(b + k)), &l);
	}
}

/* Review item 1: once B's RTP leg latched, an attacker cannot latch B's
 * RTCP leg (which under rtcp-mux never sees a real packet). */
static void test_rtcp_sibling_follows_rtp_latch(void **state)
{
	const uint16_t a = 20000, b = 20002;
	uint32_t a_rtcp = t_index(T_RELAY4, a + 1), b_rtcp = t_index(T_RELAY4, b + 1);
	uint64_t dsrc = t_count(PIERCE_R_DROP_SRC);
	struct pierce_leg l;
	struct t_run r;

	install_call(a, b, true);
	assert_int_equal(send_v4(T_OTHER4, 9000, b, &r), 0); /* the callee's RTP latches */
	l = get_leg(b_rtcp);
	assert_false(l.flags & PIERCE_LEG_ANY_SRC);
	assert_false(l.flags & PIERCE_LEG_LATCHED);
	assert_int_equal(l.allow_family, PIERCE_AF_INET);
	assert_int_equal(l.allow_port_be, 0);
	assert_memory_equal(l.allow.addr_be, other4, 4);

	assert_int_equal(send_v4(ATTACKER4, 31337, b + 1, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), dsrc + 1);
	l = get_leg(a_rtcp);
	assert_false(l.flags & PIERCE_LEG_HAS_DEST); /* A's RTCP goes nowhere, not to the attacker */

	/* the callee's own RTCP, from another NAT port, latches as before */
	assert_int_equal(send_v4(T_OTHER4, 9001, b + 1, &r), 0);
	assert_true(get_leg(b_rtcp).flags & PIERCE_LEG_LATCHED);
	l = get_leg(a_rtcp);
	assert_true(dst_is(&l, T_OTHER4, 9001));
}

/* An attacker who latched the RTCP leg before the callee's RTP arrived
 * loses it when the RTP latch comes, and A's RTCP stops going to him. */
static void test_rtcp_latched_by_attacker_first(void **state)
{
	const uint16_t a = 20004, b = 20006;
	uint32_t a_rtcp = t_index(T_RELAY4, a + 1), b_rtcp = t_index(T_RELAY4, b + 1);
	struct pierce_leg l;
	struct t_run r;

	install_call(a, b, true);
	assert_int_equal(send_v4(ATTACKER4, 31337, b + 1, &r), 0);
	l = get_leg(a_rtcp);
	assert_true(dst_is(&l, ATTACKER4, 31337));
	assert_int_equal(send_v4(T_OTHER4, 9000, b, &r), 0);
	l = get_leg(b_rtcp);
	assert_false(l.flags & (PIERCE_LEG_LATCHED | PIERCE_LEG_ANY_SRC));
	assert_memory_equal(l.allow.addr_be, other4, 4);
	assert_false(get_leg(a_rtcp).flags & PIERCE_LEG_HAS_DEST);
	assert_int_equal(send_v4(ATTACKER4, 31337, b + 1, &r), 0);
	assert_int_equal(r.action, XDP_DROP);

	/* the same address latched RTCP first: kept as it is */
	install_call(a, b, true);
	assert_int_equal(send_v4(T_OTHER4, 9001, b + 1, &r), 0);
	assert_int_equal(send_v4(T_OTHER4, 9000, b, &r), 0);
	l = get_leg(b_rtcp);
	assert_true(l.flags & PIERCE_LEG_LATCHED);
	assert_false(l.flags & PIERCE_LEG_ANY_SRC);
	assert_int_equal(ntohs(l.allow_port_be), 9001);
	l = get_leg(a_rtcp);
	assert_true(dst_is(&l, T_OTHER4, 9001));

	/* without the flag the RTCP leg is left alone (legs installed by older code) */
	install_call(a, b, false);
	assert_int_equal(send_v4(T_OTHER4, 9000, b, &r), 0);
	assert_true(get_leg(b_rtcp).flags & PIERCE_LEG_ANY_SRC);
}

/* Review item 1: an ANY_SRC leg latches only on what looks like RTP/RTCP. */
static void test_any_src_latches_rtp_shaped_only(void **state)
{
	const uint16_t a = 20008, b = 20010;
	uint32_t ia = t_index(T_RELAY4, a), ib = t_index(T_RELAY4, b);
	uint64_t dsrc = t_count(PIERCE_R_DROP_SRC);
	struct pierce_leg l;
	struct t_run r;

	install_call(a, b, true);
	assert_int_equal(send_v4_raw(ATTACKER4, 666, b, 20, 0x00, &r), 0); /* version 0 */
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4_raw(ATTACKER4, 666, b, 20, 0x41, &r), 0); /* version 1 */
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4_raw(ATTACKER4, 666, b, 11, 0x80, &r), 0); /* too short */
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4_raw(ATTACKER4, 666, b, 0, 0x80, &r), 0); /* empty */
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), dsrc + 4);
	assert_false(get_leg(ib).flags & PIERCE_LEG_LATCHED);
	assert_false(get_leg(ia).flags & PIERCE_LEG_HAS_DEST);

	assert_int_equal(send_v4_raw(T_OTHER4, 9000, b, 12, 0x80, &r), 0); /* shortest RTP header */
	assert_int_equal(r.action, XDP_TX); /* latched, and forwarded to A */
	assert_true(get_leg(ib).flags & PIERCE_LEG_LATCHED);
	l = get_leg(ia);
	assert_true(dst_is(&l, T_OTHER4, 9000));

	/* latched: its own source may send anything (RTP payload is not inspected) */
	t_leg(&l, T_RELAY4, a, NULL, T_PEER4, 7000, PIERCE_SRC_STRICT);
	assert_int_equal(pierce_dp_leg_set(T.dp, ib, &l, false), 0); /* line 0 only: latch lost, re-learn */
	assert_int_equal(send_v4(T_OTHER4, 9000, b, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(send_v4_raw(T_OTHER4, 9000, b, 3, 0x00, &r), 0);
	assert_int_equal(r.action, XDP_TX);

	/* a leg with a known allowed address latches on anything from it */
	t_leg(&l, T_RELAY4, a, T_OTHER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(ib, &l);
	assert_int_equal(send_v4_raw(T_OTHER4, 9002, b, 4, 0x00, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_true(get_leg(ib).flags & PIERCE_LEG_LATCHED);
}

/* Review item 11: the TTL / hop limit goes down by one per relay, and a
 * packet that would leave with 0 is dropped (two relays latched at each
 * other no longer bounce a packet forever). */
static void test_ttl_and_hop_limit(void **state)
{
	struct t_frame_spec in4 = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20030, .payload = 20,
				    .tos = 0xb8 };
	struct t_frame_spec in6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = 20030, .payload = 20 };
	struct t_frame_spec out4 = { .src = T_RELAY4, .dst = T_PEER4, .sport = 20031, .dport = 7000, .payload = 20,
				     .tos = 0xb8, .dmac = t_peer_mac };
	struct t_frame_spec out6 = { .src = T_RELAY6, .dst = T_PEER6, .sport = 20031, .dport = 7000, .payload = 20,
				     .dmac = t_peer_mac };
	uint64_t dttl = t_count(PIERCE_R_DROP_TTL);
	static const uint8_t ttls[] = { 2, 3, 64, 128, 255 };
	uint8_t exp[256];
	struct pierce_leg l;
	struct t_run r;
	size_t n;

	out4.smac = out6.smac = T.pd0_mac;
	t_leg(&l, T_RELAY4, 20031, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, 20030), &l);
	t_leg(&l, T_RELAY6, 20031, T_PEER6, T_PEER6, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY6, 20030), &l);
	for (size_t i = 0; i < sizeof(ttls); i++) {
		in4.ttl = in6.ttl = ttls[i];
		out4.ttl = out6.ttl = (uint8_t)(ttls[i] - 1);
		assert_int_equal(send_spec(&in4, &r), 0);
		assert_int_equal(r.action, XDP_TX);
		n = t_build(exp, sizeof(exp), &out4); /* checksums from scratch */
		assert_int_equal(r.out_len, n);
		assert_memory_equal(r.out, exp, n);
		assert_int_equal(send_spec(&in6, &r), 0);
		assert_int_equal(r.action, XDP_TX);
		n = t_build(exp, sizeof(exp), &out6);
		assert_int_equal(r.out_len, n);
		assert_memory_equal(r.out, exp, n);
	}
	in4.ttl = in6.ttl = 1;
	assert_int_equal(send_spec(&in4, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_spec(&in6, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_TTL), dttl + 2);
}

/* ---- the slow-path ring ---------------------------------------------- */

struct ring_seen {
	int n;
	struct pierce_slow_hdr hdr;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct ring_seen *seen = ctx;

	seen->n++;
	if (size >= sizeof(seen->hdr))
		memcpy(&seen->hdr, data, sizeof(seen->hdr));
	return 0;
}

static struct ring_buffer *ring_open(struct ring_seen *seen)
{
	struct ring_buffer *rb = ring_buffer__new(pierce_dp_slowpath_fd(T.dp), on_record, seen, NULL);

	assert_non_null(rb);
	ring_buffer__consume(rb); /* whatever earlier tests left */
	seen->n = 0;
	return rb;
}

static void slowpath_flag(bool on)
{
	assert_int_equal(t_slowpath_flag(on), 0);
}

/* Review item 2: IPv4 options, IPv6 extension headers and first fragments
 * from a forbidden source are dropped, not queued for user space. */
static void test_source_check_before_slow_path(void **state)
{
	struct t_frame_spec opts = { .src = ATTACKER4, .dst = T_RELAY4, .sport = 666, .dport = 20020, .payload = 20,
				     .v4_opt_words = 1 };
	struct t_frame_spec ext6 = { .src = "fd00:9::66", .dst = T_RELAY6, .sport = 666, .dport = 20020,
				     .payload = 20, .v6_ext = IPPROTO_DSTOPTS };
	struct t_frame_spec good = opts, good6 = ext6;
	uint64_t dsrc = t_count(PIERCE_R_DROP_SRC), sopt = t_count(PIERCE_R_SLOW_IP_OPTIONS);
	struct ring_seen seen = {};
	struct ring_buffer *rb = ring_open(&seen);
	struct pierce_leg l;
	struct t_run r;

	good.src = T_PEER4;
	good6.src = T_PEER6;
	t_leg(&l, T_RELAY4, 20021, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, 20020), &l);
	t_leg(&l, T_RELAY6, 20021, T_PEER6, T_PEER6, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY6, 20020), &l);
	slowpath_flag(true);

	assert_int_equal(send_spec(&opts, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_spec(&ext6, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), dsrc + 2);
	assert_int_equal(ring_buffer__consume(rb), 0);
	assert_int_equal(seen.n, 0);

	/* a flood of them leaves the ring empty for the allowed source */
	{
		uint8_t f[256];
		size_t n = t_build(f, sizeof(f), &opts);

		assert_int_equal(t_run_n(f, n, T.if_pd0, 5000, &r), 0);
		assert_int_equal(r.action, XDP_DROP);
	}
	assert_int_equal(send_spec(&good, &r), 0);
	assert_int_equal(r.action, XDP_DROP); /* queued: user space owns it */
	assert_int_equal(t_count(PIERCE_R_SLOW_IP_OPTIONS), sopt + 1);
	assert_int_equal(send_spec(&good6, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 2);
	assert_int_equal(seen.hdr.reason, PIERCE_R_SLOW_IPV6_EXT);
	slowpath_flag(false);
	ring_buffer__free(rb);
}

/* Review item 7: a tagged frame is never redirected, still tagged, onto
 * another interface; XDP_TX back out of the same link keeps its tags. */
static void test_vlan_tagged_redirect(void **state)
{
	struct t_frame_spec in = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20040, .payload = 20,
				   .vlans = 1 };
	struct t_frame_spec out = { .src = T_RELAY4, .dst = T_PEER4, .sport = 20041, .dport = 7000, .payload = 20,
				    .vlans = 1, .ttl = 63, .dmac = t_peer_mac };
	uint64_t svlan = t_count(PIERCE_R_SLOW_VLAN), pslow = t_count(PIERCE_R_PASS_SLOW);
	__u32 key = (__u32)T.if_pe0;
	uint8_t f[256], exp[256];
	struct pierce_leg l;
	struct t_run r;
	size_t n = t_build(f, sizeof(f), &in), m;

	assert_int_equal(bpf_map_update_elem(pierce_dp_devmap_fd(T.dp), &key, &key, BPF_ANY), 0);
	t_leg(&l, T_RELAY4, 20041, T_PEER4, T_FAR4, 5000, PIERCE_SRC_STRICT); /* via pe0 */
	set_leg(t_index(T_RELAY4, 20040), &l);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, f, n); /* untouched */
	assert_int_equal(t_count(PIERCE_R_PASS_SLOW), pslow + 1); /* no ring consumer */
	assert_int_equal(t_count(PIERCE_R_SLOW_VLAN), svlan);

	/* with a ring consumer the slow path gets it, reason slow_vlan */
	{
		struct ring_seen seen = {};
		struct ring_buffer *rb = ring_open(&seen);

		slowpath_flag(true);
		assert_int_equal(t_run(f, n, &r), 0);
		assert_int_equal(r.action, XDP_DROP);
		assert_int_equal(ring_buffer__consume(rb), 1);
		assert_int_equal(seen.hdr.reason, PIERCE_R_SLOW_VLAN);
		assert_int_equal(t_count(PIERCE_R_SLOW_VLAN), svlan + 1);
		slowpath_flag(false);
		ring_buffer__free(rb);
	}

	t_leg(&l, T_RELAY4, 20041, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT); /* back out of pd0 */
	set_leg(t_index(T_RELAY4, 20040), &l);
	out.smac = T.pd0_mac;
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	m = t_build(exp, sizeof(exp), &out);
	assert_int_equal(r.out_len, m);
	assert_memory_equal(r.out, exp, m);
}

/* Review item 8: every fragment goes to the kernel, the only place that
 * can reassemble it, even with a ring consumer; a first fragment from a
 * forbidden source is dropped. */
static void test_fragments_to_the_kernel(void **state)
{
	struct t_frame_spec first = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20044, .payload = 40,
				      .v4_frag = 0x2000 };
	struct t_frame_spec later = first, bad = first, frag6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000,
								   .dport = 20044, .payload = 40,
								   .v6_ext = IPPROTO_FRAGMENT };
	uint64_t pfrag = t_count(PIERCE_R_PASS_FRAGMENT), dsrc = t_count(PIERCE_R_DROP_SRC);
	struct ring_seen seen = {};
	struct ring_buffer *rb = ring_open(&seen);
	struct pierce_leg l;
	struct t_run r;

	later.v4_frag = 0x0005;
	bad.src = ATTACKER4;
	t_leg(&l, T_RELAY4, 20045, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, 20044), &l);
	t_leg(&l, T_RELAY6, 20045, T_PEER6, T_PEER6, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY6, 20044), &l);
	slowpath_flag(true);
	assert_int_equal(send_spec(&first, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(send_spec(&later, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(send_spec(&frag6, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(t_count(PIERCE_R_PASS_FRAGMENT), pfrag + 3);
	assert_int_equal(send_spec(&bad, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), dsrc + 1);
	assert_int_equal(ring_buffer__consume(rb), 0);
	slowpath_flag(false);
	ring_buffer__free(rb);
}

/* Review item 9: a frame longer than the ring's copy is passed to the
 * kernel whole, not truncated into the ring and dropped. */
static void test_too_big_for_the_ring(void **state)
{
	struct t_frame_spec big = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20046, .payload = 2900 };
	struct t_frame_spec fits = big;
	uint64_t tb = t_count(PIERCE_R_PASS_TOO_BIG), fib = t_count(PIERCE_R_SLOW_FIB);
	struct ring_seen seen = {};
	struct ring_buffer *rb = ring_open(&seen);
	static uint8_t f[4096];
	struct pierce_leg l;
	struct t_run r;
	size_t n = t_build(f, sizeof(f), &big);

	fits.payload = PIERCE_SLOW_MAX_FRAME - 14 - 20 - 8; /* exactly the limit */
	t_leg(&l, T_RELAY4, 20047, T_PEER4, T_NONEIGH4, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, 20046), &l);
	slowpath_flag(true);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, f, n);
	assert_int_equal(t_count(PIERCE_R_PASS_TOO_BIG), tb + 1);
	assert_int_equal(ring_buffer__consume(rb), 0);

	n = t_build(f, sizeof(f), &fits);
	assert_int_equal(n, PIERCE_SLOW_MAX_FRAME);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 1);
	/* over the veth MTU: the fib lookup says so before the neighbour */
	assert_int_equal(seen.hdr.reason, PIERCE_R_SLOW_FIB);
	assert_int_equal(t_count(PIERCE_R_SLOW_FIB), fib + 1);
	assert_int_equal(seen.hdr.frame_len, n);
	assert_int_equal(seen.hdr.orig_len, n);
	slowpath_flag(false);
	ring_buffer__free(rb);
}

static void set_alive(uint64_t stamp)
{
	struct pierce_cfg c;

	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	c.flags |= PIERCE_CFG_SLOWPATH;
	c.slow_alive_ns = stamp;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
}

/* Review item 10: a consumer that crashed with PIERCE_CFG_SLOWPATH set
 * stops sending heartbeats; its slow-path packets then go to the kernel
 * instead of into a ring nobody reads. */
static void test_slow_consumer_heartbeat(void **state)
{
	struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = 20048, .payload = 20,
				  .v4_opt_words = 1 };
	uint64_t pslow = t_count(PIERCE_R_PASS_SLOW), sopt = t_count(PIERCE_R_SLOW_IP_OPTIONS);
	struct ring_seen seen = {};
	struct ring_buffer *rb = ring_open(&seen);
	struct pierce_cfg c;
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, 20049, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, 20048), &l);

	assert_int_equal(pierce_dp_slowpath_alive(T.dp), 0);
	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	assert_true(c.flags & PIERCE_CFG_SLOWPATH);
	assert_true(c.slow_alive_ns != 0 && c.slow_alive_ns <= t_coarse_ns());
	assert_int_equal(send_spec(&s, &r), 0);
	assert_int_equal(r.action, XDP_DROP); /* queued */
	assert_int_equal(ring_buffer__consume(rb), 1);

	set_alive(t_coarse_ns() - PIERCE_SLOW_ALIVE_NS - 1000000000ULL); /* went quiet 6 s ago */
	assert_int_equal(send_spec(&s, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(ring_buffer__consume(rb), 0);
	assert_int_equal(t_count(PIERCE_R_PASS_SLOW), pslow + 1);

	set_alive(t_coarse_ns() - PIERCE_SLOW_ALIVE_NS / 2); /* late, but within the limit */
	assert_int_equal(send_spec(&s, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 1);

	set_alive(0); /* a consumer that sends no heartbeat: the flag alone */
	assert_int_equal(send_spec(&s, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(t_count(PIERCE_R_SLOW_IP_OPTIONS), sopt + 3);
	slowpath_flag(false);
	ring_buffer__free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtcp_sibling_follows_rtp_latch),
		cmocka_unit_test(test_rtcp_latched_by_attacker_first),
		cmocka_unit_test(test_any_src_latches_rtp_shaped_only),
		cmocka_unit_test(test_source_check_before_slow_path),
		cmocka_unit_test(test_ttl_and_hop_limit),
		cmocka_unit_test(test_vlan_tagged_redirect),
		cmocka_unit_test(test_fragments_to_the_kernel),
		cmocka_unit_test(test_too_big_for_the_ring),
		cmocka_unit_test(test_slow_consumer_heartbeat),
	};

	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}

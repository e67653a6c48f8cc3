// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real relay program under BPF_PROG_TEST_RUN: source policies and
 * latching, every parse failure, the slow path and its ring, the fib
 * failures, and one reason counter per packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define P_A 20010 /* leg A: the caller sends here */
#define P_B 20011 /* leg B: the callee sends here */

static void set_leg(uint32_t idx, const struct pierce_leg *l)
{
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, l, true), 0);
}

static int send_v4(const char *src, uint16_t sport, uint16_t dport, struct t_run *r)
{
	struct t_frame_spec s = { .src = src, .dst = T_RELAY4, .sport = sport, .dport = dport, .payload = 20 };
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s);

	return t_run(f, n, r);
}

/* The slow-path reason of a v4 datagram, with a ring consumer. */
static int slow_v4(const char *src, uint16_t sport, uint16_t dport, struct t_run *r)
{
	struct t_frame_spec s = { .src = src, .dst = T_RELAY4, .sport = sport, .dport = dport, .payload = 20 };
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s);

	return t_run_slow(f, n, r);
}

static void test_latch_sets_reverse_destination(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A), b = t_index(T_RELAY4, P_B);
	uint64_t drops = t_count(PIERCE_R_DROP_SRC);
	struct pierce_leg la, lb;
	struct sockaddr_storage ss;
	struct t_run r;

	t_leg(&la, T_RELAY4, P_B, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT); /* A's INVITE came from .2 */
	la.flags |= PIERCE_LEG_HAS_PEER;
	la.peer_index = b;
	t_leg(&lb, T_RELAY4, P_A, T_OTHER4, NULL, 0, PIERCE_SRC_STRICT); /* B's dest unknown yet */
	lb.flags |= PIERCE_LEG_HAS_PEER;
	lb.peer_index = a;
	set_leg(a, &la);
	set_leg(b, &lb);

	/* B talks first: no destination yet */
	assert_int_equal(send_v4(T_OTHER4, 9000, P_B, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	/* ...but B latched, and so A now sends to B's exact source */
	assert_int_equal(pierce_dp_leg_get(T.dp, a, &la), 0);
	assert_int_equal(pierce_dp_leg_get(T.dp, b, &lb), 0);
	assert_true(lb.flags & PIERCE_LEG_LATCHED);
	assert_int_equal(ntohs(lb.allow_port_be), 9000);
	assert_true(la.flags & PIERCE_LEG_HAS_DEST);
	assert_int_equal(pierce_addr_to_sockaddr(&la.dst, la.dst_family, la.dst_port_be, &ss), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9000);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr, inet_addr(T_OTHER4));

	/* A's first packet from the allowed IP, any port: latched, forwarded to B */
	assert_int_equal(send_v4(T_PEER4, 4444, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(((struct udphdr *)(r.out + 34))->dest, htons(9000));
	assert_int_equal(((struct iphdr *)(r.out + 14))->daddr, inet_addr(T_OTHER4));
	assert_int_equal(pierce_dp_leg_get(T.dp, b, &lb), 0);
	assert_int_equal(ntohs(lb.dst_port_be), 4444); /* B's media now goes to A's real port */

	/* RTP Bleed: after latching, another port or another IP is dropped */
	assert_int_equal(send_v4(T_PEER4, 4445, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4(T_OTHER4, 4444, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4(T_PEER4, 4444, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), drops + 2);
	assert_int_equal(pierce_dp_leg_get(T.dp, a, &la), 0);
	assert_int_equal(ntohs(la.allow_port_be), 4444);
}

static void test_source_mismatch_before_latch(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A);
	uint64_t drops = t_count(PIERCE_R_DROP_SRC);
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, P_B, T_PEER4, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_OTHER4, 4000, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_SRC), drops + 1);
	assert_int_equal(pierce_dp_leg_get(T.dp, a, &l), 0);
	assert_false(l.flags & PIERCE_LEG_LATCHED);
	assert_int_equal(l.packets, 0);

	/* a known port is enforced before latching too */
	l.allow_port_be = htons(4001);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_PEER4, 4000, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(send_v4(T_PEER4, 4001, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
}

static void test_relatch_and_trust_and_any(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A), b = t_index(T_RELAY4, P_B);
	struct pierce_leg l, lb;
	struct t_run r;

	/* RELATCH: allowed IP, port may change (NAT rebinding) and moves the peer's destination */
	t_leg(&l, T_RELAY4, P_B, T_PEER4, T_PEER4, 7000, PIERCE_SRC_RELATCH);
	l.flags |= PIERCE_LEG_HAS_PEER;
	l.peer_index = b;
	set_leg(a, &l);
	t_leg(&lb, T_RELAY4, P_A, T_OTHER4, NULL, 0, PIERCE_SRC_STRICT);
	set_leg(b, &lb);
	assert_int_equal(send_v4(T_PEER4, 5000, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(send_v4(T_PEER4, 5001, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(pierce_dp_leg_get(T.dp, b, &lb), 0);
	assert_int_equal(ntohs(lb.dst_port_be), 5001);
	assert_int_equal(send_v4(T_OTHER4, 5001, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);

	/* TRUST: anything, never latched */
	t_leg(&l, T_RELAY4, P_B, T_PEER4, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_OTHER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(pierce_dp_leg_get(T.dp, a, &l), 0);
	assert_false(l.flags & PIERCE_LEG_LATCHED);

	/* ANY_SRC: the first packet from anywhere latches; then only that */
	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_STRICT);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_OTHER4, 3000, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(send_v4(T_PEER4, 3000, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
}

static void test_inactive_no_dest_xfamily(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A);
	uint64_t inact = t_count(PIERCE_R_DROP_INACTIVE), nodest = t_count(PIERCE_R_SLOW_NO_DEST);
	uint64_t xf = t_count(PIERCE_R_SLOW_XFAMILY), pslow = t_count(PIERCE_R_PASS_SLOW);
	struct pierce_leg l;
	struct t_run r;

	assert_int_equal(pierce_dp_leg_clear(T.dp, a), 0);
	assert_int_equal(send_v4(T_PEER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_INACTIVE), inact + 1);

	t_leg(&l, T_RELAY4, P_B, T_PEER4, NULL, 0, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_PEER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_SLOW_NO_DEST), nodest + 1);

	t_leg(&l, T_RELAY4, P_B, T_PEER4, T_PEER6, 7000, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	assert_int_equal(send_v4(T_PEER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_PASS); /* no ring consumer: the kernel gets it */
	assert_int_equal(t_count(PIERCE_R_PASS_SLOW), pslow + 1);
	assert_int_equal(slow_v4(T_PEER4, 1, P_A, &r), PIERCE_R_SLOW_XFAMILY);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_SLOW_XFAMILY), xf + 1);
}

/* Every cut of a relayed frame: short headers pass untouched, a short
 * payload on a relay port is dropped as malformed. Never out of bounds. */
static void cut_everywhere(const struct t_frame_spec *s, size_t headers)
{
	uint8_t f[512];
	size_t n = t_build(f, sizeof(f), s);
	uint64_t before = t_count_all(), pm = t_count(PIERCE_R_PASS_MALFORMED), dm = t_count(PIERCE_R_DROP_MALFORMED);
	struct t_run r;

	for (size_t len = ETH_HLEN; len < n; len++) {
		assert_int_equal(t_run(f, len, &r), 0);
		if (len < headers) {
			assert_int_equal(r.action, XDP_PASS);
			assert_int_equal(r.out_len, len);
			assert_memory_equal(r.out, f, len);
		} else {
			assert_int_equal(r.action, XDP_DROP);
		}
	}
	assert_int_equal(t_count_all(), before + (n - ETH_HLEN));
	assert_int_equal(t_count(PIERCE_R_PASS_MALFORMED), pm + (headers - ETH_HLEN));
	assert_int_equal(t_count(PIERCE_R_DROP_MALFORMED), dm + (n - headers));
}

static void test_truncation_at_every_boundary(void **state)
{
	struct t_frame_spec v4 = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_A, .payload = 12 };
	struct t_frame_spec v6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = P_A, .payload = 12 };
	struct t_frame_spec q4 = v4, qq6 = v6;
	struct pierce_leg l;

	q4.vlans = 1;
	qq6.vlans = 2;
	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY4, P_A), &l);
	t_leg(&l, T_RELAY6, P_B, NULL, T_PEER6, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY6, P_A), &l);
	/* the ethertype itself is cut only below 14, which test_run refuses */
	cut_everywhere(&v4, 14 + 20 + 8);
	cut_everywhere(&v6, 14 + 40 + 8);
	cut_everywhere(&q4, 18 + 20 + 8);
	cut_everywhere(&qq6, 22 + 40 + 8);
}

static void test_bad_lengths_dropped(void **state)
{
	struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_A, .payload = 12 };
	struct t_frame_spec s6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = P_A, .payload = 12 };
	uint64_t dm = t_count(PIERCE_R_DROP_MALFORMED);
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];
	size_t n;

	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY4, P_A), &l);
	t_leg(&l, T_RELAY6, P_B, NULL, T_PEER6, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY6, P_A), &l);

	n = t_build(f, sizeof(f), &s);
	((struct udphdr *)(f + 34))->len = htons(21); /* UDP longer than IP payload */
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	n = t_build(f, sizeof(f), &s);
	((struct iphdr *)(f + 14))->tot_len = htons(27); /* shorter than IP + UDP */
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	n = t_build(f, sizeof(f), &s);
	((struct udphdr *)(f + 34))->len = htons(7);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	n = t_build(f, sizeof(f), &s6);
	((struct ipv6hdr *)(f + 14))->payload_len = htons(100); /* beyond the frame */
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	n = t_build(f, sizeof(f), &s6);
	((struct udphdr *)(f + 54))->check = 0; /* invalid over IPv6 */
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_DROP_MALFORMED), dm + 5);

	/* Ethernet padding after a short datagram is fine */
	n = t_build(f, sizeof(f), &s);
	assert_int_equal(t_run(f, n + 10, &r), 0);
	assert_int_equal(r.action, XDP_TX);
}

static void expect_pass(const struct t_frame_spec *s, enum pierce_reason reason)
{
	uint64_t c = t_count(reason);
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), s);

	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, f, n);
	assert_int_equal(t_count(reason), c + 1);
}

static void test_fragments_options_v6_ext(void **state)
{
	struct t_frame_spec first = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_A, .payload = 12,
				      .v4_frag = 0x2000 };
	struct t_frame_spec later = first, opts = first, sip_opts = first, ext6, frag6, sip_ext6;
	struct pierce_leg l;

	later.v4_frag = 0x0010; /* offset 128, last */
	opts.v4_frag = 0;
	opts.v4_opt_words = 2;
	sip_opts = opts;
	sip_opts.dport = 5060;
	ext6 = (struct t_frame_spec){ .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = P_A, .payload = 12,
				      .v6_ext = IPPROTO_DSTOPTS };
	frag6 = ext6;
	frag6.v6_ext = IPPROTO_FRAGMENT;
	sip_ext6 = ext6;
	sip_ext6.dport = 5060;
	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY4, P_A), &l);
	t_leg(&l, T_RELAY6, P_B, NULL, T_PEER6, 7000, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY6, P_A), &l);

	expect_pass(&first, PIERCE_R_PASS_FRAGMENT);
	expect_pass(&later, PIERCE_R_PASS_FRAGMENT);
	expect_pass(&opts, PIERCE_R_PASS_SLOW); /* slow path, but no ring consumer */
	expect_pass(&sip_opts, PIERCE_R_NOT_OURS); /* options never hide SIP from the stack */
	expect_pass(&ext6, PIERCE_R_PASS_SLOW);
	expect_pass(&frag6, PIERCE_R_PASS_FRAGMENT);
	expect_pass(&sip_ext6, PIERCE_R_NOT_OURS);
}

/* lo's forwarding flag is what bpf_fib_lookup checks when it is told lo;
 * the veth (a would-be external interface) stays a non-router. */
static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void test_fib_fwd_disabled_unless_lo(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A), a6 = t_index(T_RELAY6, P_A);
	struct t_frame_spec s6 = { .src = T_PEER6, .dst = T_RELAY6, .sport = 4000, .dport = P_A, .payload = 12 };
	uint64_t fib = t_count(PIERCE_R_SLOW_FIB);
	struct pierce_cfg c, saved;
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s6);

	assert_int_equal(read_sysctl("/proc/sys/net/ipv4/conf/lo/forwarding"), 1);
	assert_int_equal(read_sysctl("/proc/sys/net/ipv6/conf/lo/forwarding"), 1);
	assert_int_equal(read_sysctl("/proc/sys/net/ipv4/conf/pd0/forwarding"), 0);
	assert_int_equal(read_sysctl("/proc/sys/net/ipv4/conf/all/forwarding"), 0);
	assert_int_equal(read_sysctl("/proc/sys/net/ipv6/conf/pd0/forwarding"), 0);
	assert_int_equal(read_sysctl("/proc/sys/net/ipv6/conf/all/forwarding"), 0);

	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	saved = c;
	assert_int_equal(c.fib_ifindex, 1);
	c.fib_ifindex = 0; /* the ingress interface: forwarding is off there */
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	t_leg(&l, T_RELAY6, P_B, NULL, T_PEER6, 7000, PIERCE_SRC_TRUST);
	set_leg(a6, &l);
	assert_int_equal(slow_v4(T_PEER4, 1, P_A, &r), PIERCE_R_SLOW_FIB);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_run_slow(f, n, &r), PIERCE_R_SLOW_FIB);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_SLOW_FIB), fib + 2);

	assert_int_equal(pierce_dp_cfg_set(T.dp, &saved), 0);
	assert_int_equal(send_v4(T_PEER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_TX);
}

static void test_fib_no_neigh_and_unroutable(void **state)
{
	uint32_t a = t_index(T_RELAY4, P_A);
	uint64_t nn = t_count(PIERCE_R_SLOW_NO_NEIGH), fib = t_count(PIERCE_R_SLOW_FIB), pslow;
	struct pierce_leg l;
	struct t_run r;

	t_leg(&l, T_RELAY4, P_B, NULL, T_NONEIGH4, 7000, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	assert_int_equal(slow_v4(T_PEER4, 1, P_A, &r), PIERCE_R_SLOW_NO_NEIGH);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_SLOW_NO_NEIGH), nn + 1);
	t_leg(&l, T_RELAY4, P_B, NULL, "198.51.100.1", 7000, PIERCE_SRC_TRUST); /* no route */
	set_leg(a, &l);
	assert_int_equal(slow_v4(T_PEER4, 1, P_A, &r), PIERCE_R_SLOW_FIB);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(t_count(PIERCE_R_SLOW_FIB), fib + 1);
	/* without a ring consumer the kernel gets them, counted pass_slow */
	pslow = t_count(PIERCE_R_PASS_SLOW);
	assert_int_equal(send_v4(T_PEER4, 1, P_A, &r), 0);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(t_count(PIERCE_R_PASS_SLOW), pslow + 1);
	assert_int_equal(t_count(PIERCE_R_SLOW_FIB), fib + 1);
	assert_int_equal(pierce_dp_leg_get(T.dp, a, &l), 0);
	assert_int_equal(l.nh_stamp_ns, 0); /* failures are not cached */
}

struct ring_seen {
	int n;
	struct pierce_slow_hdr hdr;
	uint8_t frame[256];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct ring_seen *seen = ctx;
	const struct pierce_slow_hdr *h = data;

	if (seen->n++ == 0 && size >= sizeof(*h)) {
		seen->hdr = *h;
		memcpy(seen->frame, h + 1, h->frame_len < sizeof(seen->frame) ? h->frame_len : sizeof(seen->frame));
	}
	return 0;
}

static void test_slow_path_ring(void **state)
{
	struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_A, .payload = 30,
				  .v4_opt_words = 1 };
	uint64_t frag = t_count(PIERCE_R_SLOW_IP_OPTIONS), full = t_count(PIERCE_R_SLOW_RING_FULL);
	struct ring_seen seen = {};
	struct ring_buffer *rb;
	struct pierce_cfg c;
	struct pierce_leg l;
	struct t_run r;
	uint8_t f[256];
	size_t n = t_build(f, sizeof(f), &s);
	uint32_t a = t_index(T_RELAY4, P_A);

	t_leg(&l, T_RELAY4, P_B, NULL, T_PEER4, 7000, PIERCE_SRC_TRUST);
	set_leg(a, &l);
	rb = ring_buffer__new(pierce_dp_slowpath_fd(T.dp), on_record, &seen, NULL);
	assert_non_null(rb);
	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	c.flags |= PIERCE_CFG_SLOWPATH;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);

	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(r.action, XDP_DROP); /* user space owns it now */
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.hdr.reason, PIERCE_R_SLOW_IP_OPTIONS);
	assert_int_equal(seen.hdr.ifindex, T.if_pd0);
	assert_int_equal(seen.hdr.leg_index, a);
	assert_int_equal(seen.hdr.frame_len, n);
	assert_int_equal(seen.hdr.orig_len, n);
	assert_true(seen.hdr.ts_ns != 0);
	assert_memory_equal(seen.frame, f, n);
	assert_int_equal(t_count(PIERCE_R_SLOW_IP_OPTIONS), frag + 1);

	/* nobody drains: the ring fills, and the overflow passes, counted */
	{
		uint32_t cap = PIERCE_SLOWPATH_BYTES / (sizeof(struct pierce_slow_hdr) + PIERCE_SLOW_MAX_FRAME + 8);

		assert_int_equal(t_run_n(f, n, T.if_pd0, cap + 100, &r), 0);
		assert_int_equal(r.action, XDP_PASS); /* the last one found the ring full */
		assert_true(t_count(PIERCE_R_SLOW_RING_FULL) >= full + 100);
		assert_int_equal(t_count(PIERCE_R_SLOW_RING_FULL) + t_count(PIERCE_R_SLOW_IP_OPTIONS),
				 full + frag + 1 + cap + 100);
	}
	seen.n = 0;
	assert_true(ring_buffer__consume(rb) > 0);
	c.flags &= ~(uint32_t)PIERCE_CFG_SLOWPATH;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	ring_buffer__free(rb);
}

/* Every run increments exactly one counter, whatever happens. */
static void test_one_counter_per_packet(void **state)
{
	uint64_t before = t_count_all();
	struct t_run r;
	int runs = 0;

	for (uint16_t port = T_PORT_MIN - 2; port < T_PORT_MIN + 14; port++) {
		assert_int_equal(send_v4(T_PEER4, 1, port, &r), 0);
		assert_int_equal(send_v4(T_OTHER4, 2, port, &r), 0);
		runs += 2;
	}
	assert_int_equal(t_count_all(), before + (uint64_t)runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latch_sets_reverse_destination),
		cmocka_unit_test(test_source_mismatch_before_latch),
		cmocka_unit_test(test_relatch_and_trust_and_any),
		cmocka_unit_test(test_inactive_no_dest_xfamily),
		cmocka_unit_test(test_truncation_at_every_boundary),
		cmocka_unit_test(test_bad_lengths_dropped),
		cmocka_unit_test(test_fragments_options_v6_ext),
		cmocka_unit_test(test_fib_fwd_disabled_unless_lo),
		cmocka_unit_test(test_fib_no_neigh_and_unroutable),
		cmocka_unit_test(test_slow_path_ring),
		cmocka_unit_test(test_one_counter_per_packet),
	};

	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}

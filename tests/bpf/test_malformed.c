// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Malformed and hostile frames through the real relay program
 * (BPF_PROG_TEST_RUN): every truncation point, inconsistent lengths, IPv4
 * options, fragments, VLAN stacks up to three tags, long IPv6 extension
 * chains, zero and bad checksums, non-UDP protocols and foreign sources on
 * relay ports, then a seeded mutation loop over valid frames.
 *
 * Every frame goes through check_frame(): exactly one reason counter moves,
 * the verdict is the one that reason stands for, a passed frame is
 * untouched, and a forwarded frame is verified from scratch: addresses and
 * ports of the leg, tags and payload kept, lengths kept, and each checksum
 * valid exactly when it was valid on the way in (incremental updates keep
 * a good checksum good and never repair a bad one; zero stays zero).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define P_IN     20020 /* the leg under test: anything from anywhere, forwarded */
#define P_OUT    20021 /* the relay port it leaves from */
#define P_STRICT 20022 /* a leg that only takes T_OTHER4 */
#define DST_PORT 6000

#define MUTATIONS 4000 /* per base frame */
#define SEED      0x5eed1234u

struct frame_info {
	size_t l3;         /* offset of the IP header */
	int af;
	size_t l4;         /* offset of the UDP header (0: none found) */
	bool ip_csum_ok;   /* IPv4 header checksum */
	bool udp_csum_ok;
	bool udp_csum_zero;
};

static uint64_t verdicts[5];
static uint64_t forwarded_checked;

static void set_leg(uint32_t idx, const struct pierce_leg *l)
{
	assert_int_equal(pierce_dp_leg_set(T.dp, idx, l, true), 0);
}

static int setup_legs(void **state)
{
	struct pierce_leg l;

	t_leg(&l, T_RELAY4, P_OUT, NULL, T_PEER4, DST_PORT, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY4, P_IN), &l);
	t_leg(&l, T_RELAY6, P_OUT, NULL, T_PEER6, DST_PORT, PIERCE_SRC_TRUST);
	set_leg(t_index(T_RELAY6, P_IN), &l);
	t_leg(&l, T_RELAY4, P_OUT, T_OTHER4, T_PEER4, DST_PORT, PIERCE_SRC_STRICT);
	set_leg(t_index(T_RELAY4, P_STRICT), &l);
	return 0;
}

/* ---- reading a frame from scratch ------------------------------------------ */

static bool is_vlan(uint16_t et)
{
	return et == 0x8100 || et == 0x88a8;
}

/* Where IP and UDP are, and whether the checksums verify, computed here
 * with no help from the program. False when the frame is not plain
 * Ethernet/VLAN + IPv4 (no options, no fragment) / IPv6 (no extension) + UDP
 * with consistent lengths. */
static bool frame_parse(const uint8_t *f, size_t n, struct frame_info *fi)
{
	size_t off = 12;
	uint16_t et;

	memset(fi, 0, sizeof(*fi));
	for (;;) {
		if (off + 2 > n)
			return false;
		et = (uint16_t)(f[off] << 8 | f[off + 1]);
		if (!is_vlan(et))
			break;
		off += 4;
	}
	fi->l3 = off + 2;
	if (et == ETH_P_IP) {
		const struct iphdr *ip = (const void *)(f + fi->l3);
		uint16_t tot, ulen;

		if (fi->l3 + 20 > n || ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ntohs(ip->frag_off) & 0x3fff))
			return false;
		tot = ntohs(ip->tot_len);
		if (tot < 28 || fi->l3 + tot > n)
			return false;
		fi->af = AF_INET;
		fi->ip_csum_ok = t_fold(t_sum(ip, 20, 0)) == 0;
		fi->l4 = fi->l3 + 20;
		ulen = ntohs(((const struct udphdr *)(f + fi->l4))->len);
		if (ulen < 8 || ulen > tot - 20)
			return false;
		fi->udp_csum_zero = ((const struct udphdr *)(f + fi->l4))->check == 0;
		fi->udp_csum_ok = fi->udp_csum_zero || t_udp_csum(AF_INET, &ip->saddr, &ip->daddr, f + fi->l4, ulen) == 0;
		return true;
	}
	if (et == ETH_P_IPV6) {
		const struct ipv6hdr *ip6 = (const void *)(f + fi->l3);
		uint16_t plen, ulen;

		if (fi->l3 + 40 > n || ip6->version != 6 || ip6->nexthdr != IPPROTO_UDP)
			return false;
		plen = ntohs(ip6->payload_len);
		if (plen < 8 || fi->l3 + 40 + plen > n)
			return false;
		fi->af = AF_INET6;
		fi->ip_csum_ok = true;
		fi->l4 = fi->l3 + 40;
		ulen = ntohs(((const struct udphdr *)(f + fi->l4))->len);
		if (ulen < 8 || ulen > plen)
			return false;
		fi->udp_csum_ok = t_udp_csum(AF_INET6, &ip6->saddr, &ip6->daddr, f + fi->l4, ulen) == 0;
		return true;
	}
	return false;
}

/* A forwarded frame, checked against the input it came from. */
static void check_forwarded(const uint8_t *in, size_t n, const struct t_run *r)
{
	struct frame_info fi, fo;
	const struct udphdr *ui, *uo;
	uint8_t relay[16], peer[16];
	size_t alen;

	assert_true(frame_parse(in, n, &fi)); /* only a sound frame may be forwarded */
	assert_true(frame_parse(r->out, r->out_len, &fo));
	assert_int_equal(r->out_len, n);
	assert_int_equal(fo.l3, fi.l3);
	assert_int_equal(fo.af, fi.af);
	assert_memory_equal(r->out, t_peer_mac, 6);
	assert_memory_equal(r->out + 6, T.pd0_mac, 6);
	assert_memory_equal(r->out + 12, in + 12, fi.l3 - 12); /* tags and ethertype kept */
	alen = fi.af == AF_INET ? 4 : 16;
	inet_pton(fi.af, fi.af == AF_INET ? T_RELAY4 : T_RELAY6, relay);
	inet_pton(fi.af, fi.af == AF_INET ? T_PEER4 : T_PEER6, peer);
	if (fi.af == AF_INET) {
		const struct iphdr *ii = (const void *)(in + fi.l3), *io = (const void *)(r->out + fo.l3);

		assert_memory_equal(&io->saddr, relay, alen);
		assert_memory_equal(&io->daddr, peer, alen);
		assert_int_equal(io->tot_len, ii->tot_len);
		assert_int_equal(io->protocol, IPPROTO_UDP);
		assert_int_equal(fo.ip_csum_ok, fi.ip_csum_ok);
	} else {
		const struct ipv6hdr *io = (const void *)(r->out + fo.l3);

		assert_memory_equal(&io->saddr, relay, alen);
		assert_memory_equal(&io->daddr, peer, alen);
	}
	ui = (const void *)(in + fi.l4);
	uo = (const void *)(r->out + fo.l4);
	assert_int_equal(ntohs(uo->source), P_OUT);
	assert_int_equal(ntohs(uo->dest), DST_PORT);
	assert_int_equal(uo->len, ui->len);
	assert_int_equal(fo.udp_csum_zero, fi.udp_csum_zero);
	assert_int_equal(fo.udp_csum_ok, fi.udp_csum_ok);
	assert_memory_equal(r->out + fo.l4 + 8, in + fi.l4 + 8, n - fi.l4 - 8); /* payload and trailer */
	forwarded_checked++;
}

/* ---- one frame, every rule ------------------------------------------------- */

static int action_of(enum pierce_reason why, int action)
{
	switch (why) {
	case PIERCE_R_FWD_TX: return XDP_TX;
	case PIERCE_R_FWD_REDIRECT: return XDP_REDIRECT;
	case PIERCE_R_DROP_SRC:
	case PIERCE_R_DROP_MALFORMED:
	case PIERCE_R_DROP_INACTIVE:
	case PIERCE_R_SLOW_NO_DEST: return XDP_DROP;
	case PIERCE_R_NOT_OURS:
	case PIERCE_R_PASS_MALFORMED:
	case PIERCE_R_PASS_NOT_UDP:
	case PIERCE_R_SLOW_RING_FULL:
	case PIERCE_R_PASS_SLOW: return XDP_PASS;
	default: /* other slow-path reasons: into the ring (dropped here) or passed on untouched */
		return action == XDP_DROP || action == XDP_PASS ? action : -1;
	}
}

/* Runs the frame; returns the one reason counted. */
static enum pierce_reason check_frame(const uint8_t *f, size_t n)
{
	struct pierce_stats before, after;
	int reason = -1;
	struct t_run r;

	assert_int_equal(pierce_dp_stats(T.dp, &before), 0);
	assert_int_equal(t_run(f, n, &r), 0);
	assert_int_equal(pierce_dp_stats(T.dp, &after), 0);
	for (int i = 0; i < PIERCE_R__COUNT; i++) {
		uint64_t d = after.packets[i] - before.packets[i];

		if (!d)
			continue;
		if (d != 1 || reason >= 0)
			fail_msg("frame of %zu bytes moved counter %s by %llu (reason already %d)", n,
				 pierce_reason_name((unsigned)i), (unsigned long long)d, reason);
		reason = i;
	}
	if (reason < 0)
		fail_msg("frame of %zu bytes counted by no reason (action %d)", n, r.action);
	if (r.action != action_of((enum pierce_reason)reason, r.action))
		fail_msg("reason %s with action %d", pierce_reason_name((unsigned)reason), r.action);
	assert_true(r.action >= 0 && r.action < (int)(sizeof(verdicts) / sizeof(verdicts[0])));
	verdicts[r.action]++;
	if (r.action == XDP_PASS) {
		assert_int_equal(r.out_len, n);
		assert_memory_equal(r.out, f, n); /* the kernel gets exactly what came in */
	} else if (r.action == XDP_TX) {
		check_forwarded(f, n, &r);
	} else {
		assert_true(r.action == XDP_DROP || r.action == XDP_REDIRECT);
	}
	return (enum pierce_reason)reason;
}

static bool forwarded(enum pierce_reason why)
{
	return why == PIERCE_R_FWD_TX || why == PIERCE_R_FWD_REDIRECT;
}

static size_t build(uint8_t *f, size_t cap, const char *src, const char *dst, uint16_t dport, int vlans)
{
	struct t_frame_spec s = { .src = src, .dst = dst, .sport = 4000, .dport = dport, .payload = 40,
				  .vlans = vlans };

	return t_build(f, cap, &s);
}

/* Inserts one more 802.1Q tag after the MAC addresses. */
static size_t add_tag(uint8_t *f, size_t n, uint16_t vid)
{
	memmove(f + 16, f + 12, n - 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(vid >> 8);
	f[15] = (uint8_t)vid;
	return n + 4;
}

/* ---- the corpus ------------------------------------------------------------ */

static void test_valid_frames_forward(void **state)
{
	uint8_t f[512];
	size_t n;

	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
	n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 1);
	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
	n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 2);
	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
}

static void test_every_truncation(void **state)
{
	static const struct {
		const char *src, *dst;
		int vlans, extra_tags;
	} v[] = {
		{ T_PEER4, T_RELAY4, 0, 0 }, { T_PEER6, T_RELAY6, 0, 0 }, { T_PEER4, T_RELAY4, 1, 0 },
		{ T_PEER6, T_RELAY6, 2, 0 }, { T_PEER4, T_RELAY4, 2, 1 }, { T_PEER6, T_RELAY6, 2, 1 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t f[512];
		size_t n = build(f, sizeof(f), v[i].src, v[i].dst, P_IN, v[i].vlans);

		if (v[i].extra_tags)
			n = add_tag(f, n, 300);
		/* test_run refuses frames shorter than an Ethernet header */
		for (size_t cut = 14; cut < n; cut++)
			assert_false(forwarded(check_frame(f, cut)));
	}
}

static void test_bad_lengths(void **state)
{
	uint8_t f[512];
	size_t n;
	struct iphdr *ip = (struct iphdr *)(f + 14);
	struct ipv6hdr *ip6 = (struct ipv6hdr *)(f + 14);
	struct udphdr *u4 = (struct udphdr *)(f + 34), *u6 = (struct udphdr *)(f + 54);
	static const int tot_delta[] = { 1, 100, 1000, -1, -9, -30, -48 };
	static const int ulen_delta[] = { 1, 100, -1, -41, -45, -48 };

	for (size_t i = 0; i < sizeof(tot_delta) / sizeof(tot_delta[0]); i++) {
		n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
		ip->tot_len = htons((uint16_t)(ntohs(ip->tot_len) + tot_delta[i]));
		ip->check = 0;
		ip->check = htons(t_fold(t_sum(ip, 20, 0)));
		assert_false(forwarded(check_frame(f, n)));
	}
	for (size_t i = 0; i < sizeof(ulen_delta) / sizeof(ulen_delta[0]); i++) {
		n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
		u4->len = htons((uint16_t)(ntohs(u4->len) + ulen_delta[i]));
		if (ulen_delta[i] > 0)
			assert_false(forwarded(check_frame(f, n)));
		else
			check_frame(f, n); /* a UDP datagram shorter than its IP packet may go either way */
		n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 0);
		u6->len = htons((uint16_t)(ntohs(u6->len) + ulen_delta[i]));
		if (ulen_delta[i] > 0)
			assert_false(forwarded(check_frame(f, n)));
		else
			check_frame(f, n);
	}
	for (size_t i = 0; i < sizeof(tot_delta) / sizeof(tot_delta[0]); i++) {
		n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 0);
		ip6->payload_len = htons((uint16_t)(ntohs(ip6->payload_len) + tot_delta[i]));
		if (tot_delta[i] > 0)
			assert_false(forwarded(check_frame(f, n)));
		else
			check_frame(f, n);
	}
	/* IHL below 5, version wrong, Ethernet padding after the packet */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	ip->ihl = 4;
	assert_false(forwarded(check_frame(f, n)));
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	ip->version = 6;
	assert_false(forwarded(check_frame(f, n)));
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	memset(f + n, 0xee, 18);
	check_frame(f, n + 18); /* padding is legal; if forwarded, it is checked to be kept */
}

static void test_options_and_fragments(void **state)
{
	for (uint8_t words = 1; words <= 10; words++) {
		struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40,
					  .v4_opt_words = words };
		uint8_t f[512];
		size_t n = t_build(f, sizeof(f), &s);

		assert_false(forwarded(check_frame(f, n)));
	}
	static const uint16_t frags[] = { 0x2000, 0x0001, 0x2010, 0x1fff, 0x4000 | 0x2000 };

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40,
					  .v4_frag = frags[i] };
		uint8_t f[512];
		size_t n = t_build(f, sizeof(f), &s);

		assert_false(forwarded(check_frame(f, n)));
	}
	/* DF alone is an ordinary packet */
	struct t_frame_spec df = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40,
				   .v4_frag = 0x4000 };
	uint8_t f[512];
	size_t n = t_build(f, sizeof(f), &df);

	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
}

static void test_vlan_stacks(void **state)
{
	uint8_t f[512];
	size_t n;

	for (int vlans = 0; vlans <= 2; vlans++) {
		n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, vlans);
		assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
	}
	/* three tags, and four: whatever the verdict, it is counted and never wrong */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 2);
	n = add_tag(f, n, 7);
	check_frame(f, n);
	n = add_tag(f, n, 8);
	check_frame(f, n);
	n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 2);
	n = add_tag(f, n, 9);
	check_frame(f, n);
	/* a tag that ends the frame */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 1);
	assert_false(forwarded(check_frame(f, 18)));
}

/* IPv6 with a chain of k extension headers (8 bytes each) before UDP. */
static size_t build_v6_chain(uint8_t *f, size_t cap, const uint8_t *types, unsigned k)
{
	size_t n = build(f, cap, T_PEER6, T_RELAY6, P_IN, 0);
	struct ipv6hdr *ip6 = (struct ipv6hdr *)(f + 14);
	size_t ext = 8u * k;

	memmove(f + 54 + ext, f + 54, n - 54);
	for (unsigned i = 0; i < k; i++) {
		uint8_t *e = f + 54 + 8 * i;

		memset(e, 0, 8);
		e[0] = i + 1 < k ? types[i + 1] : IPPROTO_UDP;
		if (types[i] == IPPROTO_FRAGMENT)
			e[3] = 1; /* more fragments */
	}
	ip6->nexthdr = types[0];
	ip6->payload_len = htons((uint16_t)(ntohs(ip6->payload_len) + ext));
	return n + ext;
}

static void test_ipv6_extension_chains(void **state)
{
	static const uint8_t kinds[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT };
	uint8_t types[24], f[1024];

	for (unsigned k = 1; k <= 24; k++) {
		for (unsigned i = 0; i < k; i++)
			types[i] = kinds[(i * 7 + k) % 4];
		size_t n = build_v6_chain(f, sizeof(f), types, k);

		assert_false(forwarded(check_frame(f, n)));
		/* and the same chain cut short inside the extension headers */
		assert_false(forwarded(check_frame(f, 54 + 8 * k - 3)));
	}
	/* a chain that never reaches a transport header: every header is DSTOPTS */
	memset(types, IPPROTO_DSTOPTS, sizeof(types));
	size_t n = build_v6_chain(f, sizeof(f), types, 24);

	f[54 + 8 * 23] = IPPROTO_DSTOPTS;
	assert_false(forwarded(check_frame(f, n)));
}

static void test_checksums(void **state)
{
	struct t_frame_spec z = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40,
				  .zero_csum = true };
	uint8_t f[512];
	size_t n = t_build(f, sizeof(f), &z);

	assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX); /* zero stays zero: checked inside */
	/* a bad UDP checksum: forwarded or not, never "repaired" into a good one */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	f[34 + 6] ^= 0x5a;
	check_frame(f, n);
	n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 0);
	f[54 + 6] ^= 0x5a;
	check_frame(f, n);
	/* a bad IPv4 header checksum */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
	f[14 + 10] ^= 0x01;
	check_frame(f, n);
	/* IPv6 with a zero UDP checksum (illegal, RFC 8200) */
	n = build(f, sizeof(f), T_PEER6, T_RELAY6, P_IN, 0);
	f[54 + 6] = f[54 + 7] = 0;
	check_frame(f, n);
	/* payload bytes that make the checksum 0xffff after the rewrite */
	for (unsigned b = 0; b < 256; b++) {
		n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_IN, 0);
		f[42] = (uint8_t)b;
		((struct udphdr *)(f + 34))->check = 0;
		((struct udphdr *)(f + 34))->check =
			htons(t_udp_csum(AF_INET, f + 26, f + 30, f + 34, ntohs(((struct udphdr *)(f + 34))->len)));
		if (!((struct udphdr *)(f + 34))->check)
			((struct udphdr *)(f + 34))->check = 0xffff;
		assert_int_equal(check_frame(f, n), PIERCE_R_FWD_TX);
	}
}

static void test_not_udp_on_relay_ports(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_GRE, IPPROTO_SCTP, IPPROTO_UDPLITE,
					  IPPROTO_ESP };

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct t_frame_spec s = { .src = T_PEER4, .dst = T_RELAY4, .sport = 4000, .dport = P_IN, .payload = 40,
					  .ip_proto = protos[i] };
		struct t_frame_spec s6 = s;
		uint8_t f[512];
		size_t n = t_build(f, sizeof(f), &s);

		assert_int_equal(check_frame(f, n), PIERCE_R_PASS_NOT_UDP);
		s6.src = T_PEER6;
		s6.dst = T_RELAY6;
		n = t_build(f, sizeof(f), &s6);
		assert_false(forwarded(check_frame(f, n)));
	}
	/* ARP and an unknown ethertype on the relay's MAC */
	uint8_t f[64] = { 0 };

	memcpy(f, T.pd0_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(check_frame(f, 42), PIERCE_R_NOT_OURS);
	f[12] = 0x88;
	f[13] = 0xb5;
	assert_int_equal(check_frame(f, 60), PIERCE_R_NOT_OURS);
}

static void test_unexpected_sources(void **state)
{
	uint8_t f[512];
	size_t n;

	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_STRICT, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_DROP_SRC);
	n = build(f, sizeof(f), T_NONEIGH4, T_RELAY4, P_STRICT, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_DROP_SRC);
	/* a relay port with no session, and the relay address on a port outside the range */
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, P_STRICT + 10, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_DROP_INACTIVE);
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, 5060, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_NOT_OURS);
	n = build(f, sizeof(f), T_PEER4, T_RELAY4, T_PORT_MIN + T_PORTS, 0);
	assert_int_equal(check_frame(f, n), PIERCE_R_NOT_OURS);
}

/* ---- mutations ------------------------------------------------------------- */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static size_t mutate(uint8_t *f, size_t n, size_t cap, uint32_t *s)
{
	unsigned ops = 1 + rnd(s) % 4;

	for (unsigned i = 0; i < ops; i++) {
		uint32_t r = rnd(s);
		/* mostly the headers: that is where parsing decisions are */
		size_t at = (r & 3) ? rnd(s) % (n < 70 ? n : 70) : rnd(s) % n;

		switch ((r >> 2) % 6) {
		case 0: f[at] ^= (uint8_t)(1u << (rnd(s) % 8)); break;
		case 1: f[at] = (uint8_t)rnd(s); break;
		case 2: f[at] = (r >> 8) & 1 ? 0xff : 0x00; break;
		case 3: if (at >= 14) n = at; break;                       /* truncate */
		case 4: {                                                  /* grow */
			size_t add = 1 + rnd(s) % 32;

			for (size_t j = 0; j < add && n < cap; j++)
				f[n++] = (uint8_t)rnd(s);
			break;
		}
		case 5: if (at + 1 < n) { f[at] = (uint8_t)(f[at] + 1); f[at + 1] = (uint8_t)(f[at + 1] - 1); } break;
		}
	}
	return n;
}

static void test_seeded_mutations(void **state)
{
	uint8_t base[3][512], f[600];
	size_t bn[3];
	uint32_t s = SEED;
	uint64_t before = t_count_all(), runs = 0, fwd_before = forwarded_checked;

	bn[0] = build(base[0], sizeof(base[0]), T_PEER4, T_RELAY4, P_IN, 0);
	bn[1] = build(base[1], sizeof(base[1]), T_PEER6, T_RELAY6, P_IN, 0);
	bn[2] = build(base[2], sizeof(base[2]), T_PEER4, T_RELAY4, P_IN, 1);
	memset(verdicts, 0, sizeof(verdicts));
	for (int b = 0; b < 3; b++)
		for (int i = 0; i < MUTATIONS; i++) {
			size_t n;

			memcpy(f, base[b], bn[b]);
			n = mutate(f, bn[b], sizeof(f) - 64, &s);
			if (n < 14)
				continue;
			check_frame(f, n);
			runs++;
		}
	assert_int_equal(t_count_all(), before + runs);
	printf("mutations: %llu frames (seed 0x%x): %llu pass, %llu drop, %llu tx (%llu verified), %llu redirect\n",
	       (unsigned long long)runs, SEED, (unsigned long long)verdicts[XDP_PASS],
	       (unsigned long long)verdicts[XDP_DROP], (unsigned long long)verdicts[XDP_TX],
	       (unsigned long long)(forwarded_checked - fwd_before), (unsigned long long)verdicts[XDP_REDIRECT]);
	/* the loop must reach the forwarding path, or it proves nothing about it */
	assert_true(verdicts[XDP_TX] > 100);
	assert_true(verdicts[XDP_DROP] > 100 && verdicts[XDP_PASS] > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_frames_forward, setup_legs),
		cmocka_unit_test_setup(test_every_truncation, setup_legs),
		cmocka_unit_test_setup(test_bad_lengths, setup_legs),
		cmocka_unit_test_setup(test_options_and_fragments, setup_legs),
		cmocka_unit_test_setup(test_vlan_stacks, setup_legs),
		cmocka_unit_test_setup(test_ipv6_extension_chains, setup_legs),
		cmocka_unit_test_setup(test_checksums, setup_legs),
		cmocka_unit_test_setup(test_not_udp_on_relay_ports, setup_legs),
		cmocka_unit_test_setup(test_unexpected_sources, setup_legs),
		cmocka_unit_test_setup(test_seeded_mutations, setup_legs),
	};

	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}

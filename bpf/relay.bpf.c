// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce's XDP data plane. For every UDP packet to a relay (address, port)
 * it finds the leg in an array indexed by port, checks the packet's source
 * (symmetric latching, the RTP Bleed defence), resolves the next hop (cached
 * in the leg), rewrites addresses, ports and checksums in place and sends the
 * packet out with XDP_TX or XDP_REDIRECT. Anything else is left untouched.
 * Every packet increments exactly one per-CPU reason counter.
 */
#include "parsing.h"
#include "csum.h"
#include "pierce/abi.h"

#define AF_INET  2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by user space: n_addrs * port_count */
	/* user space reads legs from a read-only mapping, without a syscall each */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct pierce_leg);
} legs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pierce_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pierce_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PIERCE_SLOWPATH_BYTES);
} slowpath SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} devmap SEC(".maps");

/*
 * Per CPU: the coarse clock as read during the jiffy `jiffies`. The coarse
 * clock moves only at a tick, when jiffies moves too, so reading it once per
 * jiffy and CPU gives the values a read per packet would (at most one tick
 * late, in the instant between the two updates). The helper costs about
 * 15 ns per call on this path (seqcount, a timespec round trip, a return
 * thunk): a quarter of the program's time. Not pinned: a cache, per program.
 */
struct clock_cache {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cache);
} clock SEC(".maps");

static __always_inline __u64 coarse_now(void)
{
	__u32 zero = 0;
	struct clock_cache *cc = bpf_map_lookup_elem(&clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!cc)
		return bpf_ktime_get_coarse_ns();
	if (cc->jiffies != j || !cc->ns) {
		cc->ns = bpf_ktime_get_coarse_ns();
		cc->jiffies = j;
	}
	return cc->ns;
}

#define NO_LEG 0xffffffffU

/* What the parser learnt about a packet addressed to a relay port. */
struct pkt {
	void *l3;
	struct udphdr *udp;
	void *end;        /* data_end */
	__u32 saddr[4];   /* v4 in saddr[0], rest zero */
	__u32 leg_index;
	__u16 ip_len;     /* IPv4 total length or IPv6 40 + payload length */
	__u16 ulen;       /* UDP length, checked against ip_len */
	__u8 family;      /* enum pierce_family */
};

struct slow_rec {
	struct pierce_slow_hdr hdr;
	__u8 frame[PIERCE_SLOW_MAX_FRAME];
};

static __always_inline int count(__u32 reason, __u64 bytes, int action)
{
	__u32 zero = 0;
	struct pierce_stats *s = bpf_map_lookup_elem(&stats, &zero);

	if (s && reason < PIERCE_R__COUNT) {
		s->packets[reason]++;
		s->bytes[reason] += bytes;
	}
	return action;
}

/* The flag alone would outlive a crashed consumer: its heartbeat, when it
 * sends one, must be recent. */
static __always_inline bool slow_consumer_alive(const struct pierce_cfg *c)
{
	__u64 alive = c->slow_alive_ns;

	if (!(c->flags & PIERCE_CFG_SLOWPATH))
		return false;
	return !alive || (__s64)(bpf_ktime_get_coarse_ns() - alive) <= (__s64)PIERCE_SLOW_ALIVE_NS;
}

/* Hands the untouched frame to user space when a consumer reads the ring
 * (XDP_DROP here, user space forwards it); otherwise the kernel gets it. */
static __always_inline int slow_path(struct xdp_md *ctx, const struct pierce_cfg *c, __u32 reason,
				     __u32 leg_index, __u64 bytes)
{
	struct slow_rec *rec;
	__u64 orig;
	__u32 copy;

	if (!slow_consumer_alive(c)) /* the slow_* reason is known only to the ring */
		return count(PIERCE_R_PASS_SLOW, bytes, XDP_PASS);
	orig = bpf_xdp_get_buff_len(ctx);
	if (orig > PIERCE_SLOW_MAX_FRAME) /* a truncated copy could not be forwarded */
		return count(PIERCE_R_PASS_TOO_BIG, bytes, XDP_PASS);
	rec = bpf_ringbuf_reserve(&slowpath, sizeof(*rec), 0);
	if (!rec)
		return count(PIERCE_R_SLOW_RING_FULL, bytes, XDP_PASS);
	copy = (__u32)orig;
	if (copy < 1 || copy > PIERCE_SLOW_MAX_FRAME || bpf_xdp_load_bytes(ctx, 0, rec->frame, copy) < 0) {
		bpf_ringbuf_discard(rec, 0);
		return count(PIERCE_R_PASS_SLOW_COPY, bytes, XDP_PASS);
	}
	rec->hdr.reason = reason;
	rec->hdr.ifindex = ctx->ingress_ifindex;
	rec->hdr.leg_index = leg_index;
	rec->hdr.frame_len = (__u16)copy;
	rec->hdr.orig_len = (__u16)copy;
	rec->hdr.ts_ns = bpf_ktime_get_coarse_ns();
	bpf_ringbuf_submit(rec, 0);
	return count(reason, bytes, XDP_DROP);
}

static __always_inline bool addr_eq(const struct pierce_addr *a, __u8 family, const __u32 *ip)
{
	const __u32 *w = (const __u32 *)a->addr_be;

	if (w[0] != ip[0])
		return false;
	return family == PIERCE_AF_INET || (w[1] == ip[1] && w[2] == ip[2] && w[3] == ip[3]);
}

/* Position of addr in cfg.addrs as the leg slot, or -1: a scan, for a
 * last byte that several relay addresses share. */
static __always_inline int scan_local(const struct pierce_cfg *c, __u8 family, const __u32 *addr)
{
	__u32 n = c->n_addrs;

	for (int i = 0; i < PIERCE_MAX_ADDRS; i++) {
		const struct pierce_local *l = &c->addrs[i];

		if (i >= n)
			break;
		if (l->family == family && addr_eq(&l->addr, family, addr))
			return (int)l->slot;
	}
	return -1;
}

/* The leg slot of relay address addr (whose last byte is last), or -1: one
 * table read and one compare (cfg.addr_by_last). */
static __always_inline int find_local(const struct pierce_cfg *c, __u8 family, const __u32 *addr, __u8 last)
{
	const struct pierce_local *l;
	__u32 i = c->addr_by_last[family == PIERCE_AF_INET6][last];

	if (i == 0)
		return -1;
	if (i == PIERCE_ADDR_SCAN)
		return scan_local(c, family, addr);
	i--;
	if (i >= PIERCE_MAX_ADDRS || i >= c->n_addrs)
		return -1;
	l = &c->addrs[i];
	return l->family == family && addr_eq(&l->addr, family, addr) ? (int)l->slot : -1;
}

static __always_inline int port_offset(const struct pierce_cfg *c, __be16 dport_be)
{
	__u32 off = (__u32)bpf_ntohs(dport_be) - c->port_min;

	return off < c->port_count ? (int)off : -1;
}

static __always_inline void addr_set(struct pierce_addr *a, const __u32 *ip)
{
	__u32 *w = (__u32 *)a->addr_be;

	w[0] = ip[0];
	w[1] = ip[1];
	w[2] = ip[2];
	w[3] = ip[3];
}

/* An RTP leg latched p's source: its ANY_SRC RTCP leg (legs[index + 1])
 * now accepts that IP only. An RTCP leg that an earlier packet latched to
 * another IP is unlatched, and its peer, which was sent to that IP, loses
 * its destination until the real RTCP source latches. */
static __always_inline void narrow_rtcp_leg(const struct pkt *p)
{
	__u32 index = p->leg_index + 1, peer_index;
	struct pierce_leg *rtcp, *peer;
	__u8 flags;

	rtcp = bpf_map_lookup_elem(&legs, &index);
	if (!rtcp)
		return;
	flags = rtcp->flags;
	if (!(flags & PIERCE_LEG_ACTIVE) || !(flags & PIERCE_LEG_ANY_SRC))
		return;
	if ((flags & PIERCE_LEG_LATCHED) && rtcp->allow_family == p->family &&
	    addr_eq(&rtcp->allow, p->family, p->saddr)) {
		rtcp->flags = flags & ~PIERCE_LEG_ANY_SRC;
		return;
	}
	addr_set(&rtcp->allow, p->saddr);
	rtcp->allow_family = p->family;
	rtcp->allow_port_be = 0;
	rtcp->flags = flags & ~(PIERCE_LEG_ANY_SRC | PIERCE_LEG_LATCHED);
	if (!(flags & PIERCE_LEG_LATCHED) || !(flags & PIERCE_LEG_HAS_PEER))
		return;
	peer_index = rtcp->peer_index;
	peer = bpf_map_lookup_elem(&legs, &peer_index);
	if (peer)
		peer->flags &= ~PIERCE_LEG_HAS_DEST;
}

/* Learn the exact source and make it the destination of the opposite leg. */
static __always_inline void latch(struct pierce_leg *leg, const struct pkt *p, __be16 sport)
{
	struct pierce_leg *peer;
	__u32 peer_index;

	addr_set(&leg->allow, p->saddr);
	leg->allow_port_be = sport;
	leg->allow_family = p->family;
	leg->flags |= PIERCE_LEG_LATCHED;
	if (leg->flags & PIERCE_LEG_RTCP_NEXT)
		narrow_rtcp_leg(p);
	if (!(leg->flags & PIERCE_LEG_HAS_PEER))
		return;
	peer_index = leg->peer_index;
	peer = bpf_map_lookup_elem(&legs, &peer_index);
	if (!peer)
		return;
	addr_set(&peer->dst, p->saddr);
	peer->dst_port_be = sport;
	peer->dst_family = p->family;
	peer->nh_stamp_ns = 0; /* new destination: next hop must be looked up again */
	peer->flags |= PIERCE_LEG_HAS_DEST;
}

/* RTP and RTCP both start with version 2 in the top bits; anything else
 * (probes, empty keepalives) must not steer a leg that trusts anyone. */
static __always_inline bool looks_like_rtp(const struct pkt *p)
{
	__u8 *payload = (__u8 *)(p->udp + 1);

	if (p->ulen < sizeof(struct udphdr) + PIERCE_RTP_MIN_LATCH || (void *)(payload + 1) > p->end)
		return false;
	return (payload[0] & 0xc0) == 0x80;
}

enum src_verdict {
	SRC_REFUSE,
	SRC_OK,
	SRC_LATCH, /* allowed, and the packet's source is to be latched */
};

/* The source policy of abi.h, without side effects. */
static __always_inline enum src_verdict source_check(const struct pierce_leg *leg, const struct pkt *p)
{
	__be16 sport = p->udp->source;
	__u8 flags = leg->flags;
	bool latched = flags & PIERCE_LEG_LATCHED;

	if (leg->policy == PIERCE_SRC_TRUST)
		return SRC_OK;
	if (!(flags & PIERCE_LEG_ANY_SRC) || latched) {
		if (leg->allow_family != p->family || !addr_eq(&leg->allow, p->family, p->saddr))
			return SRC_REFUSE;
	}
	if (latched) {
		if (sport == leg->allow_port_be)
			return SRC_OK;
		return leg->policy == PIERCE_SRC_RELATCH ? SRC_LATCH : SRC_REFUSE;
	}
	if (leg->allow_port_be && sport != leg->allow_port_be)
		return SRC_REFUSE;
	return SRC_LATCH;
}

/* true when the packet may be forwarded; latches when the policy says so. */
static __always_inline bool source_ok(struct pierce_leg *leg, const struct pkt *p)
{
	enum src_verdict v = source_check(leg, p);

	if (v != SRC_LATCH)
		return v == SRC_OK;
	if ((leg->flags & (PIERCE_LEG_ANY_SRC | PIERCE_LEG_LATCHED)) == PIERCE_LEG_ANY_SRC && !looks_like_rtp(p))
		return false;
	latch(leg, p, p->udp->source);
	return true;
}

static __always_inline bool fast_path_ok(const struct pierce_leg *leg, bool first_frag, bool slow_headers)
{
	return (leg->flags & PIERCE_LEG_ACTIVE) && !first_frag && !slow_headers;
}

/* The verdict for a packet on a relay port that the fast path cannot take:
 * an inactive leg drops it; a first fragment goes to the kernel (it alone
 * can reassemble the datagram; user space could forward only this one) and
 * anything else (IP options, IPv6 extension headers) to the slow path with
 * slow_reason. Both only from an allowed source, checked without latching
 * (user space decides that), so forbidden sources cannot fill the ring. */
static __always_inline int not_fast(struct xdp_md *ctx, const struct pierce_cfg *c, const struct pierce_leg *leg,
				    const struct pkt *p, bool first_frag, __u32 slow_reason, __u64 bytes)
{
	if (!(leg->flags & PIERCE_LEG_ACTIVE))
		return count(PIERCE_R_DROP_INACTIVE, bytes, XDP_DROP);
	if (source_check(leg, p) == SRC_REFUSE)
		return count(PIERCE_R_DROP_SRC, bytes, XDP_DROP);
	if (first_frag)
		return count(PIERCE_R_PASS_FRAGMENT, bytes, XDP_PASS);
	return slow_path(ctx, c, slow_reason, p->leg_index, bytes);
}

/* The leg's next hop from bpf_fib_lookup, into its cache. Returns 0 or the
 * slow-path reason. Apart from next_hop so that a cache hit does not zero
 * the 64-byte lookup struct. */
static __always_inline __u32 fib_refresh(struct xdp_md *ctx, const struct pierce_cfg *c, struct pierce_leg *leg,
					 const struct pkt *p, __u64 now)
{
	struct bpf_fib_lookup fib = {};
	long rc;

	fib.l4_protocol = IPPROTO_UDP;
	fib.sport = leg->src_port_be;
	fib.dport = leg->dst_port_be;
	fib.tot_len = p->ip_len;
	fib.ifindex = c->fib_ifindex ? c->fib_ifindex : ctx->ingress_ifindex;
	if (p->family == PIERCE_AF_INET) {
		fib.family = AF_INET;
		fib.tos = ((struct iphdr *)p->l3)->tos;
		fib.ipv4_src = *(__u32 *)leg->src.addr_be;
		fib.ipv4_dst = *(__u32 *)leg->dst.addr_be;
	} else {
		fib.family = AF_INET6;
		fib.flowinfo = *(__be32 *)p->l3 & bpf_htonl(0x0fffffff);
		__builtin_memcpy(fib.ipv6_src, leg->src.addr_be, 16);
		__builtin_memcpy(fib.ipv6_dst, leg->dst.addr_be, 16);
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return PIERCE_R_SLOW_NO_NEIGH;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return PIERCE_R_SLOW_FIB;
	__builtin_memcpy(leg->nh_dmac, fib.dmac, 6);
	__builtin_memcpy(leg->nh_smac, fib.smac, 6);
	leg->nh_ifindex = fib.ifindex;
	leg->nh_stamp_ns = now ? now : 1;
	return 0;
}

/* Next hop from the leg's cache, refreshed when stale. Returns 0 or the
 * slow-path reason. */
static __always_inline __u32 next_hop(struct xdp_md *ctx, const struct pierce_cfg *c, struct pierce_leg *leg,
				      const struct pkt *p, __u64 now)
{
	__u64 stamp = leg->nh_stamp_ns;

	if (stamp && c->nh_ttl_ns && now - stamp <= c->nh_ttl_ns)
		return 0;
	return fib_refresh(ctx, c, leg, p, now);
}

static __always_inline void rewrite_v4(struct pierce_leg *leg, struct pkt *p, __u8 hop)
{
	struct iphdr *ip = p->l3;
	struct udphdr *udp = p->udp;
	__u32 new_src = *(__u32 *)leg->src.addr_be;
	__u32 new_dst = *(__u32 *)leg->dst.addr_be;
	__u64 addrs = 0, ports = 0, tos = 0, ttl;
	__u16 ttl_word = *(__u16 *)&ip->ttl; /* ttl and protocol */

	ip->ttl -= hop; /* relay() checked it is above 1 */
	ttl = csum_delta16(0, ttl_word, *(__u16 *)&ip->ttl);
	addrs = csum_delta32(addrs, ip->saddr, new_src);
	addrs = csum_delta32(addrs, ip->daddr, new_dst);
	if (leg->flags & PIERCE_LEG_SET_DSCP) {
		__u16 old_word = *(__u16 *)ip;

		ip->tos = (__u8)(leg->dscp << 2) | (ip->tos & 0x3);
		tos = csum_delta16(0, old_word, *(__u16 *)ip);
	}
	ip->saddr = new_src;
	ip->daddr = new_dst;
	ip->check = csum_apply(ip->check, addrs + tos + ttl);
	if (udp->check) { /* zero: the sender chose no checksum, keep it so */
		ports = csum_delta16(ports, udp->source, leg->src_port_be);
		ports = csum_delta16(ports, udp->dest, leg->dst_port_be);
		udp->check = csum_apply_udp(udp->check, addrs + ports);
	}
	udp->source = leg->src_port_be;
	udp->dest = leg->dst_port_be;
}

static __always_inline void rewrite_v6(struct pierce_leg *leg, struct pkt *p, __u8 hop)
{
	struct ipv6hdr *ip6 = p->l3;
	struct udphdr *udp = p->udp;
	__u32 *s = (__u32 *)&ip6->saddr, *d = (__u32 *)&ip6->daddr;
	const __u32 *ns = (const __u32 *)leg->src.addr_be, *nd = (const __u32 *)leg->dst.addr_be;
	__u64 delta = 0;

	ip6->hop_limit -= hop; /* relay() checked it is above 1; no header checksum */
	if (leg->flags & PIERCE_LEG_SET_DSCP) {
		__u32 w = bpf_ntohl(*(__be32 *)ip6);
		__u32 tc = (w >> 20) & 0xff;

		tc = ((__u32)leg->dscp << 2) | (tc & 0x3);
		*(__be32 *)ip6 = bpf_htonl((w & ~(0xffU << 20)) | (tc << 20));
	}
#pragma unroll
	for (int i = 0; i < 4; i++) {
		delta = csum_delta32(delta, s[i], ns[i]);
		delta = csum_delta32(delta, d[i], nd[i]);
		s[i] = ns[i];
		d[i] = nd[i];
	}
	delta = csum_delta16(delta, udp->source, leg->src_port_be);
	delta = csum_delta16(delta, udp->dest, leg->dst_port_be);
	udp->check = csum_apply_udp(udp->check, delta);
	udp->source = leg->src_port_be;
	udp->dest = leg->dst_port_be;
}

/* From a parsed packet on an active leg to the verdict. */
static __always_inline int relay(struct xdp_md *ctx, const struct pierce_cfg *c, struct ethhdr *eth,
				 struct pierce_leg *leg, struct pkt *p, __u64 bytes)
{
	__u32 ifindex, reason;
	__u64 now;
	__u8 ttl, hop = c->flags & PIERCE_CFG_KEEP_TTL ? 0 : 1;

	/* A router's duty: relays latched at each other must not loop forever. */
	ttl = p->family == PIERCE_AF_INET ? ((struct iphdr *)p->l3)->ttl : ((struct ipv6hdr *)p->l3)->hop_limit;
	if (ttl <= hop)
		return count(PIERCE_R_DROP_TTL, bytes, XDP_DROP);
	if (!source_ok(leg, p))
		return count(PIERCE_R_DROP_SRC, bytes, XDP_DROP);
	if (!(leg->flags & PIERCE_LEG_HAS_DEST))
		return count(PIERCE_R_SLOW_NO_DEST, bytes, XDP_DROP);
	if (leg->dst_family != p->family)
		return slow_path(ctx, c, PIERCE_R_SLOW_XFAMILY, p->leg_index, bytes);

	now = coarse_now();
	__sync_fetch_and_add(&leg->packets, 1);
	__sync_fetch_and_add(&leg->bytes, bytes);
	leg->last_seen_ns = now;
	if (!leg->first_seen_ns)
		leg->first_seen_ns = now;

	/* Everything that can refuse the packet runs before the first write. */
	reason = next_hop(ctx, c, leg, p, now);
	if (reason)
		return slow_path(ctx, c, reason, p->leg_index, bytes);
	ifindex = leg->nh_ifindex;
	if (ifindex != ctx->ingress_ifindex) {
		/* the tags belong to the ingress link; the stack routes it untagged */
		if (p->l3 != (void *)(eth + 1))
			return slow_path(ctx, c, PIERCE_R_SLOW_VLAN, p->leg_index, bytes);
		if (bpf_redirect_map(&devmap, ifindex, 0) != XDP_REDIRECT)
			return slow_path(ctx, c, PIERCE_R_SLOW_NO_DEVMAP, p->leg_index, bytes);
	}

	__builtin_memcpy(eth->h_dest, leg->nh_dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, leg->nh_smac, ETH_ALEN);
	if (p->family == PIERCE_AF_INET)
		rewrite_v4(leg, p, hop);
	else
		rewrite_v6(leg, p, hop);
	if (ifindex == ctx->ingress_ifindex)
		return count(PIERCE_R_FWD_TX, bytes, XDP_TX);
	return count(PIERCE_R_FWD_REDIRECT, bytes, XDP_REDIRECT);
}

/* Leg of a relay port, or a verdict. Returns NULL with *action set. */
static __always_inline struct pierce_leg *lookup_leg(const struct pierce_cfg *c, int slot, __be16 dport_be,
						     struct pkt *p)
{
	int off = port_offset(c, dport_be);
	__u32 index;

	if (off < 0)
		return NULL;
	index = (__u32)slot * c->port_count + (__u32)off;
	p->leg_index = index;
	return bpf_map_lookup_elem(&legs, &index);
}

#define VERDICT(reason) count(PIERCE_R_##reason, bytes, XDP_PASS)

static __always_inline int handle_v4(struct xdp_md *ctx, const struct pierce_cfg *c, struct ethhdr *eth,
				     struct cursor *cur, __u64 bytes)
{
	struct iphdr *ip = parse_ipv4(cur);
	struct pierce_leg *leg;
	struct pkt p = {};
	__u16 frag, hlen, tot, ulen;
	int slot;

	if (!ip)
		return VERDICT(PASS_MALFORMED);
	if (ip->version != 4 || ip->ihl < 5)
		return VERDICT(PASS_MALFORMED);
	p.saddr[0] = ip->saddr;
	p.family = PIERCE_AF_INET;
	p.l3 = ip;
	slot = find_local(c, PIERCE_AF_INET, &ip->daddr, ((const __u8 *)&ip->daddr)[3]);
	if (slot < 0)
		return VERDICT(NOT_OURS);
	if (ip->protocol != IPPROTO_UDP)
		return VERDICT(PASS_NOT_UDP);
	frag = bpf_ntohs(ip->frag_off);
	if (frag & PIERCE_V4_OFFSET) /* no UDP header: the kernel reassembles */
		return VERDICT(PASS_FRAGMENT);
	hlen = ip->ihl * 4;
	p.udp = (void *)ip + hlen;
	if ((void *)(p.udp + 1) > cur->end)
		return VERDICT(PASS_MALFORMED);
	leg = lookup_leg(c, slot, p.udp->dest, &p);
	if (!leg)
		return VERDICT(NOT_OURS);
	if (!fast_path_ok(leg, frag & PIERCE_V4_MF, hlen != sizeof(*ip)))
		return not_fast(ctx, c, leg, &p, frag & PIERCE_V4_MF, PIERCE_R_SLOW_IP_OPTIONS, bytes);
	tot = bpf_ntohs(ip->tot_len);
	ulen = bpf_ntohs(p.udp->len);
	if (tot < sizeof(*ip) + sizeof(struct udphdr) || (void *)ip + tot > cur->end ||
	    ulen < sizeof(struct udphdr) || ulen > tot - sizeof(*ip))
		return count(PIERCE_R_DROP_MALFORMED, bytes, XDP_DROP);
	p.ip_len = tot;
	p.ulen = ulen;
	p.end = cur->end;
	return relay(ctx, c, eth, leg, &p, bytes);
}

/* Walks IPv6 extension headers to the UDP header (so a relay port can be
 * told from anything else). *ext and *frag say what was crossed; returns
 * the next header, or 255 (reserved) when the walk is cut short. */
static __always_inline __u8 skip_v6_ext(struct cursor *cur, __u8 nexthdr, bool *ext, bool *frag, bool *later_frag)
{
	for (int i = 0; i < PIERCE_MAX_V6_EXT; i++) {
		struct pierce_v6_opt *o = cur->pos;
		struct pierce_v6_frag *f;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
		case IPPROTO_AH: /* AH counts its length in 4-byte units, minus 2 */
			if ((void *)(o + 1) > cur->end)
				return 255;
			cur->pos += nexthdr == IPPROTO_AH ? (o->hdrlen + 2) * 4 : (o->hdrlen + 1) * 8;
			nexthdr = o->nexthdr;
			*ext = true;
			break;
		case IPPROTO_FRAGMENT:
			f = cursor_take(cur, sizeof(*f));
			if (!f)
				return 255;
			*frag = true;
			if (f->frag_off & bpf_htons(PIERCE_V6_FRAG_OFFSET)) {
				*later_frag = true;
				return 255;
			}
			nexthdr = f->nexthdr;
			break;
		default:
			return nexthdr;
		}
	}
	return 255;
}

static __always_inline int handle_v6(struct xdp_md *ctx, const struct pierce_cfg *c, struct ethhdr *eth,
				     struct cursor *cur, __u64 bytes)
{
	struct ipv6hdr *ip6 = parse_ipv6(cur);
	bool ext = false, frag = false, later_frag = false;
	struct pierce_leg *leg;
	struct pkt p = {};
	__u16 plen, ulen;
	__u8 nexthdr;
	int slot;

	if (!ip6)
		return VERDICT(PASS_MALFORMED);
	if (ip6->version != 6)
		return VERDICT(PASS_MALFORMED);
	__builtin_memcpy(p.saddr, &ip6->saddr, 16);
	p.family = PIERCE_AF_INET6;
	p.l3 = ip6;
	slot = find_local(c, PIERCE_AF_INET6, (const __u32 *)&ip6->daddr, ip6->daddr.in6_u.u6_addr8[15]);
	if (slot < 0)
		return VERDICT(NOT_OURS);
	nexthdr = skip_v6_ext(cur, ip6->nexthdr, &ext, &frag, &later_frag);
	if (later_frag) /* no UDP header: the kernel reassembles */
		return VERDICT(PASS_FRAGMENT);
	if (nexthdr == 255) /* cut short: cannot tell the port, leave it alone */
		return ext ? VERDICT(SLOW_IPV6_EXT) : VERDICT(PASS_MALFORMED);
	if (nexthdr != IPPROTO_UDP)
		return VERDICT(PASS_NOT_UDP);
	p.udp = parse_udp(cur);
	if (!p.udp)
		return VERDICT(PASS_MALFORMED);
	leg = lookup_leg(c, slot, p.udp->dest, &p);
	if (!leg)
		return VERDICT(NOT_OURS);
	if (!fast_path_ok(leg, frag, ext))
		return not_fast(ctx, c, leg, &p, frag, PIERCE_R_SLOW_IPV6_EXT, bytes);
	plen = bpf_ntohs(ip6->payload_len);
	ulen = bpf_ntohs(p.udp->len);
	/* a zero UDP checksum is invalid over IPv6 (RFC 8200): receivers drop it */
	if (plen < sizeof(struct udphdr) || (void *)(ip6 + 1) + plen > cur->end ||
	    ulen < sizeof(struct udphdr) || ulen > plen || !p.udp->check)
		return count(PIERCE_R_DROP_MALFORMED, bytes, XDP_DROP);
	p.ip_len = sizeof(*ip6) + plen;
	p.ulen = ulen;
	p.end = cur->end;
	return relay(ctx, c, eth, leg, &p, bytes);
}

SEC("xdp")
int pierce_relay(struct xdp_md *ctx)
{
	struct cursor cur = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	__u64 bytes = cur.end - cur.pos;
	struct pierce_cfg *c;
	struct ethhdr *eth;
	__u32 zero = 0;
	__be16 proto;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c) /* cannot happen for an array; keeps the verifier and the promise */
		return VERDICT(NOT_OURS);
	eth = parse_eth(&cur, &proto);
	if (!eth)
		return VERDICT(PASS_MALFORMED);
	if (proto == bpf_htons(ETH_P_IP))
		return handle_v4(ctx, c, eth, &cur, bytes);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_v6(ctx, c, eth, &cur, bytes);
	return VERDICT(NOT_OURS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

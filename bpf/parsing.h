/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cursor-based header parsing for XDP (in the style of xdp-tools'
 * parsing_helpers.h). Each helper checks the bounds of what it reads against
 * data_end, advances the cursor past the header and returns it, or NULL when
 * the frame is too short. No helper ever reads past data_end.
 */
#ifndef PIERCE_BPF_PARSING_H
#define PIERCE_BPF_PARSING_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define PIERCE_MAX_VLAN      2  /* 802.1Q and 802.1ad (QinQ) */
#define PIERCE_MAX_V6_EXT    6  /* extension headers walked to find the UDP header */

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

struct cursor {
	void *pos;
	void *end;
};

struct pierce_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* The extension headers that have the generic (next, len) layout. */
struct pierce_v6_opt {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct pierce_v6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;  /* offset << 3 | M */
	__be32 id;
};

#define PIERCE_V6_FRAG_OFFSET 0xfff8
#define PIERCE_V4_MF          0x2000
#define PIERCE_V4_OFFSET      0x1fff

static __always_inline void *cursor_take(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

/* Ethernet plus up to two VLAN tags; *proto_be gets the inner EtherType. */
static __always_inline struct ethhdr *parse_eth(struct cursor *c, __be16 *proto_be)
{
	struct ethhdr *eth = cursor_take(c, sizeof(*eth));
	struct pierce_vlan_hdr *vlan;
	__be16 proto;

	if (!eth)
		return NULL;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < PIERCE_MAX_VLAN; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		vlan = cursor_take(c, sizeof(*vlan));
		if (!vlan)
			return NULL;
		proto = vlan->proto;
	}
	*proto_be = proto;
	return eth;
}

/* The fixed IPv4 header; options are left for the caller to skip or refuse. */
static __always_inline struct iphdr *parse_ipv4(struct cursor *c)
{
	return cursor_take(c, sizeof(struct iphdr));
}

static __always_inline struct ipv6hdr *parse_ipv6(struct cursor *c)
{
	return cursor_take(c, sizeof(struct ipv6hdr));
}

static __always_inline struct udphdr *parse_udp(struct cursor *c)
{
	return cursor_take(c, sizeof(struct udphdr));
}

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The baseline pierce is measured against: the cheapest possible XDP_TX
 * "relay". A UDP datagram to a port in [port_min, port_max] goes back where
 * it came from with MACs, IPs and ports swapped. A swap leaves the IP and UDP
 * checksums valid, so nothing is recomputed. Everything else: XDP_PASS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Set through the skeleton before load. The defaults, every port, suit `ip
 * link ... obj` in the benchmark, whose data plane makes every port of its
 * relay addresses a relay port: the sprayed frames both programs get go to
 * ports anywhere in 0-65535. The check still runs on every frame. */
const volatile __u16 port_min = 0;
const volatile __u16 port_max = 65535;

static __always_inline void swap_bytes(void *a, void *b, int n)
{
	__u8 *x = a, *y = b;
	__u8 t;
	int i;

#pragma unroll
	for (i = 0; i < 16; i++) {
		if (i >= n)
			break;
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u16 dport;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 a;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
			return XDP_PASS;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		dport = bpf_ntohs(udp->dest);
		if (dport < port_min || dport > port_max)
			return XDP_PASS;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		dport = bpf_ntohs(udp->dest);
		if (dport < port_min || dport > port_max)
			return XDP_PASS;
		swap_bytes(&ip6->saddr, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	udp->dest = udp->source;
	udp->source = bpf_htons(dport);
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

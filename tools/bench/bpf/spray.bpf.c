// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live-frame generator's program: every frame it sends goes to a leg
 * picked at random from the targets map, so the relay under test looks up
 * legs spread over its whole table, as it would with many calls. It runs on
 * the generator's core; its cost is not the relay's. Checksums are updated
 * incrementally (the relay keeps them valid too), so the relay sees valid
 * frames. Built by tools/bench/run.sh.
 *
 * Live frames come back into the generator's page pool as the relay left
 * them (the kernel does not copy the frame in again on recycling), so a
 * page goes round many times: each frame is given a phone's fresh TTL, or
 * the relay's TTL decrement would turn every much-recycled page into a
 * drop_ttl for good, and the generator's MACs again (the relay wrote its
 * next hop's).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"

#define SPRAY_MAX_TARGETS (1 << 20)
#define SPRAY_TTL 64 /* what a phone sends (Linux's default) */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SPRAY_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32); /* legs[] index */
} targets SEC(".maps");

/* The only read-only global, so it sits at offset 0 of .rodata, where
 * pierce-bench writes it before loading (struct spray_cfg in spray.h). */
const volatile struct {
	__u32 n_targets;
	__u32 addr_base;  /* host order: the relay address of slot s is addr_base + s */
	__u32 port_min;
	__u32 port_count;
	__u8 eth[12];     /* destination and source MAC */
} cfg = { 1, 0, 0, 65536, {} };

SEC("xdp")
int xdp_spray(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 k, *t, daddr;
	__u16 dport, ttl_word;
	__u64 d;

	if ((void *)(udp + 1) > end || cfg.n_targets == 0 || cfg.port_count == 0)
		return XDP_ABORTED;
	k = bpf_get_prandom_u32() % cfg.n_targets;
	t = bpf_map_lookup_elem(&targets, &k);
	if (!t)
		return XDP_ABORTED;
	daddr = bpf_htonl(cfg.addr_base + *t / cfg.port_count);
	dport = bpf_htons((__u16)(cfg.port_min + *t % cfg.port_count));
	__builtin_memcpy(eth, (const void *)cfg.eth, sizeof(cfg.eth));
	ttl_word = *(__u16 *)&ip->ttl; /* ttl and protocol; not in the UDP checksum */
	ip->ttl = SPRAY_TTL;
	d = csum_delta32(0, ip->daddr, daddr);
	if (udp->check)
		udp->check = csum_apply_udp(udp->check, csum_delta16(d, udp->dest, dport));
	ip->check = csum_apply(ip->check, csum_delta16(d, ttl_word, *(__u16 *)&ip->ttl));
	ip->daddr = daddr;
	udp->dest = dport;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

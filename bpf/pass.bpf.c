// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP_PASS for every frame. A veth only receives frames that its peer sent
 * with XDP_TX or XDP_REDIRECT when it has an XDP program of its own, so test
 * topologies attach this one to the peer of every relay-side veth.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

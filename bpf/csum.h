/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Incremental Internet checksum updates (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')), hand-folded so the fast path calls no helper.
 * Words are summed as loaded from memory: the one's complement sum does not
 * depend on byte order as long as the checksum field is read the same way.
 */
#ifndef PIERCE_BPF_CSUM_H
#define PIERCE_BPF_CSUM_H

#include <linux/types.h>

static __always_inline __u64 csum_delta32(__u64 acc, __u32 old, __u32 new_)
{
	return acc + (__u32)~old + new_;
}

static __always_inline __u64 csum_delta16(__u64 acc, __u16 old, __u16 new_)
{
	return acc + (__u16)~old + new_;
}

static __always_inline __u16 csum_fold64(__u64 acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (__u16)acc;
}

/* The checksum field value after the changes summed in delta. */
static __always_inline __u16 csum_apply(__u16 check, __u64 delta)
{
	return (__u16)~csum_fold64((__u16)~check + delta);
}

/* UDP: a computed 0 is sent as 0xffff (0 means "no checksum", RFC 768). */
static __always_inline __u16 csum_apply_udp(__u16 check, __u64 delta)
{
	__u16 c = csum_apply(check, delta);

	return c ? c : 0xffff;
}

#endif

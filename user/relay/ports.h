/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Relay port allocator: the configured range is split into (even RTP, odd
 * RTCP) pairs held in a shuffled free stack, so allocation, release and
 * claiming a specific pair (restart adoption) are all O(1), and the next
 * port cannot be guessed. No socket is opened per port: the XDP program
 * owns the packets.
 */
#ifndef PIERCE_RELAY_PORTS_H
#define PIERCE_RELAY_PORTS_H

#include <stdbool.h>
#include <stdint.h>

struct port_pool {
	uint16_t first;          /* first even port of the range */
	uint32_t n_pairs;
	uint32_t n_free;
	uint32_t *stack;         /* free pair numbers in [0, n_free) */
	uint32_t *pos;           /* pair -> position in stack, or UINT32_MAX when in use */
	uint64_t rng;
};

/* Uses the even ports in [min, max] whose odd successor is also in range.
 * -EINVAL when that leaves no pair, -ENOMEM. seed 0 picks one. */
int port_pool_init(struct port_pool *p, uint16_t min, uint16_t max, uint64_t seed);
void port_pool_free(struct port_pool *p);
/* Returns the even RTP port (RTCP is +1), or -ENOSPC when exhausted. */
int port_pool_alloc(struct port_pool *p);
/* -EINVAL not a pair of this pool, -EALREADY already free. */
int port_pool_release(struct port_pool *p, uint16_t rtp_port);
/* Marks a specific pair in use (adopting a running session): -EBUSY if taken. */
int port_pool_claim(struct port_pool *p, uint16_t rtp_port);
bool port_pool_in_use(const struct port_pool *p, uint16_t rtp_port);
uint32_t port_pool_used(const struct port_pool *p);

#endif

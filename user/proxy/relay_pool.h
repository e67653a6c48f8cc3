/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_RELAY_POOL_H
#define PIERCE_PROXY_RELAY_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * The relays a proxy may use: weights and health. A call is pinned to the relay
 * its offer went to; a new call picks a healthy relay at random by weight,
 * skipping those already tried for it.
 */
#define RELAY_MAX 16

struct relay {
	struct sockaddr_storage addr;
	unsigned weight;
	bool healthy;
	unsigned missed_pings;
};

struct relay_pool {
	struct relay r[RELAY_MAX];
	unsigned n;
};

/* "udp:HOST:PORT[=WEIGHT]" (HOST numeric, IPv6 in brackets); weight 1..1000. */
int relay_spec_parse(const char *s, struct sockaddr_storage *addr, unsigned *weight);
int relay_pool_add(struct relay_pool *p, const struct sockaddr_storage *addr, unsigned weight);
/* A healthy relay not in the tried bit mask, by weight; rnd in [0, 2^32).
 * -EHOSTUNREACH when none is left. */
int relay_pool_pick(const struct relay_pool *p, uint32_t tried_mask, uint32_t rnd);
/* SIGHUP: weights of listed relays, 0 for unlisted ones (they drain), new ones
 * appended; indices stay. -ENOSPC when a new one does not fit. */
int relay_pool_reload(struct relay_pool *p, const struct sockaddr_storage *addrs, const unsigned *weights,
		      unsigned n);
void relay_pool_mark(struct relay_pool *p, unsigned idx, bool answered);

#endif

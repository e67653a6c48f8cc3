// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POS_USED UINT32_MAX

/* xorshift64*: unpredictable enough for port choice, never for crypto. */
static uint64_t rng_next(struct port_pool *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rng_below(struct port_pool *p, uint32_t n)
{
	return (uint32_t)(rng_next(p) % n);
}

static void swap_slots(struct port_pool *p, uint32_t a, uint32_t b)
{
	uint32_t pa = p->stack[a], pb = p->stack[b];

	p->stack[a] = pb;
	p->stack[b] = pa;
	p->pos[pb] = a;
	p->pos[pa] = b;
}

int port_pool_init(struct port_pool *p, uint16_t min, uint16_t max, uint64_t seed)
{
	uint32_t first = (min + 1u) & ~1u;

	memset(p, 0, sizeof(*p));
	if (max < first + 1u || first > 65534)
		return -EINVAL;
	p->first = (uint16_t)first;
	p->n_pairs = (max - first + 1u) / 2;
	p->stack = calloc(p->n_pairs, sizeof(*p->stack));
	p->pos = calloc(p->n_pairs, sizeof(*p->pos));
	if (!p->stack || !p->pos) {
		port_pool_free(p);
		return -ENOMEM;
	}
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	}
	p->rng = seed | 1;
	for (uint32_t i = 0; i < p->n_pairs; i++) {
		p->stack[i] = i;
		p->pos[i] = i;
	}
	for (uint32_t i = p->n_pairs; i > 1; i--)
		swap_slots(p, i - 1, rng_below(p, i));
	p->n_free = p->n_pairs;
	return 0;
}

void port_pool_free(struct port_pool *p)
{
	free(p->stack);
	free(p->pos);
	memset(p, 0, sizeof(*p));
}

static int pair_of(const struct port_pool *p, uint16_t rtp_port, uint32_t *pair)
{
	if (rtp_port < p->first || (rtp_port & 1) || (uint32_t)(rtp_port - p->first) / 2 >= p->n_pairs)
		return -EINVAL;
	*pair = (uint32_t)(rtp_port - p->first) / 2;
	return 0;
}

/* Removes the pair at stack position i, keeping the free part contiguous. */
static void take_at(struct port_pool *p, uint32_t i)
{
	uint32_t pair;

	swap_slots(p, i, p->n_free - 1);
	pair = p->stack[--p->n_free];
	p->pos[pair] = POS_USED;
}

int port_pool_alloc(struct port_pool *p)
{
	uint32_t pair;

	if (!p->n_free)
		return -ENOSPC;
	pair = p->stack[p->n_free - 1];
	take_at(p, p->n_free - 1);
	return p->first + (int)pair * 2;
}

int port_pool_release(struct port_pool *p, uint16_t rtp_port)
{
	uint32_t pair;
	int err = pair_of(p, rtp_port, &pair);

	if (err)
		return err;
	if (p->pos[pair] != POS_USED)
		return -EALREADY;
	p->stack[p->n_free] = pair;
	p->pos[pair] = p->n_free++;
	/* a freed pair goes to a random place, so reuse order is not LIFO */
	swap_slots(p, p->n_free - 1, rng_below(p, p->n_free));
	return 0;
}

int port_pool_claim(struct port_pool *p, uint16_t rtp_port)
{
	uint32_t pair;
	int err = pair_of(p, rtp_port, &pair);

	if (err)
		return err;
	if (p->pos[pair] == POS_USED)
		return -EBUSY;
	take_at(p, p->pos[pair]);
	return 0;
}

bool port_pool_in_use(const struct port_pool *p, uint16_t rtp_port)
{
	uint32_t pair;

	return !pair_of(p, rtp_port, &pair) && p->pos[pair] == POS_USED;
}

uint32_t port_pool_used(const struct port_pool *p)
{
	return p->n_pairs - p->n_free;
}

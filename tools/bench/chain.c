// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The benchmark's data plane: 16 relay addresses, and a cycle of legs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "log.h"
#include "sockaddr.h"

int bench_addrs(struct pierce_local addrs[BENCH_N_ADDRS])
{
	struct sockaddr_storage ss;
	char ip[32];
	uint16_t port_be;

	memset(addrs, 0, sizeof(*addrs) * BENCH_N_ADDRS);
	for (int i = 0; i < BENCH_N_ADDRS; i++) {
		snprintf(ip, sizeof(ip), BENCH_ADDR_BASE "%d", i + 1);
		if (sa_parse_ip(ip, 0, &ss) ||
		    pierce_addr_from_sockaddr(&ss, &addrs[i].addr, &addrs[i].family, &port_be))
			return -EINVAL;
	}
	return 0;
}

int bench_dp_open(const char *pin_dir, bool adopt_only, struct pierce_dp **dp)
{
	struct pierce_local addrs[BENCH_N_ADDRS];
	struct pierce_dp_opts o = {
		.pin_dir = pin_dir ? pin_dir : "", .addrs = addrs, .n_addrs = BENCH_N_ADDRS,
		.port_min = BENCH_PORT_MIN, .port_count = BENCH_PORT_COUNT, .adopt_only = adopt_only,
	};
	bool adopted;
	int err;

	err = bench_addrs(addrs);
	if (err)
		return err;
	err = pierce_dp_open(&o, dp, &adopted);
	if (err)
		log_err("bench: cannot open the data plane: %s", strerror(-err));
	return err;
}

/* xorshift32: a reproducible order, no libc state */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int collect_active(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	struct { uint32_t *v; size_t n, cap; } *a = arg;

	if (a->n < a->cap)
		a->v[a->n++] = index;
	return 0;
}

static int relay_of(const struct pierce_cfg *cfg, uint32_t index, struct sockaddr_storage *out)
{
	uint32_t slot = index / cfg->port_count;

	for (uint32_t i = 0; i < cfg->n_addrs; i++)
		if (cfg->addrs[i].slot == slot)
			return pierce_addr_to_sockaddr(&cfg->addrs[i].addr, cfg->addrs[i].family,
						       htons((uint16_t)(cfg->port_min + index % cfg->port_count)), out);
	return -ENOENT;
}

int bench_chain_fill(struct pierce_dp *dp, uint32_t n, uint32_t flows, uint32_t seed,
		     struct sockaddr_storage *first, struct sockaddr_storage *src)
{
	uint32_t max = pierce_dp_leg_count(dp), s = seed ? seed : 0x9e3779b9u;
	struct { uint32_t *v; size_t n, cap; } active = { 0 };
	struct pierce_cfg cfg;
	struct pierce_leg leg;
	struct sockaddr_storage dst;
	uint32_t *order = NULL;
	uint16_t port_be;
	uint8_t family;
	int err;

	if (n == 0 || n > max || flows == 0 || flows > n)
		return -ERANGE;
	err = pierce_dp_cfg_get(dp, &cfg);
	if (err)
		return err;
	/* earlier runs' legs go, so counters describe this cycle only */
	active.cap = max;
	active.v = malloc(sizeof(uint32_t) * max);
	order = malloc(sizeof(uint32_t) * max);
	if (!active.v || !order) {
		err = -ENOMEM;
		goto out;
	}
	err = pierce_dp_leg_foreach(dp, collect_active, &active);
	for (size_t i = 0; !err && i < active.n; i++)
		err = pierce_dp_leg_clear(dp, active.v[i]);
	if (err)
		goto out;
	/* the first n entries of a partial Fisher-Yates shuffle: a random cycle */
	for (uint32_t i = 0; i < max; i++)
		order[i] = i;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i + next_rand(&s) % (max - i), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	err = relay_of(&cfg, order[0], src);
	if (err)
		goto out;
	sa_set_port(src, BENCH_SRC_PORT);
	err = relay_of(&cfg, order[0], first);
	if (err)
		goto out;
	memset(&leg, 0, sizeof(leg));
	leg.flags = PIERCE_LEG_ACTIVE | PIERCE_LEG_HAS_DEST | PIERCE_LEG_LATCHED;
	leg.policy = PIERCE_SRC_STRICT;
	err = pierce_addr_from_sockaddr(src, &leg.src, &family, &leg.src_port_be);
	if (!err)
		err = pierce_addr_from_sockaddr(src, &leg.allow, &leg.allow_family, &leg.allow_port_be);
	/* legs past the cycle point into it, but no frame is ever sent to them */
	for (uint32_t i = 0; !err && i < n; i++) {
		err = relay_of(&cfg, order[(i + 1) % flows], &dst);
		if (!err)
			err = pierce_addr_from_sockaddr(&dst, &leg.dst, &leg.dst_family, &port_be);
		leg.dst_port_be = port_be;
		if (!err)
			err = pierce_dp_leg_set(dp, order[i], &leg, true);
	}
out:
	free(active.v);
	free(order);
	return err;
}

static int count_touched(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	uint64_t *c = arg;

	if (leg->packets) {
		c[0]++;
		c[1] += leg->packets;
	}
	return 0;
}

int bench_chain_touched(struct pierce_dp *dp, uint64_t *touched, uint64_t *packets)
{
	uint64_t c[2] = { 0, 0 };
	int err = pierce_dp_leg_foreach(dp, count_touched, c);

	*touched = c[0];
	*packets = c[1];
	return err;
}

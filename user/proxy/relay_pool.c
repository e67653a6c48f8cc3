// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "relay_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"

#define RELAY_DOWN_AFTER 2 /* unanswered pings or requests before a relay is skipped */

int relay_spec_parse(const char *s, struct sockaddr_storage *addr, unsigned *weight)
{
	char buf[128];
	char *eq, *end;
	unsigned long w = 1;

	if (strncmp(s, "udp:", 4) || strlen(s + 4) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s + 4);
	eq = strrchr(buf, '=');
	if (eq) {
		*eq = '\0';
		w = strtoul(eq + 1, &end, 10);
		if (!eq[1] || *end || w < 1 || w > 1000)
			return -EINVAL;
	}
	if (sa_parse_hostport(buf, 0, addr))
		return -EINVAL;
	*weight = (unsigned)w;
	return 0;
}

int relay_pool_add(struct relay_pool *p, const struct sockaddr_storage *addr, unsigned weight)
{
	if (p->n >= RELAY_MAX)
		return -ENOSPC;
	memset(&p->r[p->n], 0, sizeof(p->r[0]));
	p->r[p->n].addr = *addr;
	p->r[p->n].weight = weight;
	p->r[p->n].healthy = true;
	p->n++;
	return 0;
}

int relay_pool_pick(const struct relay_pool *p, uint32_t tried_mask, uint32_t rnd)
{
	uint64_t total = 0, at;

	for (unsigned i = 0; i < p->n; i++)
		if (p->r[i].healthy && !(tried_mask & (1u << i)))
			total += p->r[i].weight;
	if (!total)
		return -EHOSTUNREACH;
	at = rnd % total;
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->r[i].healthy || (tried_mask & (1u << i)))
			continue;
		if (at < p->r[i].weight)
			return (int)i;
		at -= p->r[i].weight;
	}
	return -EHOSTUNREACH;
}

void relay_pool_mark(struct relay_pool *p, unsigned idx, bool answered)
{
	struct relay *r;

	if (idx >= p->n)
		return;
	r = &p->r[idx];
	if (answered) {
		r->missed_pings = 0;
		r->healthy = true;
	} else if (++r->missed_pings >= RELAY_DOWN_AFTER) {
		r->healthy = false;
	}
}

/*
 * A new relay list (SIGHUP): indices never change, as calls, transactions and
 * ng requests hold them. A relay still listed takes its new weight; one no
 * longer listed drains (weight 0: its calls go on, no new call picks it); a
 * new one is appended. -ENOSPC when the table cannot take a new relay.
 */
int relay_pool_reload(struct relay_pool *p, const struct sockaddr_storage *addrs, const unsigned *weights,
		      unsigned n)
{
	int ret = 0;

	for (unsigned i = 0; i < p->n; i++) {
		p->r[i].weight = 0;
		for (unsigned j = 0; j < n; j++)
			if (sa_equal(&p->r[i].addr, &addrs[j]))
				p->r[i].weight = weights[j];
	}
	for (unsigned j = 0; j < n; j++) {
		bool known = false;

		for (unsigned i = 0; i < p->n && !known; i++)
			known = sa_equal(&p->r[i].addr, &addrs[j]);
		if (!known && relay_pool_add(p, &addrs[j], weights[j]))
			ret = -ENOSPC;
	}
	return ret;
}

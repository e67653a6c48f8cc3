// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ratelimit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"

int rl_init(struct ratelimit *rl, unsigned per_second)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = per_second;
	rl->burst = per_second ? per_second * 2.0 : 0;
	if (!per_second)
		return 0;
	rl->slots = calloc(RL_SLOTS, sizeof(*rl->slots));
	return rl->slots ? 0 : -ENOMEM;
}

void rl_free(struct ratelimit *rl)
{
	free(rl->slots);
	rl->slots = NULL;
}

static uint32_t hash_ip(const struct sockaddr_storage *ss)
{
	const unsigned char *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (ss->ss_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

bool rl_allow(struct ratelimit *rl, const struct sockaddr_storage *src, uint64_t now_ms)
{
	struct rl_slot *s;

	if (!rl->slots)
		return true;
	s = &rl->slots[hash_ip(src) % RL_SLOTS];
	if (s->last_ms)
		s->tokens += (double)(now_ms - s->last_ms) * rl->rate / 1000.0;
	if (!s->last_ms || s->tokens > rl->burst)
		s->tokens = rl->burst;
	if (!sa_equal_ip(&s->ip, src) && s->tokens >= rl->burst) {
		s->ip = *src; /* an idle slot changes hands */
		sa_set_port(&s->ip, 0);
	}
	s->last_ms = now_ms;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cookie_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"

#define NIL UINT32_MAX

static uint32_t fnv1a(uint32_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t key_hash(const struct sockaddr_storage *from, const char *cookie)
{
	return fnv1a(fnv1a(2166136261u, from, sa_len(from)), cookie, strlen(cookie));
}

int cookie_cache_init(struct cookie_cache *c, uint32_t cap, uint64_t ttl_ns)
{
	memset(c, 0, sizeof(*c));
	if (!cap)
		return -EINVAL;
	c->cap = cap;
	c->n_buckets = 1;
	while (c->n_buckets < cap)
		c->n_buckets <<= 1;
	c->e = calloc(cap, sizeof(*c->e));
	c->buckets = malloc(c->n_buckets * sizeof(*c->buckets));
	if (!c->e || !c->buckets) {
		cookie_cache_free(c);
		return -ENOMEM;
	}
	memset(c->buckets, 0xff, c->n_buckets * sizeof(*c->buckets));
	c->ttl_ns = ttl_ns;
	return 0;
}

void cookie_cache_free(struct cookie_cache *c)
{
	if (c->e)
		for (uint32_t i = 0; i < c->cap; i++)
			free(c->e[i].reply);
	free(c->e);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static void unlink_entry(struct cookie_cache *c, uint32_t idx)
{
	uint32_t *link = &c->buckets[c->e[idx].hash & (c->n_buckets - 1)];

	while (*link != NIL) {
		if (*link == idx) {
			*link = c->e[idx].hnext;
			break;
		}
		link = &c->e[*link].hnext;
	}
	free(c->e[idx].reply);
	c->e[idx].reply = NULL;
}

const char *cookie_cache_get(struct cookie_cache *c, const struct sockaddr_storage *from, const char *cookie,
			     uint64_t now_ns, size_t *len)
{
	uint32_t h = key_hash(from, cookie);

	for (uint32_t i = c->buckets[h & (c->n_buckets - 1)]; i != NIL; i = c->e[i].hnext) {
		struct cookie_entry *e = &c->e[i];

		struct sockaddr_storage sender;

		if (e->hash != h || strcmp(e->cookie, cookie))
			continue;
		memset(&sender, 0, sizeof(sender));
		memcpy(&sender, &e->from, sizeof(e->from));
		if (!sa_equal(&sender, from))
			continue;
		if (now_ns - e->stored_ns > c->ttl_ns)
			return NULL;
		*len = e->reply_len;
		return e->reply;
	}
	return NULL;
}

int cookie_cache_put(struct cookie_cache *c, const struct sockaddr_storage *from, const char *cookie,
		     const char *reply, size_t len, uint64_t now_ns)
{
	uint32_t idx = c->head, b;
	struct cookie_entry *e = &c->e[idx];
	char *copy;

	if (strlen(cookie) > COOKIE_MAX)
		return -EINVAL;
	if (from->ss_family != AF_INET && from->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, reply, len);
	if (e->reply)
		unlink_entry(c, idx); /* the oldest entry makes room */
	memset(&e->from, 0, sizeof(e->from));
	memcpy(&e->from, from, from->ss_family == AF_INET ? sizeof(e->from.in) : sizeof(e->from.in6));
	strcpy(e->cookie, cookie);
	e->stored_ns = now_ns;
	e->reply = copy;
	e->reply_len = len;
	e->hash = key_hash(from, cookie);
	b = e->hash & (c->n_buckets - 1);
	e->hnext = c->buckets[b];
	c->buckets[b] = idx;
	c->head = (c->head + 1) % c->cap;
	return 0;
}

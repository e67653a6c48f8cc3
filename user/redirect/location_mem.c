// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * In-memory location store: a chained hash table of AORs, each holding a
 * short list of bindings kept most-recently-refreshed first. The total number
 * of bindings is bounded so a flood of REGISTERs cannot exhaust memory.
 */
#include "location.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct mem_binding {
	struct mem_binding *next;
	struct loc_binding b;
};

struct mem_aor {
	struct mem_aor *next;
	struct mem_binding *bindings;
	unsigned nbindings;
	char aor[LOC_AOR_MAX];
};

struct location_mem {
	struct location loc;
	struct mem_aor **buckets;
	size_t nbuckets; /* a power of two */
	size_t nbindings;
	size_t max_bindings;
	uint64_t next_expiry_ms; /* no binding expires before this; lets expire() skip the scan */
};

#define MEM_MIN_BUCKETS 64
#define MEM_MAX_BUCKETS (1U << 20)

static struct location_mem *to_mem(struct location *loc)
{
	return (struct location_mem *)loc;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct mem_aor **bucket_of(struct location_mem *m, const char *aor)
{
	return &m->buckets[fnv1a(aor) & (m->nbuckets - 1)];
}

static struct mem_aor *find_aor(struct location_mem *m, const char *aor)
{
	for (struct mem_aor *a = *bucket_of(m, aor); a; a = a->next)
		if (!strcmp(a->aor, aor))
			return a;
	return NULL;
}

static void unlink_aor(struct location_mem *m, struct mem_aor *victim)
{
	for (struct mem_aor **pp = bucket_of(m, victim->aor); *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			return;
		}
	}
}

static int mem_expire(struct location *loc, uint64_t now_ms);

static bool str_fits(const char *s, size_t max)
{
	return s && *s && strnlen(s, max) < max;
}

static int mem_put(struct location *loc, const char *aor, const char *contact, uint32_t expires_s, uint64_t now_ms)
{
	struct location_mem *m = to_mem(loc);
	struct mem_binding *b = NULL, **pp;
	struct mem_aor *a;
	uint64_t expires_at;

	if (!str_fits(aor, LOC_AOR_MAX) || !str_fits(contact, LOC_CONTACT_MAX) || !expires_s)
		return -EINVAL;
	expires_at = now_ms + (uint64_t)expires_s * 1000;
	a = find_aor(m, aor);
	if (a) {
		for (pp = &a->bindings; *pp; pp = &(*pp)->next) {
			if (!strcmp((*pp)->b.contact, contact)) {
				b = *pp;
				*pp = b->next; /* re-linked at the head below */
				break;
			}
		}
	}
	if (!b && (m->nbindings >= m->max_bindings || (a && a->nbindings >= LOC_CONTACTS_PER_AOR))) {
		/* Room held by bindings that are dead but not yet reaped is free. */
		mem_expire(loc, now_ms);
		a = find_aor(m, aor);
		if (m->nbindings >= m->max_bindings || (a && a->nbindings >= LOC_CONTACTS_PER_AOR))
			return -ENOSPC;
	}
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		strcpy(b->b.contact, contact);
		if (!a) {
			a = calloc(1, sizeof(*a));
			if (!a) {
				free(b);
				return -ENOMEM;
			}
			strcpy(a->aor, aor);
			a->next = *bucket_of(m, aor);
			*bucket_of(m, aor) = a;
		}
		a->nbindings++;
		m->nbindings++;
	}
	b->b.expires_at_ms = expires_at;
	b->b.updated_at_ms = now_ms;
	b->next = a->bindings;
	a->bindings = b;
	if (expires_at < m->next_expiry_ms)
		m->next_expiry_ms = expires_at;
	return 0;
}

static int mem_get(struct location *loc, const char *aor, uint64_t now_ms, struct loc_binding *out, size_t max)
{
	struct mem_aor *a;
	size_t n = 0;

	if (!aor)
		return -EINVAL;
	a = find_aor(to_mem(loc), aor);
	if (!a)
		return 0;
	for (struct mem_binding *b = a->bindings; b && n < max; b = b->next)
		if (b->b.expires_at_ms > now_ms)
			out[n++] = b->b;
	return (int)n;
}

static int mem_del(struct location *loc, const char *aor, const char *contact)
{
	struct location_mem *m = to_mem(loc);
	struct mem_aor *a = aor ? find_aor(m, aor) : NULL;
	struct mem_binding **pp;
	int removed = 0;

	if (!a)
		return -ENOENT;
	pp = &a->bindings;
	while (*pp) {
		struct mem_binding *b = *pp;

		if (contact && strcmp(b->b.contact, contact)) {
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		free(b);
		a->nbindings--;
		m->nbindings--;
		removed++;
	}
	if (!a->bindings)
		unlink_aor(m, a);
	return removed ? 0 : -ENOENT;
}

static int mem_expire(struct location *loc, uint64_t now_ms)
{
	struct location_mem *m = to_mem(loc);
	uint64_t next = UINT64_MAX;
	int removed = 0;

	if (now_ms < m->next_expiry_ms)
		return 0;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mem_aor **ap = &m->buckets[i];

		while (*ap) {
			struct mem_aor *a = *ap;
			struct mem_binding **bp = &a->bindings;

			while (*bp) {
				struct mem_binding *b = *bp;

				if (b->b.expires_at_ms <= now_ms) {
					*bp = b->next;
					free(b);
					a->nbindings--;
					m->nbindings--;
					removed++;
				} else {
					if (b->b.expires_at_ms < next)
						next = b->b.expires_at_ms;
					bp = &b->next;
				}
			}
			if (!a->bindings) {
				*ap = a->next;
				free(a);
			} else {
				ap = &a->next;
			}
		}
	}
	m->next_expiry_ms = next;
	return removed;
}

static int mem_iterate(struct location *loc, uint64_t now_ms, loc_iter_fn fn, void *arg)
{
	struct location_mem *m = to_mem(loc);

	for (size_t i = 0; i < m->nbuckets; i++) {
		for (struct mem_aor *a = m->buckets[i]; a; a = a->next) {
			for (struct mem_binding *b = a->bindings; b; b = b->next) {
				int rc;

				if (b->b.expires_at_ms <= now_ms)
					continue;
				rc = fn(a->aor, &b->b, arg);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

static size_t mem_count(const struct location *loc)
{
	return ((const struct location_mem *)loc)->nbindings;
}

static void mem_destroy(struct location *loc)
{
	struct location_mem *m = to_mem(loc);

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mem_aor *a = m->buckets[i];

		while (a) {
			struct mem_aor *next_a = a->next;
			struct mem_binding *b = a->bindings;

			while (b) {
				struct mem_binding *next_b = b->next;

				free(b);
				b = next_b;
			}
			free(a);
			a = next_a;
		}
	}
	free(m->buckets);
	free(m);
}

static const struct location_ops mem_ops = {
	.name = "memory",
	.put = mem_put,
	.get = mem_get,
	.del = mem_del,
	.expire = mem_expire,
	.iterate = mem_iterate,
	.count = mem_count,
	.destroy = mem_destroy,
};

int location_mem_open(size_t max_bindings, struct location **out)
{
	struct location_mem *m;
	size_t nb = MEM_MIN_BUCKETS;

	if (!max_bindings)
		return -EINVAL;
	while (nb < max_bindings && nb < MEM_MAX_BUCKETS)
		nb <<= 1;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->buckets = calloc(nb, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return -ENOMEM;
	}
	m->loc.ops = &mem_ops;
	m->nbuckets = nb;
	m->max_bindings = max_bindings;
	m->next_expiry_ms = UINT64_MAX;
	*out = &m->loc;
	return 0;
}

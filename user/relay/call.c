// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "call.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const end_names[] = {
#define CALL_X_NAME(name, str) str,
	CALL_END_REASONS(CALL_X_NAME)
#undef CALL_X_NAME
};

const char *call_end_name(enum call_end e)
{
	return (unsigned)e < CALL_END__COUNT ? end_names[e] : "?";
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int call_table_init(struct call_table *t, uint32_t n_buckets)
{
	memset(t, 0, sizeof(*t));
	t->n_buckets = 1;
	while (t->n_buckets < n_buckets)
		t->n_buckets <<= 1;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void call_table_free(struct call_table *t)
{
	while (t->head)
		call_remove(t, t->head);
	call_sched_free(&t->sched);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct call *call_find(struct call_table *t, const char *call_id)
{
	for (struct call *c = t->buckets[hash_str(call_id) & (t->n_buckets - 1)]; c; c = c->hnext)
		if (!strcmp(c->call_id, call_id))
			return c;
	return NULL;
}

int call_add(struct call_table *t, const char *call_id, uint64_t now_ns, struct call **out)
{
	uint32_t b = hash_str(call_id) & (t->n_buckets - 1);
	size_t len = strlen(call_id);
	struct call *c;

	if (len > CALL_ID_MAX)
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c) + len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c->call_id, call_id, len + 1);
	c->created_ns = now_ns;
	c->last_signal_ns = now_ns;
	c->tos = -1;
	c->sched_pos = CALL_SCHED_NONE;
	if (call_sched_set(&t->sched, c, now_ns)) {
		free(c);
		return -ENOMEM;
	}
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	c->prev = t->tail;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
	t->count++;
	t->active++;
	*out = c;
	return 0;
}

void call_remove(struct call_table *t, struct call *c)
{
	struct call **link = &t->buckets[hash_str(c->call_id) & (t->n_buckets - 1)];

	call_sched_remove(&t->sched, c);
	while (*link && *link != c)
		link = &(*link)->hnext;
	if (*link)
		*link = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	t->count--;
	if (c->state != CALL_ENDED)
		t->active--;
	free(c->media);
	free(c->tags);
	free(c);
}

int call_media_reserve(struct call *c, unsigned n)
{
	struct call_media *m;

	if (n > RSDP_MAX_MEDIA)
		return -E2BIG;
	if (n <= c->media_cap)
		return 0;
	m = realloc(c->media, n * sizeof(*m));
	if (!m)
		return -ENOMEM;
	memset(m + c->media_cap, 0, (n - c->media_cap) * sizeof(*m));
	c->media = m;
	c->media_cap = n;
	return 0;
}

int call_side_of(const struct call *c, const char *tag)
{
	for (int s = 0; s < 2; s++)
		if (call_tag(c, s)[0] && !strcmp(call_tag(c, s), tag))
			return s;
	return -1;
}

int call_set_tag(struct call *c, int s, const char *tag)
{
	const char *other = call_tag(c, 1 - s);
	size_t len = strlen(tag), olen = strlen(other);
	const char *t0 = s ? other : tag, *t1 = s ? tag : other;
	size_t len0 = s ? olen : len;
	char *t;

	if (len > CALL_TAG_MAX)
		return -ENAMETOOLONG;
	if (!strcmp(call_tag(c, s), tag))
		return 0;
	t = malloc(len + olen + 2);
	if (!t)
		return -ENOMEM;
	memcpy(t, t0, len0 + 1);
	memcpy(t + len0 + 1, t1, len + olen - len0 + 1);
	free(c->tags);
	c->tags = t;
	c->tag1_at = (uint8_t)(len0 + 1);
	return 0;
}

void call_addr_set(union call_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET)
		memcpy(&a->in, ss, sizeof(a->in));
	else if (ss->ss_family == AF_INET6)
		memcpy(&a->in6, ss, sizeof(a->in6));
}

void call_addr_get(const union call_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET)
		memcpy(ss, &a->in, sizeof(a->in));
	else if (a->family == AF_INET6)
		memcpy(ss, &a->in6, sizeof(a->in6));
}

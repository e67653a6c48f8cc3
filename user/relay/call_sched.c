// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "call_sched.h"

#include <errno.h>
#include <stdlib.h>

#include "relay/call.h"

static void place(struct call_sched *s, uint32_t i, struct call *c)
{
	s->heap[i] = c;
	c->sched_pos = i;
}

static void sift_up(struct call_sched *s, uint32_t i)
{
	struct call *c = s->heap[i];

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (s->heap[parent]->check_at_ns <= c->check_at_ns)
			break;
		place(s, i, s->heap[parent]);
		i = parent;
	}
	place(s, i, c);
}

static void sift_down(struct call_sched *s, uint32_t i)
{
	struct call *c = s->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		uint64_t best = c->check_at_ns;

		if (l < s->n && s->heap[l]->check_at_ns < best) {
			m = l;
			best = s->heap[l]->check_at_ns;
		}
		if (l + 1 < s->n && s->heap[l + 1]->check_at_ns < best)
			m = l + 1;
		if (m == i)
			break;
		place(s, i, s->heap[m]);
		i = m;
	}
	place(s, i, c);
}

void call_sched_free(struct call_sched *s)
{
	free(s->heap);
	s->heap = NULL;
	s->n = s->cap = 0;
}

int call_sched_set(struct call_sched *s, struct call *c, uint64_t at)
{
	uint64_t old = c->check_at_ns;

	c->check_at_ns = at;
	if (c->sched_pos == CALL_SCHED_NONE) {
		if (s->n == s->cap) {
			uint32_t cap = s->cap ? s->cap * 2 : 1024;
			struct call **h = realloc(s->heap, (size_t)cap * sizeof(*h));

			if (!h)
				return -ENOMEM;
			s->heap = h;
			s->cap = cap;
		}
		place(s, s->n++, c);
		sift_up(s, c->sched_pos);
		return 0;
	}
	if (at < old)
		sift_up(s, c->sched_pos);
	else
		sift_down(s, c->sched_pos);
	return 0;
}

int call_sched_sooner(struct call_sched *s, struct call *c, uint64_t at)
{
	if (c->sched_pos != CALL_SCHED_NONE && c->check_at_ns <= at)
		return 0;
	return call_sched_set(s, c, at);
}

void call_sched_remove(struct call_sched *s, struct call *c)
{
	uint32_t i = c->sched_pos;
	struct call *last;

	if (i == CALL_SCHED_NONE)
		return;
	c->sched_pos = CALL_SCHED_NONE;
	last = s->heap[--s->n];
	if (i == s->n)
		return;
	place(s, i, last);
	if (i && s->heap[(i - 1) / 2]->check_at_ns > last->check_at_ns)
		sift_up(s, i);
	else
		sift_down(s, i);
}

struct call *call_sched_due(const struct call_sched *s, uint64_t now_ns)
{
	return s->n && s->heap[0]->check_at_ns <= now_ns ? s->heap[0] : NULL;
}

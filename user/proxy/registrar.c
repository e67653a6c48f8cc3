// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "registrar.h"
#include "str_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Used bindings are chained by the hash of their AOR, so the per-message
 * look-ups (INVITE routing, REGISTER refresh) walk one short chain instead of
 * every slot. Only the periodic work (expiry, keep-alives, re-publication) and
 * finding a free slot for a new binding scan the array.
 */

int reg_init(struct registrar *r, unsigned cap)
{
	unsigned buckets = 1;

	while (buckets < cap)
		buckets <<= 1;
	r->b = calloc(cap, sizeof(*r->b));
	r->chain = calloc(buckets, sizeof(*r->chain));
	if (!r->b || !r->chain) {
		reg_free(r);
		return -ENOMEM;
	}
	r->cap = cap;
	r->mask = buckets - 1;
	return 0;
}

void reg_free(struct registrar *r)
{
	free(r->b);
	free(r->chain);
	r->b = NULL;
	r->chain = NULL;
	r->cap = 0;
	r->mask = 0;
}

static bool live(const struct reg_binding *b, uint64_t now_ms)
{
	return b->used && b->expires_ms > now_ms;
}

static unsigned *chain_of(const struct registrar *r, const char *aor)
{
	return &r->chain[str_hash(aor) & r->mask];
}

/* The binding a chain link (index + 1) names, or NULL at the chain's end. */
static struct reg_binding *chain_at(const struct registrar *r, unsigned link)
{
	return link ? &r->b[link - 1] : NULL;
}

/* Marks b unused and takes it out of its chain. */
static void drop(struct registrar *r, struct reg_binding *b)
{
	unsigned idx = (unsigned)(b - r->b) + 1;

	for (unsigned *link = chain_of(r, b->aor); *link; link = &r->b[*link - 1].next)
		if (*link == idx) {
			*link = b->next;
			break;
		}
	b->next = 0;
	b->used = false;
}

int reg_update(struct registrar *r, const char *aor, const char *contact, const struct sockaddr_storage *src,
	       bool nat, bool tcp, uint32_t expires_s, uint64_t now_ms)
{
	struct reg_binding *slot = NULL;
	unsigned *head = NULL;

	if (strlen(aor) >= REG_AOR_MAX || strlen(contact) >= REG_CONTACT_MAX)
		return -ENAMETOOLONG;
	head = chain_of(r, aor);
	for (struct reg_binding *b = chain_at(r, *head); b; b = chain_at(r, b->next))
		if (!strcmp(b->aor, aor) && !strcmp(b->contact, contact)) {
			slot = b;
			break;
		}
	if (expires_s == 0) {
		if (slot)
			drop(r, slot);
		return 0;
	}
	if (!slot) {
		for (unsigned i = 0; i < r->cap && !slot; i++)
			if (!r->b[i].used)
				slot = &r->b[i];
		if (!slot)
			return -ENOSPC;
		strcpy(slot->aor, aor);
		strcpy(slot->contact, contact);
		slot->next = *head;
		*head = (unsigned)(slot - r->b) + 1;
		slot->used = true;
	}
	if (expires_s > REG_MAX_EXPIRES)
		expires_s = REG_MAX_EXPIRES;
	slot->nat = nat;
	slot->tcp = tcp;
	slot->received = *src;
	slot->expires_ms = now_ms + (uint64_t)expires_s * 1000;
	slot->republish_ms = 0; /* the publication this update causes sets it again */
	slot->heard_ms = now_ms;
	return 0;
}

void reg_remove_aor(struct registrar *r, const char *aor)
{
	struct reg_binding *b = chain_at(r, *chain_of(r, aor));

	while (b) {
		struct reg_binding *next = chain_at(r, b->next);

		if (!strcmp(b->aor, aor))
			drop(r, b);
		b = next;
	}
}

const struct reg_binding *reg_lookup(const struct registrar *r, const char *aor, uint64_t now_ms)
{
	const struct reg_binding *best = NULL;

	if (!r->chain)
		return NULL;
	for (const struct reg_binding *b = chain_at(r, *chain_of(r, aor)); b; b = chain_at(r, b->next))
		if (live(b, now_ms) && !strcmp(b->aor, aor) && (!best || b->expires_ms > best->expires_ms))
			best = b;
	return best;
}

uint32_t reg_remaining(const struct registrar *r, const char *aor, uint64_t now_ms)
{
	const struct reg_binding *b = reg_lookup(r, aor, now_ms);

	return b ? (uint32_t)((b->expires_ms - now_ms + 999) / 1000) : 0;
}

unsigned reg_count(const struct registrar *r, uint64_t now_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->cap; i++)
		n += live(&r->b[i], now_ms);
	return n;
}

unsigned reg_expire(struct registrar *r, uint64_t now_ms, reg_gone_fn gone, void *ctx)
{
	unsigned dropped = 0;

	for (unsigned i = 0; i < r->cap; i++) {
		struct reg_binding *b = &r->b[i];

		if (!b->used || b->expires_ms > now_ms)
			continue;
		drop(r, b);
		dropped++;
		if (gone && !reg_lookup(r, b->aor, now_ms))
			gone(b->aor, ctx);
	}
	return dropped;
}

void reg_set_republish(struct registrar *r, const char *aor, uint64_t at_ms)
{
	for (struct reg_binding *b = chain_at(r, *chain_of(r, aor)); b; b = chain_at(r, b->next))
		if (!strcmp(b->aor, aor))
			b->republish_ms = at_ms;
}

const char *reg_next_republish(struct registrar *r, uint64_t now_ms)
{
	for (unsigned i = 0; i < r->cap; i++) {
		struct reg_binding *b = &r->b[i];

		if (b->used && b->republish_ms && b->republish_ms <= now_ms && live(b, now_ms)) {
			reg_set_republish(r, b->aor, 0);
			return b->aor;
		}
	}
	return NULL;
}

unsigned reg_keepalive_due(struct registrar *r, uint64_t now_ms, uint64_t interval_ms, unsigned max,
			   reg_binding_fn fn, void *ctx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->cap && n < max; i++) {
		struct reg_binding *b = &r->b[i];

		if (!live(b, now_ms) || !b->nat || b->tcp || now_ms - b->heard_ms < interval_ms)
			continue;
		b->heard_ms = now_ms;
		fn(b, ctx);
		n++;
	}
	return n;
}

void reg_each(const struct registrar *r, const char *aor, uint64_t now_ms, reg_binding_fn fn, void *ctx)
{
	for (const struct reg_binding *b = chain_at(r, *chain_of(r, aor)); b; b = chain_at(r, b->next))
		if (live(b, now_ms) && !strcmp(b->aor, aor))
			fn(b, ctx);
}

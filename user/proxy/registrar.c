// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "registrar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int reg_init(struct registrar *r, unsigned cap)
{
	r->b = calloc(cap, sizeof(*r->b));
	r->cap = r->b ? cap : 0;
	return r->b ? 0 : -ENOMEM;
}

void reg_free(struct registrar *r)
{
	free(r->b);
	r->b = NULL;
	r->cap = 0;
}

static bool live(const struct reg_binding *b, uint64_t now_ms)
{
	return b->used && b->expires_ms > now_ms;
}

int reg_update(struct registrar *r, const char *aor, const char *contact, const struct sockaddr_storage *src,
	       bool nat, bool tcp, uint32_t expires_s, uint64_t now_ms)
{
	struct reg_binding *slot = NULL;

	if (strlen(aor) >= REG_AOR_MAX || strlen(contact) >= REG_CONTACT_MAX)
		return -ENAMETOOLONG;
	for (unsigned i = 0; i < r->cap; i++) {
		struct reg_binding *b = &r->b[i];

		if (b->used && !strcmp(b->aor, aor) && !strcmp(b->contact, contact)) {
			slot = b;
			break;
		}
		if (!slot && !live(b, now_ms) && !b->used)
			slot = b;
	}
	if (expires_s == 0) {
		if (slot && slot->used && !strcmp(slot->aor, aor) && !strcmp(slot->contact, contact))
			slot->used = false;
		return 0;
	}
	if (!slot)
		return -ENOSPC;
	if (expires_s > REG_MAX_EXPIRES)
		expires_s = REG_MAX_EXPIRES;
	slot->used = true;
	slot->nat = nat;
	slot->tcp = tcp;
	strcpy(slot->aor, aor);
	strcpy(slot->contact, contact);
	slot->received = *src;
	slot->expires_ms = now_ms + (uint64_t)expires_s * 1000;
	slot->republish_ms = 0; /* the publication this update causes sets it again */
	slot->heard_ms = now_ms;
	return 0;
}

void reg_remove_aor(struct registrar *r, const char *aor)
{
	for (unsigned i = 0; i < r->cap; i++)
		if (r->b[i].used && !strcmp(r->b[i].aor, aor))
			r->b[i].used = false;
}

const struct reg_binding *reg_lookup(const struct registrar *r, const char *aor, uint64_t now_ms)
{
	const struct reg_binding *best = NULL;

	for (unsigned i = 0; i < r->cap; i++) {
		const struct reg_binding *b = &r->b[i];

		if (live(b, now_ms) && !strcmp(b->aor, aor) && (!best || b->expires_ms > best->expires_ms))
			best = b;
	}
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
		b->used = false;
		dropped++;
		if (gone && !reg_lookup(r, b->aor, now_ms))
			gone(b->aor, ctx);
	}
	return dropped;
}

void reg_set_republish(struct registrar *r, const char *aor, uint64_t at_ms)
{
	for (unsigned i = 0; i < r->cap; i++)
		if (r->b[i].used && !strcmp(r->b[i].aor, aor))
			r->b[i].republish_ms = at_ms;
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

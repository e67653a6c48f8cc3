// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "routes.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockaddr.h"

static int domain_valid(const char *d, size_t len)
{
	if (!len || len >= ROUTE_DOMAIN_MAX)
		return 0;
	if (len == 1 && d[0] == '*')
		return 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		/* host names, IPv4 and bracketed IPv6 literals */
		if (!isalnum(c) && !strchr("-.:[]", c))
			return 0;
	}
	return 1;
}

int route_parse(const char *spec, struct route *r)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	size_t dlen;

	memset(r, 0, sizeof(*r));
	if (!eq)
		return -EINVAL;
	dlen = (size_t)(eq - spec);
	if (!domain_valid(spec, dlen))
		return -EINVAL;
	memcpy(r->domain, spec, dlen);
	if (sa_parse_hostport(eq + 1, 0, &r->proxy))
		return -EINVAL;
	return 0;
}

int route_table_add(struct route_table *t, const char *spec)
{
	struct route r;
	int rc = route_parse(spec, &r);

	return rc ? rc : route_table_put(t, &r);
}

int route_table_put(struct route_table *t, const struct route *r)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!strcasecmp(t->v[i].domain, r->domain)) {
			t->v[i] = *r;
			return 0;
		}
	}
	if (t->n >= ROUTES_MAX)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct route *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *r;
	return 0;
}

const struct route *route_table_find(const struct route_table *t, const char *domain)
{
	const struct route *wildcard = NULL;

	if (!domain)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		if (!strcasecmp(t->v[i].domain, domain))
			return &t->v[i];
		if (!strcmp(t->v[i].domain, "*"))
			wildcard = &t->v[i];
	}
	return wildcard;
}

void route_table_clear(struct route_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_ROUTES_H
#define PIERCE_REDIRECT_ROUTES_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * Static routes for peers that never register: every user of DOMAIN is
 * served by the proxy at HOST:PORT. "*" as DOMAIN matches any domain that no
 * other route and no binding covers.
 */
#define ROUTE_DOMAIN_MAX 256
#define ROUTES_MAX       1024

struct route {
	char domain[ROUTE_DOMAIN_MAX];
	struct sockaddr_storage proxy;
};

struct route_table {
	struct route *v;
	size_t n, cap;
};

/* "DOMAIN=IP:PORT" or "DOMAIN=[IPv6]:PORT" into r; -EINVAL on a bad spec. */
int route_parse(const char *spec, struct route *r);
/* Adds r; a second route for the same domain replaces the first. -ENOSPC
 * past ROUTES_MAX. */
int route_table_put(struct route_table *t, const struct route *r);
/* route_parse then route_table_put. */
int route_table_add(struct route_table *t, const char *spec);
/* The route for domain (exact, case-insensitive), else the "*" route, else NULL. */
const struct route *route_table_find(const struct route_table *t, const char *domain);
void route_table_clear(struct route_table *t);

#endif

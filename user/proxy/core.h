/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_CORE_H
#define PIERCE_PROXY_CORE_H

#include "proxy.h"

/* Where a request goes (RFC 3261 16.4-16.5 plus the location service). */
enum route_kind {
	RK_LOCAL,     /* a binding of ours: to its received address, R-URI = its contact */
	RK_NEXT_HOP,  /* a Route or a numeric Request-URI */
	RK_REDIRECT,  /* ask pierce-redirect */
	RK_NOT_FOUND, /* ours, in-dialog, unknown */
};

struct route_out {
	enum route_kind kind;
	struct sockaddr_storage target;
	char contact[REG_CONTACT_MAX];
	bool callee_nat;
};

bool proxy_is_local_domain(const struct proxy *p, const char *host);
bool proxy_is_self(const struct proxy *p, const osip_uri_t *uri);
/* Pops Routes that name this proxy, then decides. */
int route_decide(struct proxy *p, osip_message_t *req, uint64_t now_ms, struct route_out *out);
/* RFC 3261 16.6 step 8: a branch whose first part hashes what a loop repeats. */
uint32_t proxy_loop_hash(const osip_message_t *req);
bool proxy_is_loop(const struct proxy *p, const osip_message_t *req);

#endif

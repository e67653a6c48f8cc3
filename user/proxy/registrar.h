/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_REGISTRAR_H
#define PIERCE_PROXY_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Location bindings of the proxy's own domains. Each contact keeps the address
 * its REGISTER came from, so requests reach phones behind NATs. No sockets, no
 * clocks: the caller passes now.
 */
#define REG_AOR_MAX 128
#define REG_CONTACT_MAX 256
#define REG_DEFAULT_EXPIRES 3600U
#define REG_MAX_EXPIRES 86400U

struct reg_binding {
	bool used;
	bool nat; /* the Contact names another address than the REGISTER came from */
	bool tcp; /* reach it over the TCP connection it registered on */
	char aor[REG_AOR_MAX];
	char contact[REG_CONTACT_MAX];
	struct sockaddr_storage received;
	uint64_t expires_ms;
	uint64_t republish_ms; /* publish to the redirect server again then; 0: no need */
	uint64_t heard_ms;     /* its last REGISTER or keep-alive: what keeps its NAT binding */
	unsigned next;         /* next binding in its AOR's hash chain, index + 1; 0 ends it */
};

struct registrar {
	struct reg_binding *b;
	unsigned cap;
	unsigned *chain; /* per hash bucket of the AOR: first used binding, index + 1; 0 none */
	unsigned mask;   /* buckets - 1 (a power of two) */
};

int reg_init(struct registrar *r, unsigned cap);
void reg_free(struct registrar *r);

/* Adds or refreshes (aor, contact); expires_s 0 removes it. -ENOSPC when full,
 * -ENAMETOOLONG for oversized strings. */
int reg_update(struct registrar *r, const char *aor, const char *contact, const struct sockaddr_storage *src,
	       bool nat, bool tcp, uint32_t expires_s, uint64_t now_ms);
/* Removes every binding of aor (Contact: *). */
void reg_remove_aor(struct registrar *r, const char *aor);
/* The live binding of aor that expires last, or NULL. */
const struct reg_binding *reg_lookup(const struct registrar *r, const char *aor, uint64_t now_ms);
/* Seconds until the last live binding of aor expires; 0 when none. */
uint32_t reg_remaining(const struct registrar *r, const char *aor, uint64_t now_ms);
unsigned reg_count(const struct registrar *r, uint64_t now_ms);

/* The redirect server granted a shorter time than asked: publish aor again at at_ms. */
void reg_set_republish(struct registrar *r, const char *aor, uint64_t at_ms);
/* An AOR whose re-publication is due (cleared on all its bindings), or NULL. */
const char *reg_next_republish(struct registrar *r, uint64_t now_ms);

/* Calls fn for at most max live NATed UDP bindings that have had no packet
 * for interval_ms (a NAT forgets an idle UDP binding), and counts them as
 * heard now. Returns how many; the rest are due at the next call. */
typedef void (*reg_binding_fn)(const struct reg_binding *b, void *ctx);
unsigned reg_keepalive_due(struct registrar *r, uint64_t now_ms, uint64_t interval_ms, unsigned max,
			   reg_binding_fn fn, void *ctx);

/* Calls fn for each live binding of aor. */
void reg_each(const struct registrar *r, const char *aor, uint64_t now_ms, reg_binding_fn fn, void *ctx);

/* Drops expired bindings; calls gone() once for each AOR left with none. */
typedef void (*reg_gone_fn)(const char *aor, void *ctx);
unsigned reg_expire(struct registrar *r, uint64_t now_ms, reg_gone_fn gone, void *ctx);

#endif

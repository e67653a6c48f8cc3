/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_REDIRECT_H
#define PIERCE_REDIRECT_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <osipparser2/osip_message.h>

#include "location.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"

/*
 * The redirect server's logic, free of sockets and clocks: a request comes
 * in, a decision (and maybe a change to the location store) comes out.
 */
#define REDIRECT_DEFAULT_EXPIRES 3600U
#define REDIRECT_MAX_EXPIRES     86400U
#define DECISION_CONTACT_MAX     (LOC_AOR_MAX + LOC_CONTACT_MAX + 32)
#define REDIRECT_MAX_REGISTRARS  32

struct redirect {
	struct location *loc;
	struct route_table routes;
	struct redirect_metrics metrics;
	uint32_t default_expires; /* REGISTER without Expires */
	uint32_t max_expires;     /* longer requests are cut to this */
	/* Addresses (ports ignored) whose REGISTERs are accepted; none: any.
	 * Bindings steer calls, so only the proxies should write them. */
	struct sockaddr_storage registrars[REDIRECT_MAX_REGISTRARS];
	size_t nregistrars;
};

struct decision {
	int status; /* 0: absorb, send nothing */
	const char *reason;
	struct reply_header hdr[REPLY_MAX_HEADERS];
	size_t nhdr;
	/* storage the headers point into */
	char contacts[LOC_CONTACTS_PER_AOR][DECISION_CONTACT_MAX];
	char number[16];
};

/* Decides on a parsed request that has Via, From, To, Call-ID and CSeq.
 * REGISTERs update the store. Always fills d; returns 0 or a negative errno
 * for failures that are not the sender's fault (d then holds a 500). */
int redirect_decide(struct redirect *r, const osip_message_t *req, uint64_t now_ms, struct decision *d);

/* REGISTER: the part of redirect_decide that updates bindings. */
int redirect_register(struct redirect *r, const osip_message_t *req, uint64_t now_ms, struct decision *d);

/*
 * One datagram or one framed stream message in, the bytes to send back out
 * (*out malloc'd, NULL when nothing is to be sent). src is where it came from,
 * for the Via received/rport parameters. Counts everything in r->metrics.
 */
int redirect_handle(struct redirect *r, const char *buf, size_t len, const struct sockaddr_storage *src,
		    uint64_t now_ms, char **out, size_t *out_len);

/* Whether src may change bindings. */
bool redirect_may_register(const struct redirect *r, const struct sockaddr_storage *src);

void decision_set(struct decision *d, int status, const char *reason);
int decision_add_header(struct decision *d, const char *name, const char *value);

#endif

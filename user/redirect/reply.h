/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_REPLY_H
#define PIERCE_REDIRECT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <osipparser2/osip_message.h>

/*
 * Stateless responses (RFC 3261 8.2.6): Via, From, To, Call-ID and CSeq are
 * copied from the request, and the To-tag is derived from the request so a
 * retransmission gets the very same answer.
 */
#define REPLY_TAG_LEN 16 /* hex digits */
#define REPLY_MAX_HEADERS 12

struct reply_header {
	const char *name;
	const char *value;
};

/* Tag for a request without one: a hash of Call-ID, top Via branch and From-tag. */
void reply_to_tag(const osip_message_t *req, char tag[REPLY_TAG_LEN + 1]);

/* Builds the response into *out (*out_len bytes), which the caller frees with
 * osip_free; extra headers (Contact, Allow, ...) come in order. */
int reply_build(const osip_message_t *req, int status, const char *reason, const struct reply_header *extra,
		size_t nextra, char **out, size_t *out_len);

/*
 * An error response for a request that cannot be parsed: the Via, From, To,
 * Call-ID and CSeq lines are copied verbatim. -EBADMSG when there is no Via or
 * CSeq to answer with (the message is then dropped), or when it is not a
 * request.
 */
int reply_raw(const char *buf, size_t len, int status, const char *reason, char **out, size_t *out_len);

#endif

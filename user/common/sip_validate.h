/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_SIP_VALIDATE_H
#define PIERCE_SIP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks a raw SIP message before libosip2 sees it. libosip2 is lenient; RFC 3261
 * and RFC 4475 want a 400 (or 505, 416) for the malformed messages it would accept.
 * Works on length-delimited bytes: NUL octets inside the message are legal.
 */
struct sip_verdict {
	int status;         /* 0 when valid; else the status to answer a request with */
	const char *reason; /* static reason phrase naming the problem */
	bool is_request;
	size_t hdr_len;     /* start line + headers + the empty line */
	size_t msg_len;     /* hdr_len + Content-Length; bytes after it are ignored */
};

#define SIP_MAX_CSEQ 2147483647UL /* RFC 3261 8.1.1.5: less than 2**31 */

/* 0 when the message may be parsed; -EBADMSG with v->status and v->reason set.
 * An invalid response (v->is_request false) is to be dropped, never answered. */
int sip_validate(const char *buf, size_t len, struct sip_verdict *v);

/* Request-URI schemes a SIP element can route. */
bool sip_scheme_supported(const char *uri, size_t len);

#endif

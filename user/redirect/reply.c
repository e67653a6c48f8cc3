// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip_msg.h"

#define SERVER_NAME "pierce-redirect"

static uint64_t fnv1a_add(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff; /* field separator: ("ab","c") and ("a","bc") differ */
	h *= 0x100000001b3ULL;
	return h;
}

void reply_to_tag(const osip_message_t *req, char tag[REPLY_TAG_LEN + 1])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (req->call_id) {
		h = fnv1a_add(h, req->call_id->number);
		h = fnv1a_add(h, req->call_id->host);
	}
	h = fnv1a_add(h, sip_via_branch(sip_top_via(req)));
	h = fnv1a_add(h, sip_tag(req->from));
	snprintf(tag, REPLY_TAG_LEN + 1, "%016llx", (unsigned long long)h);
}

int reply_build(const osip_message_t *req, int status, const char *reason, const struct reply_header *extra,
		size_t nextra, char **out, size_t *out_len)
{
	osip_message_t *resp = NULL;
	char totag[REPLY_TAG_LEN + 1];
	int rc;

	*out = NULL;
	reply_to_tag(req, totag);
	rc = sip_make_response(req, status, reason, totag, &resp);
	if (rc)
		return rc;
	for (size_t i = 0; i < nextra; i++) {
		if (osip_message_set_header(resp, extra[i].name, extra[i].value) != OSIP_SUCCESS) {
			rc = -EINVAL;
			goto out;
		}
	}
	if (osip_message_set_header(resp, "Server", SERVER_NAME) != OSIP_SUCCESS) {
		rc = -ENOMEM;
		goto out;
	}
	rc = sip_serialize(resp, out, out_len);
out:
	osip_message_free(resp);
	return rc;
}

/* Header names whose lines a raw 400 copies, long and compact forms. */
static int copied_header(const char *line, size_t len, int *is_via, int *is_cseq)
{
	static const char *const names[] = { "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq" };
	const char *colon = memchr(line, ':', len);
	size_t nlen;

	*is_via = *is_cseq = 0;
	if (!colon)
		return 0;
	nlen = (size_t)(colon - line);
	while (nlen && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == nlen && !strncasecmp(line, names[i], nlen)) {
			*is_via = i < 2;
			*is_cseq = i == 8;
			return 1;
		}
	}
	return 0;
}

#define RAW_MAX_OUT 4096

int reply_raw(const char *buf, size_t len, int status, const char *reason, char **out, size_t *out_len)
{
	const char *p = buf, *end = buf + len, *eol;
	int have_via = 0, have_cseq = 0, n;
	char *o = NULL;
	size_t off;

	*out = NULL;
	/* A request line ends in "SIP/2.0"; a response starts with it. */
	eol = memchr(p, '\n', len);
	if (!eol || len < 8 || !strncmp(buf, "SIP/", 4))
		return -EBADMSG;
	o = osip_malloc(RAW_MAX_OUT);
	if (!o)
		return -ENOMEM;
	n = snprintf(o, RAW_MAX_OUT, "SIP/2.0 %d %s\r\n", status, reason);
	if (n < 0 || n >= RAW_MAX_OUT)
		goto bad;
	off = (size_t)n;
	for (p = eol + 1; p < end; p = eol + 1) {
		size_t ll;
		int is_via, is_cseq;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		ll = (size_t)(eol - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (!ll)
			break; /* end of headers */
		if (!copied_header(p, ll, &is_via, &is_cseq))
			continue;
		if (off + ll + 2 >= RAW_MAX_OUT)
			goto bad;
		memcpy(o + off, p, ll);
		off += ll;
		o[off++] = '\r';
		o[off++] = '\n';
		have_via |= is_via;
		have_cseq |= is_cseq;
	}
	if (!have_via || !have_cseq)
		goto bad;
	n = snprintf(o + off, RAW_MAX_OUT - off, "Server: " SERVER_NAME "\r\nContent-Length: 0\r\n\r\n");
	if (n < 0 || (size_t)n >= RAW_MAX_OUT - off)
		goto bad;
	*out = o;
	*out_len = off + (size_t)n;
	return 0;
bad:
	osip_free(o);
	return -EBADMSG;
}

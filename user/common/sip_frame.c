// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sip_frame.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *find_hdr_end(const char *p, size_t len)
{
	return memmem(p, len, "\r\n\r\n", 4);
}

/* Content-Length or its compact form "l", at the start of a line. */
static int content_length(const char *hdr, size_t len, unsigned long *out)
{
	const char *p = hdr, *end = hdr + len;
	bool found = false;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *colon, *v;
		size_t nlen;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			nlen = (size_t)(colon - p);
			while (nlen && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
				nlen--;
			if ((nlen == 14 && !strncasecmp(p, "Content-Length", 14)) ||
			    (nlen == 1 && (*p == 'l' || *p == 'L'))) {
				unsigned long n = 0;
				int digits = 0;

				if (found)
					return -EBADMSG;
				for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
					;
				for (; v < eol && *v >= '0' && *v <= '9' && digits < 9; v++, digits++)
					n = n * 10 + (unsigned long)(*v - '0');
				while (v < eol && (*v == ' ' || *v == '\t'))
					v++;
				if (!digits || v != eol)
					return -EBADMSG;
				*out = n;
				found = true;
			}
		}
		p = eol + 2;
	}
	return found ? 0 : -EBADMSG;
}

int sip_frame(const char *buf, size_t len, size_t max, size_t *skip, size_t *msg_len)
{
	const char *hdr_end;
	unsigned long cl;
	size_t s = 0, hlen;

	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	*msg_len = 0;
	hdr_end = find_hdr_end(buf + s, len - s);
	if (!hdr_end)
		return (len - s > max) ? -EMSGSIZE : 0;
	hlen = (size_t)(hdr_end - (buf + s)) + 4;
	if (content_length(buf + s, hlen - 2, &cl))
		return -EBADMSG;
	if (hlen + cl > max)
		return -EMSGSIZE;
	if (s + hlen + cl > len)
		return 0;
	*msg_len = hlen + cl;
	return 1;
}

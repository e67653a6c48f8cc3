// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sip_sdp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"

#define SDP_MAX_LINE 1024

struct line {
	const char *p;
	size_t len;   /* without CR/LF */
	size_t total; /* with the line end */
};

static bool next_line(const char *p, const char *end, struct line *l)
{
	const char *nl;

	if (p >= end)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	l->p = p;
	l->total = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
	l->len = nl ? (size_t)(nl - p) : l->total;
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	return true;
}

/* c=IN IP4 192.0.2.1[/ttl[/n]] */
static void parse_conn(const struct line *l, struct sdp_conn *c)
{
	char buf[128];
	char *save = NULL, *net, *type, *addr, *slash;
	size_t n = l->len - 2;

	c->present = true;
	c->parsed = false;
	if (n >= sizeof(buf))
		return;
	memcpy(buf, l->p + 2, n);
	buf[n] = '\0';
	net = strtok_r(buf, " \t", &save);
	type = strtok_r(NULL, " \t", &save);
	addr = strtok_r(NULL, " \t", &save);
	if (!net || !type || !addr || strcmp(net, "IN"))
		return;
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	if (sa_parse_ip(addr, 0, &c->addr))
		return;
	if ((!strcmp(type, "IP4") && c->addr.ss_family == AF_INET) ||
	    (!strcmp(type, "IP6") && c->addr.ss_family == AF_INET6))
		c->parsed = true;
}

int sdp_parse(const char *body, size_t len, struct sdp_info *out)
{
	const char *p = body, *end = body + len;
	struct line l;
	bool first = true;

	memset(out, 0, sizeof(*out));
	while (next_line(p, end, &l)) {
		p += l.total;
		if (l.len > SDP_MAX_LINE)
			return -EBADMSG;
		if (first) {
			if (l.len < 2 || memcmp(l.p, "v=", 2))
				return -EBADMSG;
			first = false;
			continue;
		}
		if (l.len < 2 || l.p[1] != '=')
			continue; /* blank or junk lines are tolerated, as most stacks do */
		switch (l.p[0]) {
		case 'm':
			if (out->n_media < SDP_MAX_MEDIA) {
				const char *sp = memchr(l.p, ' ', l.len);

				out->media[out->n_media].port =
					sp ? (uint16_t)strtoul(sp + 1, NULL, 10) : 0;
			}
			out->n_media++;
			break;
		case 'c':
			if (out->n_media == 0)
				parse_conn(&l, &out->session);
			else if (out->n_media <= SDP_MAX_MEDIA)
				parse_conn(&l, &out->media[out->n_media - 1].conn);
			break;
		case 'a':
			if (l.len == strlen(SDP_NORTPPROXY) && !memcmp(l.p, SDP_NORTPPROXY, l.len))
				out->nortpproxy = true;
			break;
		default:
			break;
		}
	}
	if (first)
		return -EBADMSG;
	if (out->n_media > SDP_MAX_MEDIA)
		out->n_media = SDP_MAX_MEDIA;
	return 0;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_info *info, unsigned i)
{
	if (i < info->n_media && info->media[i].conn.present)
		return &info->media[i].conn;
	return &info->session;
}

int sdp_mark_relayed(const char *body, size_t len, char *out, size_t outsz, size_t *outlen)
{
	const char *p = body, *end = body + len, *insert = end;
	const char *eol = "\r\n";
	size_t mlen = strlen(SDP_NORTPPROXY), head;
	struct line l;

	while (next_line(p, end, &l)) {
		if (l.len >= 2 && !memcmp(l.p, "m=", 2)) {
			insert = l.p;
			break;
		}
		if (l.total == l.len + 1)
			eol = "\n";
		p += l.total;
	}
	head = (size_t)(insert - body);
	/* a last session line without its line end needs one before ours */
	bool need_eol = head && body[head - 1] != '\n';

	if (len + mlen + 2 * strlen(eol) + 1 > outsz)
		return -ENOSPC;
	memcpy(out, body, head);
	*outlen = head;
	if (need_eol) {
		memcpy(out + *outlen, eol, strlen(eol));
		*outlen += strlen(eol);
	}
	memcpy(out + *outlen, SDP_NORTPPROXY, mlen);
	*outlen += mlen;
	memcpy(out + *outlen, eol, strlen(eol));
	*outlen += strlen(eol);
	memcpy(out + *outlen, insert, len - head);
	*outlen += len - head;
	out[*outlen] = '\0';
	return 0;
}

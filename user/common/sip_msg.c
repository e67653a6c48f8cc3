// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sip_msg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockaddr.h"

int sip_init(void)
{
	static bool done;

	if (!done) {
		if (parser_init() != 0)
			return -ENOMEM;
		done = true;
	}
	return 0;
}

int sip_parse(const char *buf, size_t len, osip_message_t **out)
{
	osip_message_t *msg = NULL;

	*out = NULL;
	if (len == 0 || len > SIP_MAX_MSG)
		return -EMSGSIZE;
	if (osip_message_init(&msg) != 0)
		return -ENOMEM;
	if (osip_message_parse(msg, buf, len) != 0) {
		osip_message_free(msg);
		return -EBADMSG;
	}
	if (!msg->call_id || !msg->cseq || !msg->from || !msg->to || !sip_top_via(msg) ||
	    !msg->cseq->method || !msg->cseq->number) {
		osip_message_free(msg);
		return -EBADMSG;
	}
	*out = msg;
	return 0;
}

int sip_serialize(osip_message_t *msg, char **out, size_t *len)
{
	*out = NULL;
	if (osip_message_to_str(msg, out, len) != 0 || !*out)
		return -ENOMEM;
	if (*len > SIP_MAX_MSG) {
		osip_free(*out);
		*out = NULL;
		return -EMSGSIZE;
	}
	return 0;
}

static int clone_list(const osip_list_t *src, osip_list_t *dst, int (*clone)(void *, void **))
{
	return osip_list_clone(src, dst, clone) == 0 ? 0 : -ENOMEM;
}

int sip_make_response(const osip_message_t *req, int code, const char *reason, const char *to_tag,
		      osip_message_t **out)
{
	osip_message_t *r = NULL;
	int ret = -ENOMEM;

	*out = NULL;
	if (osip_message_init(&r) != 0)
		return -ENOMEM;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : osip_message_get_reason(code)));
	if (clone_list(&req->vias, &r->vias, (int (*)(void *, void **))osip_via_clone))
		goto out;
	if (osip_from_clone(req->from, &r->from) || osip_to_clone(req->to, &r->to) ||
	    osip_call_id_clone(req->call_id, &r->call_id) || osip_cseq_clone(req->cseq, &r->cseq))
		goto out;
	if (code > 100 && to_tag && !sip_tag(r->to) && osip_to_set_tag(r->to, osip_strdup(to_tag)))
		goto out;
	if (osip_message_set_content_length(r, "0"))
		goto out;
	ret = 0;
	*out = r;
	r = NULL;
out:
	if (r)
		osip_message_free(r);
	return ret;
}

osip_via_t *sip_top_via(const osip_message_t *msg)
{
	return (osip_via_t *)osip_list_get(&msg->vias, 0);
}

const char *sip_via_branch(const osip_via_t *via)
{
	osip_generic_param_t *p = NULL;

	if (!via || osip_via_param_get_byname((osip_via_t *)via, "branch", &p) != 0 || !p)
		return NULL;
	return p->gvalue;
}

static int set_param(osip_list_t *params, const char *name, const char *value)
{
	osip_generic_param_t *p = NULL;

	if (osip_generic_param_get_byname(params, (char *)name, &p) == 0 && p) {
		osip_free(p->gvalue);
		p->gvalue = value ? osip_strdup(value) : NULL;
		return 0;
	}
	return osip_generic_param_add(params, osip_strdup(name), value ? osip_strdup(value) : NULL) ? -ENOMEM
												  : 0;
}

int sip_via_fix_received(osip_via_t *via, const struct sockaddr_storage *src, bool force_rport)
{
	char ip[SA_STR_MAX], port[8];
	osip_generic_param_t *rport = NULL;
	int ret;

	sa_format_ip(src, ip, sizeof(ip));
	ret = set_param(&via->via_params, "received", ip);
	if (ret)
		return ret;
	osip_via_param_get_byname(via, "rport", &rport);
	if (!rport && !force_rport)
		return 0;
	snprintf(port, sizeof(port), "%u", sa_port(src));
	return set_param(&via->via_params, "rport", port);
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Numeric host (IPv6 with or without brackets) and port into out. */
static int host_target(const char *host, const char *port_s, struct sockaddr_storage *out)
{
	char buf[SA_STR_MAX];
	uint16_t port = SIP_DEFAULT_PORT;
	size_t n;

	if (!host)
		return -EINVAL;
	n = strlen(host);
	if (n >= sizeof(buf))
		return -EHOSTUNREACH;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, host, n + 1);
	}
	if (port_s && *port_s && parse_port(port_s, &port))
		return -EINVAL;
	return sa_parse_ip(buf, port, out) ? -EHOSTUNREACH : 0;
}

int sip_via_target(const osip_via_t *via, struct sockaddr_storage *out)
{
	osip_generic_param_t *rec = NULL, *rport = NULL;
	osip_via_t *v = (osip_via_t *)via;
	const char *port = v->port;
	int ret;

	osip_via_param_get_byname(v, "received", &rec);
	osip_via_param_get_byname(v, "rport", &rport);
	if (rport && rport->gvalue && *rport->gvalue)
		port = rport->gvalue;
	ret = host_target(rec && rec->gvalue ? rec->gvalue : v->host, port, out);
	return ret;
}

const char *sip_uri_param(const osip_uri_t *uri, const char *name)
{
	osip_uri_param_t *p = NULL;

	if (!uri || osip_uri_param_get_byname((osip_list_t *)&uri->url_params, (char *)name, &p) != 0 || !p)
		return NULL;
	return p->gvalue ? p->gvalue : "";
}

int sip_uri_target(const osip_uri_t *uri, struct sockaddr_storage *out)
{
	const char *maddr = sip_uri_param(uri, "maddr");

	if (!uri || !uri->host)
		return -EINVAL;
	return host_target(maddr && *maddr ? maddr : uri->host, uri->port, out);
}

int sip_uri_aor(const osip_uri_t *uri, char *buf, size_t len)
{
	int n;

	if (!uri || !uri->host || !*uri->host)
		return -EINVAL;
	n = snprintf(buf, len, "%s%s%s", uri->username ? uri->username : "", uri->username ? "@" : "",
		     uri->host);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	for (char *p = strrchr(buf, '@') ? strrchr(buf, '@') : buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

const char *sip_tag(const osip_from_t *from_or_to)
{
	osip_generic_param_t *tag = NULL;

	if (!from_or_to || osip_from_get_tag((osip_from_t *)from_or_to, &tag) != 0 || !tag)
		return NULL;
	return tag->gvalue;
}

int sip_body(const osip_message_t *msg, const char **body, size_t *len)
{
	osip_body_t *b = (osip_body_t *)osip_list_get(&msg->bodies, 0);

	*body = NULL;
	*len = 0;
	if (!b || !b->body)
		return -ENOENT;
	*body = b->body;
	*len = b->length;
	return 0;
}

int sip_set_body(osip_message_t *msg, const char *body, size_t len)
{
	char cl[16];

	while (!osip_list_eol(&msg->bodies, 0)) {
		osip_body_t *b = (osip_body_t *)osip_list_get(&msg->bodies, 0);

		osip_list_remove(&msg->bodies, 0);
		osip_body_free(b);
	}
	if (body && len && osip_message_set_body(msg, body, len) != 0)
		return -ENOMEM;
	snprintf(cl, sizeof(cl), "%zu", body ? len : 0);
	osip_content_length_free(msg->content_length);
	msg->content_length = NULL;
	return osip_message_set_content_length(msg, cl) ? -ENOMEM : 0;
}

int sip_header_value(const osip_message_t *msg, const char *name, const char **value)
{
	osip_header_t *h = NULL;

	*value = NULL;
	if (osip_message_header_get_byname(msg, name, 0, &h) < 0 || !h)
		return -ENOENT;
	*value = h->hvalue ? h->hvalue : "";
	return 0;
}

int sip_expires(const osip_message_t *msg, long *out)
{
	const char *v;
	char *end;
	long n;

	if (sip_header_value(msg, "expires", &v))
		return -ENOENT;
	while (*v == ' ' || *v == '\t')
		v++;
	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || end == v || *end || n < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

static bool raw_header_kept(const char *line, size_t len, bool *is_via)
{
	static const char *const names[] = { "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq" };
	const char *colon = memchr(line, ':', len);
	size_t n;

	if (!colon)
		return false;
	n = (size_t)(colon - line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncasecmp(line, names[i], n)) {
			*is_via = i < 2;
			return true;
		}
	return false;
}

int sip_raw_response(const char *req, size_t len, int code, const char *reason,
		     const struct sockaddr_storage *src, char **out, size_t *out_len)
{
	const char *p = req, *end = req + len;
	size_t cap = len + 256, at;
	bool first_via = true;
	char ip[SA_STR_MAX];
	char *buf = malloc(cap);
	int n;

	if (!buf)
		return -ENOMEM;
	n = snprintf(buf, cap, "SIP/2.0 %d %s\r\n", code, reason);
	at = (size_t)n;
	/* skip the start line, stop at the empty line */
	p = memchr(p, '\n', len);
	p = p ? p + 1 : end;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool is_via = false;

		if (l && p[l - 1] == '\r')
			l--;
		if (!l)
			break;
		if (raw_header_kept(p, l, &is_via) && !memchr(p, '\0', l) && at + l + 128 < cap) {
			memcpy(buf + at, p, l);
			at += l;
			if (is_via && first_via) {
				n = snprintf(buf + at, cap - at, ";received=%s;rport=%u", sa_format_ip(src, ip, sizeof(ip)),
					     sa_port(src));
				at += (size_t)n;
				first_via = false;
			}
			memcpy(buf + at, "\r\n", 2);
			at += 2;
		}
		p = nl ? nl + 1 : end;
	}
	n = snprintf(buf + at, cap - at, "Content-Length: 0\r\n\r\n");
	at += (size_t)n;
	*out = buf;
	*out_len = at;
	return 0;
}

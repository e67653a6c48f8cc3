// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "relay_sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay/ip_text.h"
#include "relay/sdp_text.h"
#include "sockaddr.h"

static const char *const ice_attrs[] = {
	"candidate", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
	"remote-candidates", "end-of-candidates", "ice-pacing",
};

static bool is_ice_attr(const char *field)
{
	for (size_t i = 0; i < sizeof(ice_attrs) / sizeof(ice_attrs[0]); i++)
		if (!strcasecmp(field, ice_attrs[i]))
			return true;
	return false;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if ((*end && *end != ' ') || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* NUL-terminated copy bounded by RSDP_MAX_LEN; libosip2 wants a C string. */
static int load(const char *sdp, size_t len, sdp_message_t **out)
{
	sdp_message_t *m = NULL;
	char *copy;
	int err;

	if (len > RSDP_MAX_LEN)
		return -E2BIG;
	if (memchr(sdp, '\0', len))
		return -EBADMSG;
	/* Two NULs: libosip2 5.3's sdp_message_parse reads one byte past the
	 * terminating NUL when the last m= line has no format list. */
	copy = calloc(1, len + 2);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, sdp, len);
	err = sdp_message_init(&m);
	if (err) {
		err = -ENOMEM;
		goto out;
	}
	if (sdp_message_parse(m, copy) != 0) {
		err = -EBADMSG;
		goto out;
	}
	*out = m;
	m = NULL;
out:
	if (m)
		sdp_message_free(m);
	free(copy);
	return err;
}

static void conn_addr(const sdp_connection_t *c, uint16_t port, struct sockaddr_storage *ss, bool *zero)
{
	memset(ss, 0, sizeof(*ss));
	*zero = false;
	if (!c || !c->c_addr || sa_parse_ip(c->c_addr, port, ss)) {
		memset(ss, 0, sizeof(*ss));
		return;
	}
	if (!strcmp(c->c_addr, "0.0.0.0") || !strcmp(c->c_addr, "::"))
		*zero = true;
}

/* A field cut to size, "" for none (snprintf "%s" costs a format parse per call). */
static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static sdp_media_t *media_at(sdp_message_t *m, int i)
{
	return osip_list_get(&m->m_medias, i);
}

/* A parsed SDP kept between inspect and rewrite is libosip2's message. */
static sdp_message_t *msg_of(struct rsdp_parsed *p)
{
	return (sdp_message_t *)p;
}

static int inspect_msg(sdp_message_t *m, struct rsdp_info *out)
{
	int err = 0;
	int n;

	n = osip_list_size(&m->m_medias);
	if (n > RSDP_MAX_MEDIA) {
		err = -E2BIG;
		goto out;
	}
	for (int pos = 0; pos < osip_list_size(&m->a_attributes); pos++) {
		sdp_attribute_t *a = osip_list_get(&m->a_attributes, pos);

		if (a->a_att_field && !strcasecmp(a->a_att_field, RSDP_LOOP_ATTR))
			out->loop_marker = true;
	}
	for (int i = 0; i < n; i++) {
		sdp_media_t *med = media_at(m, i);
		struct rsdp_media *rm = &out->media[i];
		sdp_connection_t *c = osip_list_get(&med->c_connections, 0);

		if (parse_port(med->m_port, &rm->port)) {
			err = -EBADMSG;
			goto out;
		}
		copy_field(rm->type, sizeof(rm->type), med->m_media);
		copy_field(rm->proto, sizeof(rm->proto), med->m_proto);
		conn_addr(c ? c : m->c_connection, rm->port, &rm->addr, &rm->zero_addr);
		rm->rtcp_port = rm->port ? (uint16_t)(rm->port + 1) : 0;
		for (int pos = 0; pos < osip_list_size(&med->a_attributes); pos++) {
			sdp_attribute_t *a = osip_list_get(&med->a_attributes, pos);
			const char *f = a->a_att_field ? a->a_att_field : "";

			if (!strcasecmp(f, "rtcp"))
				parse_port(a->a_att_value, &rm->rtcp_port);
			else if (!strcasecmp(f, "rtcp-mux"))
				rm->rtcp_mux = true;
			else if (is_ice_attr(f))
				rm->ice = true;
			else if (!strcasecmp(f, "sendonly"))
				rm->dir = RSDP_SENDONLY;
			else if (!strcasecmp(f, "recvonly"))
				rm->dir = RSDP_RECVONLY;
			else if (!strcasecmp(f, "inactive"))
				rm->dir = RSDP_INACTIVE;
		}
	}
	out->n_media = (unsigned)n;
out:
	return err;
}

int rsdp_inspect_keep(const char *sdp, size_t len, struct rsdp_info *out, struct rsdp_parsed **keep)
{
	sdp_message_t *m = NULL;
	int err = load(sdp, len, &m);

	memset(out, 0, sizeof(*out));
	*keep = NULL;
	if (err)
		return err;
	err = inspect_msg(m, out);
	if (err) {
		sdp_message_free(m);
		return err;
	}
	*keep = (struct rsdp_parsed *)m;
	return 0;
}

int rsdp_inspect(const char *sdp, size_t len, struct rsdp_info *out)
{
	struct rsdp_parsed *p;
	int err = rsdp_inspect_keep(sdp, len, out, &p);

	rsdp_parsed_free(p);
	return err;
}

void rsdp_parsed_free(struct rsdp_parsed *p)
{
	if (p)
		sdp_message_free(msg_of(p));
}

static int set_str(char **field, const char *value)
{
	char *dup = osip_strdup(value);

	if (!dup)
		return -ENOMEM;
	osip_free(*field);
	*field = dup;
	return 0;
}

static const char *addrtype(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? "IP6" : "IP4";
}

static int set_conn(sdp_connection_t *c, const struct sockaddr_storage *relay)
{
	char ip[INET6_ADDRSTRLEN];
	int err;

	ip_text(relay, ip, sizeof(ip));
	err = set_str(&c->c_nettype, "IN");
	if (!err)
		err = set_str(&c->c_addrtype, addrtype(relay));
	if (!err)
		err = set_str(&c->c_addr, ip);
	return err;
}

static int add_attr(osip_list_t *list, const char *field, const char *value)
{
	sdp_attribute_t *a = NULL;

	if (sdp_attribute_init(&a))
		return -ENOMEM;
	a->a_att_field = osip_strdup(field);
	a->a_att_value = value ? osip_strdup(value) : NULL;
	if (!a->a_att_field || (value && !a->a_att_value) || osip_list_add(list, a, -1) < 0) {
		sdp_attribute_free(a);
		return -ENOMEM;
	}
	return 0;
}

/* Removes ICE attributes (when asked), a=rtcp (always: rewritten later),
 * a=rtcp-mux (when stripping) and our loop marker. */
static void strip_attrs(osip_list_t *list, const struct rsdp_rewrite *rw, bool *had_rtcp_addr)
{
	for (int pos = 0; pos < osip_list_size(list);) {
		sdp_attribute_t *a = osip_list_get(list, pos);
		const char *f = a->a_att_field ? a->a_att_field : "";
		bool drop = (rw->remove_ice && is_ice_attr(f)) || !strcasecmp(f, RSDP_LOOP_ATTR) ||
			    (rw->rtcp_mux != RSDP_MUX_KEEP && !strcasecmp(f, "rtcp-mux"));

		if (!strcasecmp(f, "rtcp")) {
			if (had_rtcp_addr && a->a_att_value && strchr(a->a_att_value, ' '))
				*had_rtcp_addr = true;
			drop = true;
		}
		if (drop) {
			osip_list_remove(list, pos);
			sdp_attribute_free(a);
		} else {
			pos++;
		}
	}
}

static int rewrite_media(sdp_media_t *med, const struct rsdp_rewrite *rw, int i)
{
	const struct sockaddr_storage *relay = &rw->relay[i];
	bool had_rtcp_addr = false, zero = false;
	char buf[96], ip[INET6_ADDRSTRLEN];
	struct sockaddr_storage cur;
	int err = 0;

	strip_attrs(&med->a_attributes, rw, &had_rtcp_addr);
	if (!rw->port[i]) /* disabled or rejected stream: nothing to relay */
		return 0;
	snprintf(buf, sizeof(buf), "%u", rw->port[i]);
	err = set_str(&med->m_port, buf);
	for (int pos = 0; !err && pos < osip_list_size(&med->c_connections); pos++) {
		sdp_connection_t *c = osip_list_get(&med->c_connections, pos);

		conn_addr(c, 0, &cur, &zero);
		if (!(zero && rw->keep_zero_addr))
			err = set_conn(c, relay);
	}
	if (!err && !rw->no_rtcp_attr && rw->rtcp_mux != RSDP_MUX_ADD) {
		ip_text(relay, ip, sizeof(ip));
		if (had_rtcp_addr)
			snprintf(buf, sizeof(buf), "%u IN %s %s", rw->port[i] + 1, addrtype(relay), ip);
		else
			snprintf(buf, sizeof(buf), "%u", rw->port[i] + 1);
		err = add_attr(&med->a_attributes, "rtcp", buf);
	}
	if (!err && rw->rtcp_mux == RSDP_MUX_ADD)
		err = add_attr(&med->a_attributes, "rtcp-mux", NULL);
	return err;
}

/* The session-level c= names the relay address of the first relayed media. */
static const struct sockaddr_storage *first_relay(const struct rsdp_rewrite *rw, int n)
{
	for (int i = 0; i < n; i++)
		if (rw->port[i])
			return &rw->relay[i];
	return n ? &rw->relay[0] : NULL;
}

int rsdp_rewrite_parsed(struct rsdp_parsed *p, const struct rsdp_rewrite *rw, char **out, size_t *out_len)
{
	const struct sockaddr_storage *session_relay;
	sdp_message_t *m = msg_of(p);
	char text[RSDP_MAX_LEN + 1], ip[INET6_ADDRSTRLEN];
	int err = 0;
	int n;

	n = osip_list_size(&m->m_medias);
	if (n > RSDP_MAX_MEDIA) {
		err = -E2BIG;
		goto out;
	}
	strip_attrs(&m->a_attributes, rw, NULL);
	session_relay = first_relay(rw, n);
	if (session_relay && m->c_connection) {
		struct sockaddr_storage cur;
		bool zero;

		conn_addr(m->c_connection, 0, &cur, &zero);
		if (!(zero && rw->keep_zero_addr))
			err = set_conn(m->c_connection, session_relay);
	}
	if (!err && session_relay && rw->replace_origin) {
		ip_text(session_relay, ip, sizeof(ip));
		err = set_str(&m->o_addrtype, addrtype(session_relay));
		if (!err)
			err = set_str(&m->o_addr, ip);
	}
	for (int i = 0; !err && i < n; i++) {
		sdp_media_t *med = media_at(m, i);

		/* a media without its own c= relies on the session one; if there
		 * is none, give it one so the relay address is always named */
		if (rw->port[i] && !m->c_connection && osip_list_size(&med->c_connections) == 0) {
			sdp_connection_t *c = NULL;

			if (sdp_connection_init(&c) || osip_list_add(&med->c_connections, c, -1) < 0) {
				if (c)
					sdp_connection_free(c);
				err = -ENOMEM;
				break;
			}
			err = set_conn(c, &rw->relay[i]);
			if (err)
				break;
		}
		err = rewrite_media(med, rw, i);
	}
	if (!err && rw->loop_marker)
		err = add_attr(&m->a_attributes, RSDP_LOOP_ATTR, rw->loop_marker);
	if (err)
		goto out;
	err = sdp_text(m, text, sizeof(text), out_len);
	if (err)
		goto out;
	*out = malloc(*out_len + 1);
	if (!*out) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(*out, text, *out_len + 1);
out:
	return err;
}

int rsdp_rewrite(const char *sdp, size_t len, const struct rsdp_rewrite *rw, char **out, size_t *out_len)
{
	sdp_message_t *m = NULL;
	int err = load(sdp, len, &m);

	if (err)
		return err;
	err = rsdp_rewrite_parsed((struct rsdp_parsed *)m, rw, out, out_len);
	sdp_message_free(m);
	return err;
}

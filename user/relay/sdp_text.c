// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sdp_text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <osipparser2/osip_list.h>

struct out {
	char *p;
	size_t len, size;
	bool full;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full || n >= o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* prefix, the value, CRLF: one whole line */
static void line(struct out *o, const char *prefix, const char *v)
{
	put(o, prefix);
	put(o, v);
	put(o, "\r\n");
}

/* "key" then ":value" when there is one, as a= and k= lines have it */
static void line_opt(struct out *o, const char *prefix, const char *key, const char *v)
{
	put(o, prefix);
	put(o, key);
	if (v) {
		put(o, ":");
		put(o, v);
	}
	put(o, "\r\n");
}

static int connection(struct out *o, const sdp_connection_t *c)
{
	if (!c->c_nettype || !c->c_addrtype || !c->c_addr)
		return -EBADMSG;
	put(o, "c=");
	put(o, c->c_nettype);
	put(o, " ");
	put(o, c->c_addrtype);
	put(o, " ");
	put(o, c->c_addr);
	if (c->c_addr_multicast_ttl) {
		put(o, "/");
		put(o, c->c_addr_multicast_ttl);
	}
	if (c->c_addr_multicast_int) {
		put(o, "/");
		put(o, c->c_addr_multicast_int);
	}
	put(o, "\r\n");
	return 0;
}

static int bandwidths(struct out *o, osip_list_t *l)
{
	for (int i = 0; !osip_list_eol(l, i); i++) {
		const sdp_bandwidth_t *b = osip_list_get(l, i);

		if (!b->b_bwtype || !b->b_bandwidth)
			return -EBADMSG;
		put(o, "b=");
		put(o, b->b_bwtype);
		put(o, ":");
		put(o, b->b_bandwidth);
		put(o, "\r\n");
	}
	return 0;
}

static int key(struct out *o, const sdp_key_t *k)
{
	if (!k)
		return 0;
	if (!k->k_keytype)
		return -EBADMSG;
	line_opt(o, "k=", k->k_keytype, k->k_keydata);
	return 0;
}

static int attributes(struct out *o, osip_list_t *l)
{
	for (int i = 0; !osip_list_eol(l, i); i++) {
		const sdp_attribute_t *a = osip_list_get(l, i);

		if (!a->a_att_field)
			return -EBADMSG;
		line_opt(o, "a=", a->a_att_field, a->a_att_value);
	}
	return 0;
}

static int times(struct out *o, osip_list_t *l)
{
	for (int i = 0; !osip_list_eol(l, i); i++) {
		sdp_time_descr_t *t = osip_list_get(l, i);

		if (!t->t_start_time || !t->t_stop_time)
			return -EBADMSG;
		put(o, "t=");
		put(o, t->t_start_time);
		put(o, " ");
		put(o, t->t_stop_time);
		put(o, "\r\n");
		for (int k = 0; !osip_list_eol(&t->r_repeats, k); k++)
			line(o, "r=", osip_list_get(&t->r_repeats, k));
	}
	return 0;
}

static int media(struct out *o, sdp_media_t *m)
{
	int err;

	if (!m->m_media || !m->m_port || !m->m_proto)
		return -EBADMSG;
	put(o, "m=");
	put(o, m->m_media);
	put(o, " ");
	put(o, m->m_port);
	if (m->m_number_of_port) {
		put(o, "/");
		put(o, m->m_number_of_port);
	}
	put(o, " ");
	put(o, m->m_proto);
	for (int i = 0; !osip_list_eol(&m->m_payloads, i); i++) {
		put(o, " ");
		put(o, osip_list_get(&m->m_payloads, i));
	}
	put(o, "\r\n");
	if (m->i_info)
		line(o, "i=", m->i_info);
	for (int i = 0; !osip_list_eol(&m->c_connections, i); i++)
		if ((err = connection(o, osip_list_get(&m->c_connections, i))))
			return err;
	if ((err = bandwidths(o, &m->b_bandwidths)) || (err = key(o, m->k_key)))
		return err;
	return attributes(o, &m->a_attributes);
}

int sdp_text(sdp_message_t *m, char *buf, size_t size, size_t *len)
{
	struct out o = { .p = buf, .size = size };
	int err;

	*len = 0;
	if (!size)
		return -E2BIG;
	if (!m->v_version || !m->o_username || !m->o_sess_id || !m->o_sess_version || !m->o_nettype ||
	    !m->o_addrtype || !m->o_addr)
		return -EBADMSG;
	line(&o, "v=", m->v_version);
	put(&o, "o=");
	put(&o, m->o_username);
	put(&o, " ");
	put(&o, m->o_sess_id);
	put(&o, " ");
	put(&o, m->o_sess_version);
	put(&o, " ");
	put(&o, m->o_nettype);
	put(&o, " ");
	put(&o, m->o_addrtype);
	put(&o, " ");
	put(&o, m->o_addr);
	put(&o, "\r\n");
	if (m->s_name)
		line(&o, "s=", m->s_name);
	if (m->i_info)
		line(&o, "i=", m->i_info);
	if (m->u_uri)
		line(&o, "u=", m->u_uri);
	for (int i = 0; !osip_list_eol(&m->e_emails, i); i++)
		line(&o, "e=", osip_list_get(&m->e_emails, i));
	for (int i = 0; !osip_list_eol(&m->p_phones, i); i++)
		line(&o, "p=", osip_list_get(&m->p_phones, i));
	if (m->c_connection && (err = connection(&o, m->c_connection)))
		return err;
	if ((err = bandwidths(&o, &m->b_bandwidths)) || (err = times(&o, &m->t_descrs)))
		return err;
	if (m->z_adjustments)
		line(&o, "z=", m->z_adjustments);
	if ((err = key(&o, m->k_key)) || (err = attributes(&o, &m->a_attributes)))
		return err;
	for (int i = 0; !osip_list_eol(&m->m_medias, i); i++)
		if ((err = media(&o, osip_list_get(&m->m_medias, i))))
			return err;
	if (o.full)
		return -E2BIG;
	buf[o.len] = '\0';
	*len = o.len;
	return 0;
}

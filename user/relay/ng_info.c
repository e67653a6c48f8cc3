// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ng delete, query, list and statistics, in rtpengine's reply formats. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "relay/call_legs.h"
#include "relay/ng_internal.h"
#include "relay/ip_text.h"
#include "sockaddr.h"

static const char *state_name(const struct call *c)
{
	static const char *const names[] = { "offered", "answered", "ended" };

	return names[c->state];
}

static void put_endpoint(struct bencode_buf *out, const char *key, const struct sockaddr_storage *ss)
{
	char ip[64];

	bencode_put_cstr(out, key);
	bencode_put_dict(out);
	bencode_put_kv_str(out, "family", ss->ss_family == AF_INET6 ? "IPv6" : "IPv4");
	bencode_put_kv_str(out, "address", ip_text(ss, ip, sizeof(ip)));
	bencode_put_kv_int(out, "port", sa_port(ss));
	bencode_put_end(out);
}

static void put_stats(struct bencode_buf *out, const char *key, uint64_t packets, uint64_t bytes, bool errors)
{
	bencode_put_cstr(out, key);
	bencode_put_dict(out);
	bencode_put_kv_int(out, "packets", (long long)packets);
	bencode_put_kv_int(out, "bytes", (long long)bytes);
	if (errors) /* always 0: the data plane drops, it does not count errors per stream */
		bencode_put_kv_int(out, "errors", 0);
	bencode_put_end(out);
}

struct totals {
	uint64_t packets[2], bytes[2]; /* [0] RTP, [1] RTCP */
};

/* How much of a call's streams a reply shows (see ng_put_call). */
enum detail { DETAIL_FULL, DETAIL_COMPACT, DETAIL_TOTALS };

/* A side's RTP and RTCP legs (consecutive entries); have[k] says whether
 * leg k was read. */
static void read_legs(struct relay *r, uint32_t first, struct pierce_leg leg[2], bool have[2])
{
	for (int k = 0; k < 2; k++)
		have[k] = !r->dp.leg_get(r->dp.ctx, first + (uint32_t)k, &leg[k]);
}

static void put_stream(struct relay *r, const struct call_media *m, int s, int k, const struct pierce_leg *leg,
		       bool have, enum detail d, struct bencode_buf *out)
{
	uint16_t port = (uint16_t)(m->port[s] + k);
	bool latched = have && (leg->flags & PIERCE_LEG_LATCHED);
	struct sockaddr_storage adv, seen;
	char ip[SA_STR_MAX];

	call_addr_get(&m->dest[s], &adv);
	if (adv.ss_family && k)
		sa_set_port(&adv, m->dest_rtcp[s]);
	if (!latched || pierce_addr_to_sockaddr(&leg->allow, leg->allow_family, leg->allow_port_be, &seen))
		seen = adv; /* nothing learnt: where the relay sends */
	bencode_put_dict(out);
	bencode_put_kv_int(out, "local port", port);
	if (d == DETAIL_FULL) {
		/* not in rtpengine's reply (one address per interface there); with
		 * several relay addresses the port alone does not say where to send */
		bencode_put_kv_str(out, "local address",
				   ip_text(&r->addrs[m->addr[s]].advertised, ip, sizeof(ip)));
		if (adv.ss_family)
			put_endpoint(out, "advertised endpoint", &adv);
	}
	if (seen.ss_family)
		put_endpoint(out, "endpoint", &seen);
	if (have && leg->packets)
		bencode_put_kv_int(out, "last packet", (long long)relay_wallclock(r, leg->last_seen_ns));
	if (d == DETAIL_FULL) {
		bencode_put_cstr(out, "flags");
		bencode_put_list(out);
		bencode_put_cstr(out, k ? "RTCP" : "RTP");
		if (adv.ss_family)
			bencode_put_cstr(out, "filled");
		if (latched)
			bencode_put_cstr(out, "confirmed");
		if (have && (leg->flags & PIERCE_LEG_ACTIVE))
			bencode_put_cstr(out, "kernelized");
		bencode_put_end(out);
	}
	put_stats(out, "stats", have ? leg->packets : 0, have ? leg->bytes : 0, d == DETAIL_FULL);
	bencode_put_end(out);
}

/* Adds the counters of the call's legs to t; with out, also writes side s
 * in the `tags` dictionary (DETAIL_TOTALS: nothing is written). */
static void put_side(struct relay *r, const struct call *c, int s, enum detail d, struct bencode_buf *out,
		     struct totals *t)
{
	bool show = d != DETAIL_TOTALS;

	if (show) {
		bencode_put_cstr(out, call_tag(c, s));
		bencode_put_dict(out);
		bencode_put_kv_str(out, "tag", call_tag(c, s));
		bencode_put_kv_int(out, "created", (long long)relay_wallclock(r, c->created_ns));
		if (call_tag(c, 1 - s)[0])
			bencode_put_kv_str(out, "in dialogue with", call_tag(c, 1 - s));
		bencode_put_cstr(out, "medias");
		bencode_put_list(out);
	}
	for (unsigned i = 0; i < c->n_media; i++) {
		const struct call_media *m = &c->media[i];
		bool streams = m->port[s] && c->state != CALL_ENDED;
		struct pierce_leg leg[2];
		bool have[2] = { false, false };

		if (streams)
			read_legs(r, relay_leg_index(r, m->addr[s], m->port[s]), leg, have);
		for (int k = 0; k < 2; k++) {
			if (have[k]) {
				t->packets[k] += leg[k].packets;
				t->bytes[k] += leg[k].bytes;
			}
		}
		if (!show)
			continue;
		bencode_put_dict(out);
		bencode_put_kv_int(out, "index", i + 1);
		bencode_put_kv_str(out, "type", m->type);
		bencode_put_kv_str(out, "protocol", m->proto);
		if (d == DETAIL_FULL) {
			bencode_put_cstr(out, "flags");
			bencode_put_list(out);
			if (m->port[s])
				bencode_put_cstr(out, "initialized");
			bencode_put_end(out);
		}
		bencode_put_cstr(out, "streams");
		bencode_put_list(out);
		for (int k = 0; k < 2 && streams; k++)
			put_stream(r, m, s, k, &leg[k], have[k], d, out);
		bencode_put_end(out);
		bencode_put_end(out);
	}
	if (show) {
		bencode_put_end(out);
		bencode_put_end(out);
	}
}

static bool side_shown(const struct call *c, int s)
{
	return s == 0 || call_tag(c, 1)[0] || c->state == CALL_OFFERED;
}

static void put_call(struct relay *r, const struct call *c, enum detail d, struct bencode_buf *out)
{
	struct totals t;

	memset(&t, 0, sizeof(t));
	bencode_put_kv_int(out, "created", (long long)relay_wallclock(r, c->created_ns));
	bencode_put_kv_int(out, "last signal", (long long)relay_wallclock(r, c->last_signal_ns));
	bencode_put_kv_str(out, "state", state_name(c));
	if (c->state == CALL_ENDED)
		bencode_put_kv_str(out, "end reason", call_end_name(c->end_reason));
	if (d != DETAIL_TOTALS) {
		bencode_put_cstr(out, "tags");
		bencode_put_dict(out);
	}
	for (int s = 0; s < 2; s++)
		if (side_shown(c, s))
			put_side(r, c, s, d, out, &t);
	if (d != DETAIL_TOTALS)
		bencode_put_end(out);
	bencode_put_cstr(out, "totals");
	bencode_put_dict(out);
	put_stats(out, "RTP", t.packets[0], t.bytes[0], true);
	put_stats(out, "RTCP", t.packets[1], t.bytes[1], true);
	bencode_put_end(out);
}

void ng_put_call(struct relay *r, const struct call *c, struct bencode_buf *out)
{
	put_call(r, c, DETAIL_FULL, out);
}

/* The statistics of a deleted call: those Kamailio and OpenSIPS read (the
 * tags with their media and each stream's port, endpoint and counters,
 * and the totals) in one packet. A call whose streams do not fit gets the
 * totals alone. Query has the full details. */
static void put_deleted_call(struct relay *r, const struct call *c, struct bencode_buf *out)
{
	size_t mark = out->len;

	put_call(r, c, DETAIL_COMPACT, out);
	if (!out->err && out->len <= NG_REPLY_PACKET - NG_RESULT_ROOM)
		return;
	bencode_buf_truncate(out, mark);
	put_call(r, c, DETAIL_TOTALS, out);
}

static struct call *find_or_err(struct relay *r, const struct ng_req *q, char *err)
{
	struct call *c;

	if (!q->call_id[0]) {
		snprintf(err, NG_ERR_MAX, "No call-id in message");
		return NULL;
	}
	c = call_find(&r->calls, q->call_id);
	if (!c)
		snprintf(err, NG_ERR_MAX, "Unknown call-id");
	return c;
}

enum ng_outcome ng_delete(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	struct call *c = find_or_err(r, q, err);
	uint64_t delay;

	if (!c) {
		if (!q->call_id[0] || q->fatal)
			return NG_ERROR;
		bencode_put_kv_str(out, "warning", "Call-ID not found or tags didn't match");
		return NG_OK;
	}
	put_deleted_call(r, c, out);
	if (c->state == CALL_ENDED) /* already timed out: the record just goes */
		return NG_OK;
	delay = q->delete_delay >= 0 ? (uint64_t)q->delete_delay : r->set.delete_delay_s;
	if (delay == 0) {
		relay_call_end(r, c, CALL_END_DELETED, now_ns);
		call_remove(&r->calls, c);
	} else if (!c->remove_at_ns) {
		/* media keeps flowing until the delay passes (a late BYE retransmission, a 200 to BYE) */
		c->remove_at_ns = now_ns + delay * NS_PER_SEC;
		call_sched_sooner(&r->calls.sched, c, c->remove_at_ns);
	}
	return NG_OK;
}

enum ng_outcome ng_query(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	struct call *c = find_or_err(r, q, err);

	if (!c)
		return NG_ERROR;
	ng_put_call(r, c, out);
	return NG_OK;
}

enum ng_outcome ng_list(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	long long n = 0;

	bencode_put_cstr(out, "calls");
	bencode_put_list(out);
	for (struct call *c = r->calls.head; c && n < q->limit; c = c->next, n++)
		bencode_put_cstr(out, c->call_id);
	bencode_put_end(out);
	return NG_OK;
}

enum ng_outcome ng_statistics(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	struct pierce_stats st;
	uint64_t relayed = 0, errors = 0, ng_errors = 0;
	char uptime[24];

	if (r->dp.stats && !r->dp.stats(r->dp.ctx, &st)) {
		relayed = st.packets[PIERCE_R_FWD_TX] + st.packets[PIERCE_R_FWD_REDIRECT];
		errors = st.packets[PIERCE_R_DROP_SRC] + st.packets[PIERCE_R_DROP_MALFORMED] +
			 st.packets[PIERCE_R_DROP_INACTIVE];
	}
	for (unsigned i = 0; i < PIERCE_R__COUNT; i++)
		relayed += r->cnt.slow_forwarded[i];
	snprintf(uptime, sizeof(uptime), "%llu", (unsigned long long)((now_ns - r->started_ns) / NS_PER_SEC));
	bencode_put_cstr(out, "statistics");
	bencode_put_dict(out);
	bencode_put_cstr(out, "currentstatistics");
	bencode_put_dict(out);
	bencode_put_kv_int(out, "sessionsown", r->calls.active);
	bencode_put_kv_int(out, "sessionsforeign", 0);
	bencode_put_kv_int(out, "sessionstotal", r->calls.active);
	bencode_put_kv_int(out, "portsinuse", relay_pairs_used(r) * 2);
	bencode_put_end(out);
	bencode_put_cstr(out, "totalstatistics");
	bencode_put_dict(out);
	bencode_put_kv_str(out, "uptime", uptime);
	bencode_put_kv_int(out, "managedsessions", (long long)r->cnt.calls_created);
	bencode_put_kv_int(out, "rejectedsessions", (long long)r->cnt.calls_rejected);
	bencode_put_kv_int(out, "timeoutsessions", (long long)r->cnt.ended[CALL_END_TIMEOUT]);
	bencode_put_kv_int(out, "silenttimeoutsessions", (long long)r->cnt.ended[CALL_END_SILENT_TIMEOUT]);
	bencode_put_kv_int(out, "finaltimeoutsessions", (long long)r->cnt.ended[CALL_END_FINAL_TIMEOUT]);
	bencode_put_kv_int(out, "regularterminatedsessions", (long long)r->cnt.ended[CALL_END_DELETED]);
	bencode_put_kv_int(out, "relayedpackets", (long long)relayed);
	bencode_put_kv_int(out, "relayedpacketerrors", (long long)errors);
	bencode_put_end(out);
	bencode_put_cstr(out, "controlstatistics");
	bencode_put_dict(out);
	for (unsigned cmd = 0; cmd < NG_CMD_UNKNOWN; cmd++) {
		char key[40];
		uint64_t n = 0;

		for (unsigned o = 0; o < NG_OUTCOME__COUNT; o++)
			n += r->cnt.ng[cmd][o];
		snprintf(key, sizeof(key), "total%scount", ng_cmd_name((enum ng_cmd)cmd));
		bencode_put_kv_int(out, key, (long long)n);
	}
	for (unsigned cmd = 0; cmd < NG_CMD__COUNT; cmd++)
		ng_errors += r->cnt.ng[cmd][NG_ERROR];
	bencode_put_kv_int(out, "totalerrorcount", (long long)ng_errors);
	bencode_put_end(out);
	bencode_put_end(out);
	return NG_OK;
}

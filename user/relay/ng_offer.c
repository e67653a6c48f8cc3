// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ng offer and answer: ports for each m= line, the legs, the rewritten SDP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay/call_legs.h"
#include "relay/ng_internal.h"
#include "sockaddr.h"

/* A NUL-terminated copy cut to size (snprintf "%s" costs a format parse per call). */
static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The relay address to show a side of the given family: of those, the one
 * with the most free ports (calls spread over every address), else the
 * first address at all. */
static uint8_t pick_addr(const struct relay *r, sa_family_t family)
{
	unsigned best = 0;
	bool found = false;

	for (unsigned i = 0; i < r->n_addrs; i++) {
		if (r->addrs[i].local.ss_family != family)
			continue;
		if (!found || r->ports[i].n_free > r->ports[best].n_free)
			best = i;
		found = true;
	}
	return (uint8_t)best;
}

/* Where to send to a side and which source to accept from it, following
 * the flags: media address > SIP source (with SIP-source-address) > SDP.
 * The allowed source is received-from unless trust-address says the SDP
 * is right; a side with no known address latches its first packet. A side
 * described here is no longer closed (see call_media.closed). */
static void side_addresses(const struct ng_req *q, const struct rsdp_media *sm, struct call_media *m, int s)
{
	struct sockaddr_storage sdp = sm->addr, dest, allow;
	bool sdp_ok = sdp.ss_family && !sm->zero_addr;

	memset(&dest, 0, sizeof(dest));
	memset(&allow, 0, sizeof(allow));
	m->closed[s] = false;
	if (q->media_address.ss_family) {
		dest = q->media_address;
		sa_set_port(&dest, sm->port);
		allow = q->media_address;
	} else if (q->sip_source && q->received_from.ss_family) {
		dest = q->received_from;
		sa_set_port(&dest, sm->port);
		allow = q->received_from;
	} else {
		if (sdp_ok)
			dest = sdp;
		if (q->received_from.ss_family && !q->trust_address)
			allow = q->received_from;
		else if (sdp_ok)
			allow = sdp;
	}
	if (allow.ss_family)
		sa_set_port(&allow, 0);
	call_addr_set(&m->dest[s], &dest);
	call_addr_set(&m->allow[s], &allow);
	m->dest_rtcp[s] = sm->rtcp_mux ? sm->port : sm->rtcp_port;
}

static int alloc_port(struct relay *r, uint8_t addr, uint16_t *port, char *err)
{
	int p;

	if (*port)
		return 0;
	p = port_pool_alloc(&r->ports[addr]);
	if (p < 0) {
		snprintf(err, NG_ERR_MAX, "Ran out of ports");
		return p;
	}
	*port = (uint16_t)p;
	return 0;
}

static uint8_t policy_of(const struct ng_req *q)
{
	if (q->asymmetric)
		return PIERCE_SRC_TRUST;
	if (q->media_handover)
		return PIERCE_SRC_RELATCH;
	return PIERCE_SRC_STRICT;
}

/* Rewrites q->sdp for side `to`, which will send to port[to]. */
static int rewrite_for(struct relay *r, const struct ng_req *q, const struct rsdp_info *info,
		       struct rsdp_parsed *parsed, const struct call *c, int to, struct bencode_buf *out, char *err)
{
	struct rsdp_rewrite rw = {
		.remove_ice = q->ice_remove,
		.replace_origin = q->replace_origin,
		.no_rtcp_attr = q->no_rtcp_attr,
		.keep_zero_addr = true,
		.rtcp_mux = q->rtcp_mux,
		.loop_marker = q->loop_protect ? "1" : NULL,
	};
	char *sdp = NULL;
	size_t len;
	int rc;

	for (unsigned i = 0; i < c->n_media; i++) {
		const struct call_media *m = &c->media[i];

		rw.relay[i] = r->addrs[m->addr[to]].advertised;
		rw.port[i] = (m->disabled || i >= info->n_media || !info->media[i].port) ? 0 : m->port[to];
	}
	rc = rsdp_rewrite_parsed(parsed, &rw, &sdp, &len);
	if (rc) {
		snprintf(err, NG_ERR_MAX, "Failed to rewrite SDP: %s", strerror(-rc));
		return rc;
	}
	bencode_put_cstr(out, "sdp");
	bencode_put_str(out, sdp, len);
	free(sdp);
	return 0;
}

/* Parses the request's SDP once: *parsed (NULL on error) is for the
 * rewrite, and the caller frees it. */
static int inspect(const struct ng_req *q, struct rsdp_info *info, struct rsdp_parsed **parsed, char *err)
{
	int rc;

	*parsed = NULL;
	if (!q->call_id[0] || !q->from_tag[0] || !q->sdp) {
		snprintf(err, NG_ERR_MAX, "No %s in message", !q->call_id[0] ? "call-id" : !q->from_tag[0] ? "from-tag" : "sdp");
		return -EINVAL;
	}
	rc = rsdp_inspect_keep(q->sdp, q->sdp_len, info, parsed);
	if (rc)
		snprintf(err, NG_ERR_MAX, "Failed to parse SDP%s", rc == -E2BIG ? ": too large or too many media" : "");
	return rc;
}

static enum ng_outcome offer(struct relay *r, struct ng_req *q, const struct rsdp_info *info,
			     struct rsdp_parsed *parsed, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	struct call *c;
	unsigned old_n;
	bool created = false;
	int s, o, rc;

	if (q->loop_protect && info->loop_marker) {
		bencode_put_cstr(out, "sdp"); /* already relayed by us: pass it through */
		bencode_put_str(out, q->sdp, q->sdp_len);
		return NG_OK;
	}
	c = call_find(&r->calls, q->call_id);
	if (c && c->state == CALL_ENDED) { /* a timed-out or deleted call starting over */
		call_remove(&r->calls, c);
		c = NULL;
	}
	if (!c) {
		if (r->set.max_sessions && r->calls.active >= r->set.max_sessions) {
			r->cnt.calls_rejected++;
			snprintf(err, NG_ERR_MAX, "Parallel session limit reached");
			return q->load_limit ? NG_LOAD_LIMIT : NG_ERROR;
		}
		rc = call_add(&r->calls, q->call_id, now_ns, &c);
		if (rc) {
			snprintf(err, NG_ERR_MAX, "Cannot create call: %s", strerror(-rc));
			return NG_ERROR;
		}
		created = true;
		rc = call_set_tag(c, 0, q->from_tag);
		if (rc) {
			call_remove(&r->calls, c);
			snprintf(err, NG_ERR_MAX, "Cannot create call: %s", strerror(-rc));
			return NG_ERROR;
		}
	}
	s = call_side_of(c, q->from_tag);
	if (s < 0) {
		if (c->state == CALL_OFFERED) { /* the offerer changed its tag before any answer */
			if (call_set_tag(c, 0, q->from_tag)) {
				snprintf(err, NG_ERR_MAX, "Out of memory");
				return NG_ERROR;
			}
			s = 0;
		} else {
			snprintf(err, NG_ERR_MAX, "Unknown from-tag for this call");
			return NG_ERROR;
		}
	}
	o = 1 - s;
	old_n = c->n_media;
	if (call_media_reserve(c, info->n_media)) {
		snprintf(err, NG_ERR_MAX, "Cannot create call: out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < info->n_media; i++) {
		const struct rsdp_media *sm = &info->media[i];
		struct call_media *m = &c->media[i];
		bool fresh = !m->port[s];

		copy_name(m->type, sizeof(m->type), sm->type);
		copy_name(m->proto, sizeof(m->proto), sm->proto);
		m->disabled = sm->port == 0;
		if (m->disabled)
			continue; /* a re-offer may disable a stream; its ports stay booked for the call */
		side_addresses(q, sm, m, s);
		if (fresh && !m->port[o])
			m->closed[o] = true; /* until the other side answers */
		if (fresh) {
			m->addr[s] = pick_addr(r, sm->addr.ss_family ? sm->addr.ss_family : AF_INET);
			m->addr[o] = pick_addr(r, q->family ? q->family : r->addrs[m->addr[s]].local.ss_family);
		}
		if (alloc_port(r, m->addr[s], &m->port[s], err) || alloc_port(r, m->addr[o], &m->port[o], err))
			goto fail;
	}
	if (info->n_media < old_n)
		call_release_media(r, c, info->n_media);
	c->n_media = info->n_media;
	c->policy = policy_of(q);
	if (q->tos >= 0)
		c->tos = q->tos;
	else if (created)
		c->tos = r->set.tos;
	c->last_signal_ns = now_ns;
	if (rewrite_for(r, q, info, parsed, c, o, out, err))
		goto fail;
	if (call_legs_install(r, c, false)) {
		snprintf(err, NG_ERR_MAX, "Data plane update failed");
		goto fail;
	}
	if (created)
		r->cnt.calls_created++;
	log_debug("offer %s: %u media", c->call_id, c->n_media);
	return NG_OK;
fail:
	if (created) {
		call_teardown(r, c);
		call_remove(&r->calls, c);
	} else if (c->n_media < info->n_media) {
		call_release_media(r, c, c->n_media); /* only what this offer added */
	}
	return NG_ERROR;
}


static enum ng_outcome answer(struct relay *r, struct ng_req *q, const struct rsdp_info *info,
			      struct rsdp_parsed *parsed, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	struct call *c;
	bool first_answer;
	int offerer, a;

	if (!q->to_tag[0]) {
		snprintf(err, NG_ERR_MAX, "No to-tag in message");
		return NG_ERROR;
	}
	c = call_find(&r->calls, q->call_id);
	if (!c || c->state == CALL_ENDED) {
		snprintf(err, NG_ERR_MAX, "Unknown call-id");
		return NG_ERROR;
	}
	offerer = call_side_of(c, q->from_tag);
	if (offerer < 0) {
		snprintf(err, NG_ERR_MAX, "Unknown from-tag");
		return NG_ERROR;
	}
	a = 1 - offerer;
	/* a different to-tag is another fork answering: it takes the side over */
	if (call_set_tag(c, a, q->to_tag)) {
		snprintf(err, NG_ERR_MAX, "Out of memory");
		return NG_ERROR;
	}
	if (info->n_media > c->n_media) {
		snprintf(err, NG_ERR_MAX, "Answer has more media than the offer");
		return NG_ERROR;
	}
	for (unsigned i = 0; i < info->n_media; i++) {
		struct call_media *m = &c->media[i];

		if (m->disabled)
			continue;
		if (info->media[i].port == 0) { /* rejected by the answerer: nobody may use its port */
			memset(&m->dest[a], 0, sizeof(m->dest[a]));
			m->closed[a] = true;
			continue;
		}
		side_addresses(q, &info->media[i], m, a);
	}
	first_answer = c->state == CALL_OFFERED;
	c->state = CALL_ANSWERED;
	c->last_signal_ns = now_ns;
	if (q->tos >= 0)
		c->tos = q->tos;
	if (rewrite_for(r, q, info, parsed, c, offerer, out, err))
		return NG_ERROR;
	/* Before the first answer no leg has counted a packet (the callee's are
	 * closed, the caller's have nowhere to send), so the legs may be
	 * written from scratch. */
	if (call_legs_install(r, c, first_answer)) {
		snprintf(err, NG_ERR_MAX, "Data plane update failed");
		return NG_ERROR;
	}
	return NG_OK;
}

typedef enum ng_outcome (*sdp_handler)(struct relay *r, struct ng_req *q, const struct rsdp_info *info,
				       struct rsdp_parsed *parsed, uint64_t now_ns, struct bencode_buf *out, char *err);

/* Runs fn with the request's SDP parsed (once) and frees the parse after. */
static enum ng_outcome with_sdp(sdp_handler fn, struct relay *r, struct ng_req *q, uint64_t now_ns,
				struct bencode_buf *out, char *err)
{
	struct rsdp_parsed *parsed;
	struct rsdp_info info;
	enum ng_outcome o = NG_ERROR;

	if (!inspect(q, &info, &parsed, err))
		o = fn(r, q, &info, parsed, now_ns, out, err);
	rsdp_parsed_free(parsed);
	return o;
}

enum ng_outcome ng_offer(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	return with_sdp(offer, r, q, now_ns, out, err);
}

enum ng_outcome ng_answer(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	return with_sdp(answer, r, q, now_ns, out, err);
}

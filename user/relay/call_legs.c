// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "call_legs.h"

#include <arpa/inet.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "log.h"

uint32_t relay_leg_index(const struct relay *r, unsigned addr, uint16_t port)
{
	return r->addrs[addr].slot * r->port_count + (uint32_t)(port - r->port_min);
}

void call_leg_build(const struct relay *r, const struct call *c, const struct call_media *m, int s, bool rtcp,
		    struct pierce_leg *leg)
{
	int o = 1 - s;
	uint16_t k = rtcp ? 1 : 0;
	uint8_t fam;

	memset(leg, 0, sizeof(*leg));
	leg->flags = PIERCE_LEG_ACTIVE | PIERCE_LEG_HAS_PEER;
	leg->policy = c->policy;
	leg->peer_index = relay_leg_index(r, m->addr[o], (uint16_t)(m->port[o] + k));
	pierce_addr_from_sockaddr(&r->addrs[m->addr[o]].local, &leg->src, &fam, NULL);
	leg->src_port_be = htons((uint16_t)(m->port[o] + k));
	if (m->dest[o].family) {
		struct sockaddr_storage d;
		uint16_t port = rtcp ? m->dest_rtcp[o] : 0;

		call_addr_get(&m->dest[o], &d);

		pierce_addr_from_sockaddr(&d, &leg->dst, &leg->dst_family, &leg->dst_port_be);
		if (rtcp)
			leg->dst_port_be = htons(port);
		if (leg->dst_port_be)
			leg->flags |= PIERCE_LEG_HAS_DEST;
	}
	if (m->closed[s]) {
		/* strict, with no allowed family: the program refuses every source
		 * and counts the packet as drop_src_mismatch */
		leg->policy = PIERCE_SRC_STRICT;
		leg->allow_family = PIERCE_AF_NONE;
	} else if (m->allow[s].family) {
		struct sockaddr_storage a;

		call_addr_get(&m->allow[s], &a);
		pierce_addr_from_sockaddr(&a, &leg->allow, &leg->allow_family, NULL);
	} else {
		leg->flags |= PIERCE_LEG_ANY_SRC;
	}
	leg->allow_port_be = 0; /* any port until latched */
	if (!rtcp) /* the RTCP leg is the next port's: narrowed when this one latches */
		leg->flags |= PIERCE_LEG_RTCP_NEXT;
	if (c->tos >= 0) {
		leg->flags |= PIERCE_LEG_SET_DSCP;
		leg->dscp = (uint8_t)((c->tos >> 2) & 0x3f);
	}
}

#define CALL_LEGS_MAX (RSDP_MAX_MEDIA * 4)

/* True when the installed leg cur already narrowed what the rebuilt leg
 * allows: the same allowed IP (or the rebuilt leg knows none), same policy. */
static bool narrower(const struct pierce_leg *cur, const struct pierce_leg *leg)
{
	if (!(cur->flags & PIERCE_LEG_ACTIVE) || cur->policy != leg->policy || cur->peer_index != leg->peer_index ||
	    cur->allow_family == PIERCE_AF_NONE || leg->policy == PIERCE_SRC_TRUST)
		return false;
	if (!(cur->flags & PIERCE_LEG_LATCHED) && (cur->flags & PIERCE_LEG_ANY_SRC))
		return false; /* nothing learnt yet */
	if (leg->flags & PIERCE_LEG_ANY_SRC)
		return true;
	return leg->allow_family == cur->allow_family && !memcmp(&leg->allow, &cur->allow, sizeof(leg->allow));
}

/* A re-install (answer, re-offer) that brings the same allowed address keeps
 * what the program learnt: the latch (exact source, LATCHED) or an RTCP
 * leg's narrowing, and the opposite leg (peer) keeps sending to the latched
 * source. Rewriting them from the SDP would reopen the leg to anyone. */
static void keep_learnt(const struct pierce_leg *cur, struct pierce_leg *leg, struct pierce_leg *peer)
{
	const uint8_t learnt = PIERCE_LEG_LATCHED | PIERCE_LEG_ANY_SRC;

	if (!narrower(cur, leg))
		return;
	leg->allow = cur->allow;
	leg->allow_family = cur->allow_family;
	leg->allow_port_be = cur->allow_port_be;
	leg->flags = (uint8_t)((leg->flags & ~learnt) | (cur->flags & learnt));
	if (!(cur->flags & PIERCE_LEG_LATCHED) || !peer)
		return;
	peer->dst = cur->allow;
	peer->dst_family = cur->allow_family;
	peer->dst_port_be = cur->allow_port_be;
	peer->flags |= PIERCE_LEG_HAS_DEST;
}

/* A side's RTP and RTCP legs as installed. */
static int read_side(struct relay *r, uint32_t first, struct pierce_leg cur[2])
{
	int err = r->dp.leg_get(r->dp.ctx, first, &cur[0]);

	return err ? err : r->dp.leg_get(r->dp.ctx, first + 1, &cur[1]);
}

/* legs[i] at index[i] were built from the call: each media's four legs in
 * the order side 0 RTP, RTCP, side 1 RTP, RTCP (a leg's peer is two places
 * away); media[g] is group g's media. What the installed legs learnt is kept;
 * a side installed closed last time has learnt nothing and is not read. */
static int keep_latches(struct relay *r, struct call_media *const *media, const uint32_t *index,
			struct pierce_leg *legs, unsigned n)
{
	struct pierce_leg cur[2];

	if (!r->dp.leg_get)
		return 0;
	for (unsigned i = 0; i < n; i += 2) {
		int err;

		if (media[i / 4]->legs_closed[(i % 4) / 2])
			continue;
		err = read_side(r, index[i], cur);
		if (err)
			return err;
		for (unsigned k = 0; k < 2; k++) {
			unsigned peer = ((i + k) % 4) < 2 ? i + k + 2 : i + k - 2;

			keep_learnt(&cur[k], &legs[i + k], legs[peer].peer_index == index[i + k] ? &legs[peer] : NULL);
		}
	}
	return 0;
}

/* Whole entries at once where the data plane can, else one by one. */
static int write_fresh(struct relay *r, const uint32_t *index, const struct pierce_leg *legs, unsigned n)
{
	int err = 0;

	if (!n)
		return 0;
	if (r->dp.legs_write)
		return r->dp.legs_write(r->dp.ctx, index, legs, n);
	for (unsigned i = 0; i < n && !err; i++)
		err = (legs[i].flags & PIERCE_LEG_ACTIVE) ? r->dp.leg_set(r->dp.ctx, index[i], &legs[i], true)
							   : r->dp.leg_clear(r->dp.ctx, index[i]);
	return err;
}

int call_legs_install(struct relay *r, struct call *c, bool reset)
{
	struct pierce_leg legs[CALL_LEGS_MAX];
	struct call_media *media[RSDP_MAX_MEDIA];
	uint32_t index[CALL_LEGS_MAX];
	unsigned n = 0;
	int err = 0;

	reset = reset || !c->legs_installed;
	for (unsigned i = 0; i < c->n_media; i++) {
		struct call_media *m = &c->media[i];

		if (m->disabled || !m->port[0] || !m->port[1])
			continue;
		media[n / 4] = m;
		for (int s = 0; s < 2; s++) {
			for (int k = 0; k < 2; k++) {
				call_leg_build(r, c, m, s, k, &legs[n]);
				index[n++] = relay_leg_index(r, m->addr[s], (uint16_t)(m->port[s] + k));
			}
		}
	}
	if (c->legs_installed)
		err = keep_latches(r, media, index, legs, n);
	if (reset && n && !err)
		err = write_fresh(r, index, legs, n);
	for (unsigned i = 0; i < n && !reset && !err; i++)
		err = r->dp.leg_set(r->dp.ctx, index[i], &legs[i], false);
	if (err) {
		log_err("call %s: writing legs failed: %s", c->call_id, strerror(-err));
	} else {
		c->legs_installed = true;
		for (unsigned g = 0; g < n / 4; g++)
			for (int s = 0; s < 2; s++)
				media[g]->legs_closed[s] = media[g]->closed[s];
	}
	r->state_dirty = true;
	return err;
}

/* Releases media m's ports and queues its legs for clearing. */
static void release_media(struct relay *r, struct call_media *m, uint32_t *index, unsigned *n)
{
	for (int s = 0; s < 2; s++) {
		if (!m->port[s])
			continue;
		for (int k = 0; k < 2; k++)
			index[(*n)++] = relay_leg_index(r, m->addr[s], (uint16_t)(m->port[s] + k));
		port_pool_release(&r->ports[m->addr[s]], m->port[s]);
		m->port[s] = 0;
	}
}

void call_release_media(struct relay *r, struct call *c, unsigned from)
{
	static const struct pierce_leg zero[CALL_LEGS_MAX];
	uint32_t index[CALL_LEGS_MAX];
	unsigned n = 0;
	int err;

	for (unsigned i = from; i < c->media_cap; i++)
		release_media(r, &c->media[i], index, &n);
	err = write_fresh(r, index, zero, n);
	if (err) /* the ports are free again all the same: the next call on them rewrites the legs */
		log_warn("call %s: clearing legs failed: %s", c->call_id, strerror(-err));
	r->state_dirty = true;
}

void call_teardown(struct relay *r, struct call *c)
{
	call_release_media(r, c, 0);
	c->legs_installed = false;
}

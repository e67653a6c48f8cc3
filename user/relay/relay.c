// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "relay.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "relay/call_legs.h"

#define COOKIE_CACHE_ENTRIES 8192
#define COOKIE_CACHE_TTL_NS (30 * NS_PER_SEC)

int relay_init(struct relay *r, const struct relay_addr *addrs, unsigned n_addrs, uint16_t port_min,
	       uint32_t port_count, const struct relay_settings *set, const struct relay_dp_ops *dp, uint64_t now_ns)
{
	uint32_t port_max = (uint32_t)port_min + port_count - 1;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!n_addrs || n_addrs > PIERCE_MAX_ADDRS || !port_count || port_max > 65535)
		return -EINVAL;
	memcpy(r->addrs, addrs, n_addrs * sizeof(*addrs));
	r->n_addrs = n_addrs;
	r->port_min = port_min;
	r->port_count = port_count;
	r->set = *set;
	r->dp = *dp;
	r->started_ns = now_ns;
	for (unsigned i = 0; i < n_addrs && !err; i++)
		err = port_pool_init(&r->ports[i], port_min, (uint16_t)port_max, 0);
	if (!err)
		err = call_table_init(&r->calls, port_count / 2);
	if (!err)
		err = cookie_cache_init(&r->cookies, COOKIE_CACHE_ENTRIES, COOKIE_CACHE_TTL_NS);
	if (err)
		relay_free(r);
	return err;
}

void relay_free(struct relay *r)
{
	if (r->calls.buckets)
		call_table_free(&r->calls);
	for (unsigned i = 0; i < PIERCE_MAX_ADDRS; i++)
		port_pool_free(&r->ports[i]);
	cookie_cache_free(&r->cookies);
}

uint32_t relay_pairs_used(const struct relay *r)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < r->n_addrs; i++)
		n += port_pool_used(&r->ports[i]);
	return n;
}

uint32_t relay_pairs_total(const struct relay *r)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < r->n_addrs; i++)
		n += r->ports[i].n_pairs;
	return n;
}

uint64_t relay_wallclock(const struct relay *r, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)(mono_ns / NS_PER_SEC) + r->real_minus_mono_s);
}

/* The newest packet on any leg of the call (0: none yet). */
static uint64_t call_last_packet_ns(struct relay *r, const struct call *c)
{
	uint64_t last = 0;

	for (unsigned i = 0; i < c->n_media; i++) {
		const struct call_media *m = &c->media[i];

		for (int s = 0; s < 2; s++) {
			for (int k = 0; k < 2 && m->port[s]; k++) {
				struct pierce_leg leg;

				if (r->dp.leg_get(r->dp.ctx, relay_leg_index(r, m->addr[s], (uint16_t)(m->port[s] + k)),
						  &leg))
					continue;
				if (leg.packets && leg.last_seen_ns > last)
					last = leg.last_seen_ns;
			}
		}
	}
	return last;
}

static void call_end(struct relay *r, struct call *c, enum call_end why, uint64_t now_ns)
{
	if (why != CALL_END_DELETED)
		log_info("call %s: %s after %llu s, ports freed", c->call_id, call_end_name(why),
			 (unsigned long long)((now_ns - c->created_ns) / NS_PER_SEC));
	call_teardown(r, c);
	if (c->state != CALL_ENDED)
		r->calls.active--;
	c->state = CALL_ENDED;
	c->end_reason = why;
	c->ended_ns = now_ns;
	/* kept for query/list until the delete delay passes */
	c->remove_at_ns = now_ns + (uint64_t)r->set.delete_delay_s * NS_PER_SEC;
	/* not before the next tick: a timed-out call stays visible for a moment
	 * even with no delete delay */
	call_sched_set(&r->calls.sched, c, c->remove_at_ns > now_ns ? c->remove_at_ns : now_ns + 1);
	r->cnt.ended[why]++;
	r->state_dirty = true;
}

/* Why the call is over at now_ns, if it is. `last` is its newest packet (0: none). */
static bool timed_out(const struct relay *r, const struct call *c, uint64_t last, uint64_t now_ns,
		      enum call_end *why)
{
	uint64_t since_signal = now_ns - c->last_signal_ns;

	if (r->set.final_timeout_s && now_ns - c->created_ns >= (uint64_t)r->set.final_timeout_s * NS_PER_SEC) {
		*why = CALL_END_FINAL_TIMEOUT;
		return true;
	}
	if (last) {
		/* a leg's clock is the kernel's monotonic clock, as ours */
		if (r->set.timeout_s && now_ns > last && now_ns - last >= (uint64_t)r->set.timeout_s * NS_PER_SEC &&
		    since_signal >= (uint64_t)r->set.timeout_s * NS_PER_SEC) {
			*why = CALL_END_TIMEOUT;
			return true;
		}
		return false;
	}
	if (r->set.silent_timeout_s && since_signal >= (uint64_t)r->set.silent_timeout_s * NS_PER_SEC) {
		*why = CALL_END_SILENT_TIMEOUT;
		return true;
	}
	return false;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The earliest time timed_out() could say yes, given what is known now.
 * Packets only ever push it later; a call with no packet yet is looked at
 * again after the media timeout, so media that starts and stops meanwhile
 * is still timed out on time. */
static uint64_t next_check(const struct relay *r, const struct call *c, uint64_t last, uint64_t now_ns)
{
	uint64_t t = (uint64_t)r->set.timeout_s * NS_PER_SEC;
	uint64_t at = UINT64_MAX;

	if (c->remove_at_ns)
		return c->remove_at_ns;
	if (r->set.final_timeout_s)
		at = c->created_ns + (uint64_t)r->set.final_timeout_s * NS_PER_SEC;
	if (last && t)
		at = min_u64(at, (last > c->last_signal_ns ? last : c->last_signal_ns) + t);
	if (!last && t)
		at = min_u64(at, now_ns + t);
	if (!last && r->set.silent_timeout_s)
		at = min_u64(at, c->last_signal_ns + (uint64_t)r->set.silent_timeout_s * NS_PER_SEC);
	return at > now_ns ? at : now_ns + 1;
}

/* One due call: removed, ended, or scheduled again. */
static void check_call(struct relay *r, struct call *c, uint64_t now_ns)
{
	uint64_t last = 0;
	enum call_end why;

	if (c->remove_at_ns && now_ns >= c->remove_at_ns) {
		if (c->state != CALL_ENDED)
			call_end(r, c, CALL_END_DELETED, now_ns);
		call_remove(&r->calls, c);
		r->state_dirty = true;
		return;
	}
	if (c->state != CALL_ENDED && !c->remove_at_ns) {
		last = call_last_packet_ns(r, c);
		r->cnt.timeout_checks++;
		if (timed_out(r, c, last, now_ns, &why)) {
			call_end(r, c, why, now_ns); /* schedules the removal */
			return;
		}
	}
	call_sched_set(&r->calls.sched, c, next_check(r, c, last, now_ns)); /* in the heap: cannot fail */
}

void relay_tick(struct relay *r, uint64_t now_ns)
{
	struct call *c;

	while ((c = call_sched_due(&r->calls.sched, now_ns)))
		check_call(r, c, now_ns);
}

void relay_recheck_all(struct relay *r, uint64_t now_ns)
{
	/* every key equal: still a heap */
	for (uint32_t i = 0; i < r->calls.sched.n; i++)
		r->calls.sched.heap[i]->check_at_ns = now_ns;
}

void relay_call_end(struct relay *r, struct call *c, enum call_end why, uint64_t now_ns)
{
	call_end(r, c, why, now_ns);
}

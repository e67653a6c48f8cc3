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
	int err;

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
	err = port_pool_init(&r->ports, port_min, (uint16_t)port_max, 0);
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
	port_pool_free(&r->ports);
	cookie_cache_free(&r->cookies);
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
	r->cnt.ended[why]++;
	r->state_dirty = true;
}

static bool timed_out(struct relay *r, struct call *c, uint64_t now_ns, enum call_end *why)
{
	uint64_t last = call_last_packet_ns(r, c);
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

void relay_tick(struct relay *r, uint64_t now_ns)
{
	struct call *c = r->calls.head, *next;

	for (; c; c = next) {
		enum call_end why;

		next = c->next;
		if (c->remove_at_ns && now_ns >= c->remove_at_ns) {
			if (c->state != CALL_ENDED)
				call_end(r, c, CALL_END_DELETED, now_ns);
			call_remove(&r->calls, c);
			r->state_dirty = true;
			continue;
		}
		if (c->state != CALL_ENDED && !c->remove_at_ns && timed_out(r, c, now_ns, &why))
			call_end(r, c, why, now_ns);
	}
}

void relay_call_end(struct relay *r, struct call *c, enum call_end why, uint64_t now_ns)
{
	call_end(r, c, why, now_ns);
}

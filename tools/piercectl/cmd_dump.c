// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* legs and sessions: what the legs map holds, one leg or one pair a line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json.h"
#include "sockaddr.h"

struct leg_row {
	uint32_t index;
	struct pierce_leg leg;
};

struct leg_table {
	struct leg_row *rows;
	size_t n, cap, max;
};

static int collect(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	struct leg_table *t = arg;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct leg_row *rows;

		if (cap > t->max)
			cap = t->max;
		if (t->n >= cap)
			return -E2BIG; /* more active legs than the map holds: corrupt */
		rows = realloc(t->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->n].index = index;
	t->rows[t->n].leg = *leg;
	t->n++;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct leg_row *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static const struct leg_row *find_row(const struct leg_table *t, uint32_t index)
{
	struct leg_row key = { .index = index };

	return bsearch(&key, t->rows, t->n, sizeof(*t->rows), cmp_row);
}

static int load_legs(const struct ctl *ctl, struct pierce_dp **dp, struct pierce_cfg *cfg, struct leg_table *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	if (ctl_adopt(ctl, dp))
		return -ENOENT;
	err = pierce_dp_cfg_get(*dp, cfg);
	if (err) {
		ctl_fail(err, "cannot read the cfg map");
		return err;
	}
	t->max = pierce_dp_leg_count(*dp);
	err = pierce_dp_leg_foreach(*dp, collect, t);
	if (err) {
		ctl_fail(err, "cannot read the legs map");
		return err;
	}
	if (t->n) /* qsort with a NULL base is undefined even for 0 rows */
		qsort(t->rows, t->n, sizeof(*t->rows), cmp_row);
	return 0;
}

static const char *fmt_map_addr(const struct pierce_addr *a, uint8_t family, uint16_t port_be, char *buf,
				size_t len)
{
	struct sockaddr_storage ss;

	if (family == PIERCE_AF_NONE || pierce_addr_to_sockaddr(a, family, port_be, &ss))
		return "-";
	if (!port_be)
		return sa_format_ip(&ss, buf, len);
	return sa_format(&ss, buf, len);
}

/* The source family is not stored: it is the family of the destination or, for
 * a leg without one yet, of the relay address itself. */
static uint8_t src_family(const struct pierce_leg *leg, const struct sockaddr_storage *relay)
{
	if (leg->dst_family)
		return leg->dst_family;
	return relay->ss_family == AF_INET6 ? PIERCE_AF_INET6 : PIERCE_AF_INET;
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct leg_text {
	char relay[SA_STR_MAX], dst[SA_STR_MAX], src[SA_STR_MAX], allow[SA_STR_MAX], peer[SA_STR_MAX];
	double idle_s; /* -1: never seen */
};

static void leg_text(const struct pierce_cfg *cfg, const struct leg_row *r, uint64_t now, struct leg_text *lt)
{
	const struct pierce_leg *l = &r->leg;
	struct sockaddr_storage relay = { 0 }, peer;
	char tmp[SA_STR_MAX];
	bool any_src = (l->flags & PIERCE_LEG_ANY_SRC) && !(l->flags & PIERCE_LEG_LATCHED);

	if (ctl_leg_relay(cfg, r->index, &relay))
		snprintf(lt->relay, sizeof(lt->relay), "#%u", r->index);
	else
		sa_format(&relay, lt->relay, sizeof(lt->relay));
	snprintf(lt->dst, sizeof(lt->dst), "%s", (l->flags & PIERCE_LEG_HAS_DEST) ?
		 fmt_map_addr(&l->dst, l->dst_family, l->dst_port_be, tmp, sizeof(tmp)) : "-");
	snprintf(lt->src, sizeof(lt->src), "%s",
		 fmt_map_addr(&l->src, src_family(l, &relay), l->src_port_be, tmp, sizeof(tmp)));
	snprintf(lt->allow, sizeof(lt->allow), "%s", any_src ? "any" :
		 fmt_map_addr(&l->allow, l->allow_family, l->allow_port_be, tmp, sizeof(tmp)));
	if (!(l->flags & PIERCE_LEG_HAS_PEER) || ctl_leg_relay(cfg, l->peer_index, &peer))
		snprintf(lt->peer, sizeof(lt->peer), "-");
	else
		sa_format(&peer, lt->peer, sizeof(lt->peer));
	lt->idle_s = l->last_seen_ns && now >= l->last_seen_ns ? (double)(now - l->last_seen_ns) / 1e9 : -1;
}

static void leg_json(struct json *j, const char *key, const struct pierce_cfg *cfg, const struct leg_row *r,
		     uint64_t now)
{
	const struct pierce_leg *l = &r->leg;
	struct leg_text lt;

	leg_text(cfg, r, now, &lt);
	json_obj_begin(j, key);
	json_u64(j, "index", r->index);
	json_str(j, "relay", lt.relay);
	json_str(j, "dst", lt.dst);
	json_str(j, "src", lt.src);
	json_str(j, "allow", lt.allow);
	json_bool(j, "latched", l->flags & PIERCE_LEG_LATCHED);
	json_str(j, "policy", ctl_policy_name(l->policy));
	if (l->flags & PIERCE_LEG_SET_DSCP)
		json_u64(j, "dscp", l->dscp);
	json_str(j, "peer", lt.peer);
	json_bool(j, "rtcp_next", l->flags & PIERCE_LEG_RTCP_NEXT);
	json_u64(j, "flags", l->flags);
	json_u64(j, "packets", l->packets);
	json_u64(j, "bytes", l->bytes);
	json_u64(j, "last_seen_ns", l->last_seen_ns);
	json_obj_end(j);
}

static void leg_line(const char *prefix, const struct pierce_cfg *cfg, const struct leg_row *r, uint64_t now)
{
	const struct pierce_leg *l = &r->leg;
	struct leg_text lt;
	char dscp[16] = "";

	leg_text(cfg, r, now, &lt);
	if (l->flags & PIERCE_LEG_SET_DSCP)
		snprintf(dscp, sizeof(dscp), " dscp %u", l->dscp);
	printf("%s%s -> %s from %s allow %s%s policy %s%s peer %s%s packets %" PRIu64 " bytes %" PRIu64,
	       prefix, lt.relay, lt.dst, lt.src, lt.allow, (l->flags & PIERCE_LEG_LATCHED) ? " (latched)" : "",
	       ctl_policy_name(l->policy), dscp, lt.peer, (l->flags & PIERCE_LEG_RTCP_NEXT) ? " rtcp-next" : "",
	       (uint64_t)l->packets, (uint64_t)l->bytes);
	if (lt.idle_s >= 0)
		printf(" idle %.1fs\n", lt.idle_s);
	else
		printf(" idle never\n");
}

int cmd_legs(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	struct pierce_cfg cfg;
	struct leg_table t;
	struct json j;
	uint64_t now = now_mono_ns();
	int ret = CTL_FAIL;

	if (argc != 1)
		return ctl_usage_error("legs: takes no arguments");
	if (load_legs(ctl, &dp, &cfg, &t))
		goto out;
	if (ctl->json) {
		json_init(&j, stdout);
		json_arr_begin(&j, NULL);
		for (size_t i = 0; i < t.n; i++)
			leg_json(&j, NULL, &cfg, &t.rows[i], now);
		json_arr_end(&j);
		json_done(&j);
	} else {
		for (size_t i = 0; i < t.n; i++)
			leg_line("", &cfg, &t.rows[i], now);
		printf("%zu active legs of %u\n", t.n, pierce_dp_leg_count(dp));
	}
	ret = CTL_OK;
out:
	free(t.rows);
	pierce_dp_close(dp);
	return ret;
}

/* A session is a leg and its peer; it is shown once, from its lower index. */
int cmd_sessions(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	struct pierce_cfg cfg;
	struct leg_table t;
	struct json j;
	uint64_t now = now_mono_ns();
	size_t sessions = 0;
	int ret = CTL_FAIL;

	if (argc != 1)
		return ctl_usage_error("sessions: takes no arguments");
	if (load_legs(ctl, &dp, &cfg, &t))
		goto out;
	json_init(&j, stdout);
	if (ctl->json)
		json_arr_begin(&j, NULL);
	for (size_t i = 0; i < t.n; i++) {
		const struct leg_row *r = &t.rows[i], *p = NULL;

		if (r->leg.flags & PIERCE_LEG_HAS_PEER)
			p = find_row(&t, r->leg.peer_index);
		if (p && p->index < r->index && (p->leg.flags & PIERCE_LEG_HAS_PEER) &&
		    p->leg.peer_index == r->index)
			continue; /* shown with its peer */
		sessions++;
		if (ctl->json) {
			json_obj_begin(&j, NULL);
			leg_json(&j, "a", &cfg, r, now);
			if (p)
				leg_json(&j, "b", &cfg, p, now);
			json_obj_end(&j);
		} else {
			printf("session %zu\n", sessions);
			leg_line("  a: ", &cfg, r, now);
			if (p)
				leg_line("  b: ", &cfg, p, now);
			else
				printf("  b: none\n");
		}
	}
	if (ctl->json) {
		json_arr_end(&j);
		json_done(&j);
	} else {
		printf("%zu sessions, %zu active legs\n", sessions, t.n);
	}
	ret = CTL_OK;
out:
	free(t.rows);
	pierce_dp_close(dp);
	return ret;
}

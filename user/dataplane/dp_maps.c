// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading and writing the configuration, the legs and the counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "dp_internal.h"
#include "log.h"

#define LEG_LINE0 offsetof(struct pierce_leg, nh_dmac)

int pierce_dp_cfg_get(struct pierce_dp *dp, struct pierce_cfg *out)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(dp->cfg_fd, &zero, out) < 0 ? -errno : 0;
}

void dp_cfg_index_addrs(struct pierce_cfg *c)
{
	memset(c->addr_by_last, 0, sizeof(c->addr_by_last));
	for (uint32_t i = 0; i < c->n_addrs && i < PIERCE_MAX_ADDRS; i++) {
		const struct pierce_local *l = &c->addrs[i];
		__u8 *e;

		if (l->family == PIERCE_AF_INET)
			e = &c->addr_by_last[0][l->addr.addr_be[3]];
		else if (l->family == PIERCE_AF_INET6)
			e = &c->addr_by_last[1][l->addr.addr_be[15]];
		else
			continue; /* the program never matches it */
		*e = *e ? PIERCE_ADDR_SCAN : (__u8)(i + 1);
	}
}

int pierce_dp_cfg_set(struct pierce_dp *dp, const struct pierce_cfg *cfg)
{
	struct pierce_cfg c;
	__u32 zero = 0;
	int err;

	if (cfg->abi_version != PIERCE_ABI_VERSION || cfg->n_addrs > PIERCE_MAX_ADDRS ||
	    (uint64_t)cfg->n_addrs * cfg->port_count > dp->legs_max ||
	    (uint32_t)cfg->port_min + cfg->port_count > 65536)
		return -EINVAL;
	if (cfg->fib_ifindex == 1) {
		err = dp_enable_lo_forwarding();
		if (err)
			return err;
	}
	c = *cfg;
	dp_cfg_index_addrs(&c);
	return bpf_map_update_elem(dp->cfg_fd, &zero, &c, BPF_ANY) < 0 ? -errno : 0;
}

int pierce_dp_slowpath_alive(struct pierce_dp *dp)
{
	struct pierce_cfg c;
	struct timespec ts;
	int err = pierce_dp_cfg_get(dp, &c);

	if (err)
		return err;
	/* the clock of bpf_ktime_get_coarse_ns */
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return -errno;
	c.flags |= PIERCE_CFG_SLOWPATH;
	c.slow_alive_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (!c.slow_alive_ns)
		c.slow_alive_ns = 1; /* 0 means "no heartbeat" */
	return pierce_dp_cfg_set(dp, &c);
}

int pierce_dp_leg_get(struct pierce_dp *dp, uint32_t index, struct pierce_leg *out)
{
	if (index >= dp->legs_max) /* legs_mem maps all legs_max entries */
		return -ENOENT;
	/* the program may be counting meanwhile, as with a bpf(2) lookup */
	memcpy(out, &dp->legs_mem[index], sizeof(*out));
	return 0;
}

int pierce_dp_leg_set(struct pierce_dp *dp, uint32_t index, const struct pierce_leg *leg, bool reset_counters)
{
	struct pierce_leg cur;
	int err;

	err = pierce_dp_leg_get(dp, index, &cur);
	if (err)
		return err;
	/* A new destination or source needs a new next hop. */
	if (reset_counters || memcmp(&cur.dst, &leg->dst, sizeof(cur.dst)) ||
	    memcmp(&cur.src, &leg->src, sizeof(cur.src)) || cur.dst_family != leg->dst_family)
		cur.nh_stamp_ns = 0;
	if (reset_counters) {
		memset(&cur, 0, sizeof(cur));
	}
	/* Counters may move between read and write; a lost increment beats a lock
	 * on the hot path. */
	memcpy(&cur, leg, LEG_LINE0);
	return bpf_map_update_elem(dp->legs_fd, &index, &cur, BPF_EXIST) < 0 ? -errno : 0;
}

int pierce_dp_leg_clear(struct pierce_dp *dp, uint32_t index)
{
	struct pierce_leg zero = {};

	if (index >= dp->legs_max)
		return -ENOENT;
	return bpf_map_update_elem(dp->legs_fd, &index, &zero, BPF_EXIST) < 0 ? -errno : 0;
}

uint32_t pierce_dp_leg_count(struct pierce_dp *dp)
{
	return dp->legs_max;
}

int pierce_dp_leg_foreach(struct pierce_dp *dp, int (*fn)(uint32_t index, const struct pierce_leg *leg, void *arg),
			  void *arg)
{
	for (uint32_t i = 0; i < dp->legs_max; i++) {
		struct pierce_leg l;
		int err;

		memcpy(&l, &dp->legs_mem[i], sizeof(l)); /* a stable copy for fn */
		if (!(l.flags & PIERCE_LEG_ACTIVE))
			continue;
		err = fn(i, &l, arg);
		if (err)
			return err;
	}
	return 0;
}

int pierce_dp_stats(struct pierce_dp *dp, struct pierce_stats *out)
{
	struct pierce_stats *percpu;
	__u32 zero = 0;
	int err = 0;

	percpu = calloc((size_t)dp->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(dp->stats_fd, &zero, percpu) < 0) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < dp->ncpus; c++) {
		for (int r = 0; r < PIERCE_R__COUNT; r++) {
			out->packets[r] += percpu[c].packets[r];
			out->bytes[r] += percpu[c].bytes[r];
		}
	}
out:
	free(percpu);
	return err;
}

int pierce_dp_prog_fd(struct pierce_dp *dp) { return dp->prog_fd; }
int pierce_dp_slowpath_fd(struct pierce_dp *dp) { return dp->slow_fd; }
int pierce_dp_devmap_fd(struct pierce_dp *dp) { return dp->devmap_fd; }
int pierce_dp_legs_fd(struct pierce_dp *dp) { return dp->legs_fd; }

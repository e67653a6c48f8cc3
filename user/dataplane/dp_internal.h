/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the data-plane files share: the handle and the pin-path helper. */
#ifndef PIERCE_DP_INTERNAL_H
#define PIERCE_DP_INTERNAL_H

#include <limits.h>

#include "dataplane.h"

#define DP_MAX_UNPINNED_LINKS 16

struct dp_link {
	int fd;          /* link kept by this process when nothing is pinned */
	int ifindex;
};

struct pierce_dp {
	struct relay_bpf *skel;       /* NULL when only the pinned maps were opened */
	char pin_dir[PATH_MAX];       /* "" = nothing pinned */
	int legs_fd, cfg_fd, stats_fd, slow_fd, devmap_fd, prog_fd;
	int owned_fds[5];             /* from bpf_obj_get (maps-only handle) */
	uint32_t legs_max;
	const struct pierce_leg *legs_mem; /* the legs map mapped read-only (NULL when legs_max is 0) */
	size_t legs_mem_len;
	int ncpus;
	struct dp_link links[DP_MAX_UNPINNED_LINKS];
};

/* pin_dir/name into buf; -ENAMETOOLONG when it does not fit. */
int dp_pin_path(char *buf, size_t len, const char *pin_dir, const char *name);
bool dp_on_bpffs(const char *path);
bool dp_has_links(const char *pin_dir); /* any link_* pinned there */
/* Turns on IPv4/IPv6 forwarding on lo only, so bpf_fib_lookup through lo
 * resolves output routes without making any other interface a router. */
int dp_enable_lo_forwarding(void);
/* Rebuilds c->addr_by_last from c->addrs[0..n_addrs): every cfg written to
 * the map goes through here, so the program's table never disagrees. */
void dp_cfg_index_addrs(struct pierce_cfg *c);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The user-space owner of the XDP data plane: loads bpf/relay.bpf.c through
 * its skeleton, pins its maps and links under a pin directory, or adopts
 * what an earlier process pinned there. Used by pierce-relay, piercectl,
 * the BPF tests and the benchmarks.
 */
#ifndef PIERCE_DATAPLANE_H
#define PIERCE_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pierce/abi.h"

struct pierce_dp;

struct pierce_dp_opts {
	const char *pin_dir;            /* NULL: PIERCE_PIN_DIR_DEFAULT; "" : do not pin (tests) */
	const struct pierce_local *addrs; /* relay addresses; slot fields are assigned here */
	uint32_t n_addrs;
	uint16_t port_min;
	uint32_t port_count;            /* legs map size = n_addrs * port_count */
	uint32_t fib_ifindex;           /* 0: lo (1), with forwarding turned on for lo only: see dp_fib.c */
	uint64_t nh_ttl_ns;             /* 0: PIERCE_NH_TTL_NS */
	bool adopt_only;                /* fail with -ENOENT unless pinned maps exist (piercectl) */
};
/* n_addrs and port_count 0: take the pinned geometry. With adopt_only the
 * handle has the maps only (no program: it cannot attach); without it the
 * program is loaded on the pinned maps, and -ENOENT when none are pinned. */

/* Load and pin, or adopt the pinned maps when present (checking the ABI
 * version and the legs map geometry: -EPROTO on an ABI mismatch, -EEXIST on
 * a geometry mismatch). On success *adopted says which happened. */
int pierce_dp_open(const struct pierce_dp_opts *opts, struct pierce_dp **out, bool *adopted);
void pierce_dp_close(struct pierce_dp *dp);  /* leaves pinned objects in place */
/* Remove every pinned object (maps and links): the data plane stops. */
int pierce_dp_unpin_all(const char *pin_dir);

/* Attach (native unless generic) to ifname, pinning the link as link_<ifname>.
 * Re-attaching an already-pinned interface keeps its link and puts this
 * handle's program on it (bpf_link_update); a pinned link whose interface
 * is gone (or was recreated) is unpinned and a new one made. */
int pierce_dp_attach(struct pierce_dp *dp, const char *ifname, bool generic);
int pierce_dp_detach(struct pierce_dp *dp, const char *ifname);

int pierce_dp_cfg_get(struct pierce_dp *dp, struct pierce_cfg *out);
int pierce_dp_cfg_set(struct pierce_dp *dp, const struct pierce_cfg *cfg);
/* The slow-path consumer's heartbeat: sets PIERCE_CFG_SLOWPATH and stamps
 * cfg.slow_alive_ns with now. Call it at least every second or two while the
 * ring is read; once it stops for PIERCE_SLOW_ALIVE_NS the program passes
 * slow-path packets to the kernel (pass_slow) as if the flag were off. */
int pierce_dp_slowpath_alive(struct pierce_dp *dp);

/* legs[] index for (relay address, port), or -ENOENT when not a relay address
 * or outside the port range. */
int64_t pierce_dp_leg_index(const struct pierce_cfg *cfg, const struct sockaddr_storage *relay);
int pierce_dp_leg_get(struct pierce_dp *dp, uint32_t index, struct pierce_leg *out);
/* Writes the forwarding part (line 0); keeps counters unless reset_counters. */
int pierce_dp_leg_set(struct pierce_dp *dp, uint32_t index, const struct pierce_leg *leg, bool reset_counters);
int pierce_dp_leg_clear(struct pierce_dp *dp, uint32_t index);
uint32_t pierce_dp_leg_count(struct pierce_dp *dp); /* max_entries of the legs map */
/* Calls fn for each active leg, from the mapped legs array (for rebuilding sessions and dumps). */
int pierce_dp_leg_foreach(struct pierce_dp *dp, int (*fn)(uint32_t index, const struct pierce_leg *leg, void *arg), void *arg);

/* Tells the kernel the next hops of legs forwarded within the last
 * active_within_ns are in use (RTM_NEWNEIGH, NTF_USE), as its own output
 * path would: a STALE neighbour gets re-probed, so a changed MAC is learnt.
 * XDP never does this. Call every few seconds; returns how many next hops
 * were confirmed, or -errno. */
int pierce_dp_neigh_confirm(struct pierce_dp *dp, uint64_t active_within_ns);

/* Sum of the per-CPU counters. */
int pierce_dp_stats(struct pierce_dp *dp, struct pierce_stats *out);

/* File descriptors for callers that drive maps or rings themselves. */
int pierce_dp_prog_fd(struct pierce_dp *dp);
int pierce_dp_slowpath_fd(struct pierce_dp *dp);
int pierce_dp_devmap_fd(struct pierce_dp *dp);
int pierce_dp_legs_fd(struct pierce_dp *dp);    /* raw entries, next-hop cache included (tests, tools) */

/* Names and help text of every reason (from the X-macro in abi.h). */
const char *pierce_reason_name(unsigned reason);
const char *pierce_reason_help(unsigned reason);

/* Conversions between sockaddr_storage and the map representation. */
int pierce_addr_from_sockaddr(const struct sockaddr_storage *ss, struct pierce_addr *a, uint8_t *family, uint16_t *port_be);
int pierce_addr_to_sockaddr(const struct pierce_addr *a, uint8_t family, uint16_t port_be, struct sockaddr_storage *ss);

/* Make sure pin_dir is on a bpffs, mounting one at pin_dir when it is not
 * (only on an empty directory or PIERCE_PIN_DIR_DEFAULT: -ENOTEMPTY else). */
int pierce_dp_ensure_bpffs(const char *pin_dir);
/* True when that meant mounting a bpffs private to this mount namespace (a
 * bare /sys/fs/bpf, as inside `ip netns exec`): its pins die with it. */
bool pierce_dp_pin_private(void);

#endif

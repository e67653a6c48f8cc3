// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Lifecycle of the data plane (libbpf-bootstrap style): open the skeleton,
 * size the legs map or reuse the pinned maps, load, pin, and initialise the
 * configuration. A restarted relay adopts what its predecessor pinned, so
 * media keeps flowing through the pinned XDP links meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "log.h"
#include "relay.skel.h"

#define LO_IFINDEX 1

struct dp_map_pin {
	const char *name;
	size_t off; /* of the struct bpf_map * in struct relay_bpf's maps */
	/* what a pinned map must be before this build reads it */
	__u32 type, key_size, value_size, max_entries; /* max_entries 0: any */
};

static const struct dp_map_pin map_pins[] = {
	{ PIERCE_PIN_LEGS, offsetof(struct relay_bpf, maps.legs), BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct pierce_leg), 0 },
	{ PIERCE_PIN_CFG, offsetof(struct relay_bpf, maps.cfg), BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct pierce_cfg), 1 },
	{ PIERCE_PIN_STATS, offsetof(struct relay_bpf, maps.stats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
	  sizeof(struct pierce_stats), 1 },
	{ PIERCE_PIN_SLOWPATH, offsetof(struct relay_bpf, maps.slowpath), BPF_MAP_TYPE_RINGBUF, 0, 0,
	  PIERCE_SLOWPATH_BYTES },
	{ PIERCE_PIN_DEVMAP, offsetof(struct relay_bpf, maps.devmap), BPF_MAP_TYPE_DEVMAP_HASH, sizeof(__u32),
	  sizeof(__u32), 0 },
};
#define N_MAPS (sizeof(map_pins) / sizeof(map_pins[0]))

static struct bpf_map *skel_map(struct relay_bpf *skel, size_t i)
{
	return *(struct bpf_map **)((char *)skel + map_pins[i].off);
}

static int check_opts(const struct pierce_dp_opts *o)
{
	if (o->n_addrs == 0 && o->port_count == 0)
		return 0; /* whatever geometry is pinned: an inspector, or an attach that adopts */
	if (o->n_addrs == 0 || o->n_addrs > PIERCE_MAX_ADDRS || !o->addrs) {
		log_err("dataplane: need 1..%d relay addresses, got %u", PIERCE_MAX_ADDRS, o->n_addrs);
		return -EINVAL;
	}
	if (o->port_count == 0 || (uint32_t)o->port_min + o->port_count > 65536) {
		log_err("dataplane: bad port range %u+%u", o->port_min, o->port_count);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < o->n_addrs; i++) {
		if (o->addrs[i].family != PIERCE_AF_INET && o->addrs[i].family != PIERCE_AF_INET6) {
			log_err("dataplane: relay address %u has no family", i);
			return -EINVAL;
		}
	}
	return 0;
}

static void cfg_from_opts(const struct pierce_dp_opts *o, struct pierce_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->abi_version = PIERCE_ABI_VERSION;
	c->n_addrs = o->n_addrs;
	c->port_min = o->port_min;
	c->port_count = o->port_count;
	c->fib_ifindex = o->fib_ifindex ? o->fib_ifindex : LO_IFINDEX;
	c->nh_ttl_ns = o->nh_ttl_ns ? o->nh_ttl_ns : PIERCE_NH_TTL_NS;
	for (uint32_t i = 0; i < o->n_addrs; i++) {
		c->addrs[i] = o->addrs[i];
		c->addrs[i].slot = i;
	}
	dp_cfg_index_addrs(c);
}

/* A pinned map from another build (or made by hand) is refused before any
 * lookup copies its value into a struct of this build's size. */
static int check_map_shape(int fd, size_t i)
{
	const struct dp_map_pin *m = &map_pins[i];
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0)
		return -errno;
	if (info.type != m->type || info.key_size != m->key_size || info.value_size != m->value_size ||
	    (m->max_entries && info.max_entries != m->max_entries) || info.max_entries == 0) {
		log_err("dataplane: pinned map %s is not this build's (type %u key %u value %u entries %u; "
			"want type %u key %u value %u); unpin it", m->name, info.type, info.key_size,
			info.value_size, info.max_entries, m->type, m->key_size, m->value_size);
		return -EPROTO;
	}
	return 0;
}

static int check_map_shapes(const int *fds)
{
	int err;

	for (size_t i = 0; i < N_MAPS; i++) {
		if (fds[i] < 0)
			continue;
		err = check_map_shape(fds[i], i);
		if (err)
			return err;
	}
	return 0;
}

/* The pinned maps must be of this ABI and, when the caller says, of its geometry. */
static int check_pinned(int cfg_fd, int legs_fd, const struct pierce_dp_opts *o, uint32_t *legs_max)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	struct pierce_cfg cur, want;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(cfg_fd, &zero, &cur) < 0 || bpf_obj_get_info_by_fd(legs_fd, &info, &info_len) < 0)
		return -errno;
	if (cur.abi_version != PIERCE_ABI_VERSION) {
		log_err("dataplane: pinned maps have ABI %u, this build speaks %u", cur.abi_version,
			PIERCE_ABI_VERSION);
		return -EPROTO;
	}
	if (info.value_size != sizeof(struct pierce_leg) || info.max_entries != (__u64)cur.n_addrs * cur.port_count ||
	    !(info.map_flags & BPF_F_MMAPABLE)) {
		log_err("dataplane: pinned legs map does not match its cfg");
		return -EPROTO;
	}
	*legs_max = info.max_entries;
	if (o->n_addrs == 0 && o->port_count == 0)
		return 0;
	cfg_from_opts(o, &want);
	if (cur.n_addrs != want.n_addrs || cur.port_min != want.port_min || cur.port_count != want.port_count ||
	    memcmp(cur.addrs, want.addrs, sizeof(cur.addrs))) {
		log_err("dataplane: pinned maps serve other addresses or ports (%u addrs, %u+%u); "
			"unpin them to change the geometry", cur.n_addrs, cur.port_min, cur.port_count);
		return -EEXIST;
	}
	return 0;
}

static void fds_from_skel(struct pierce_dp *dp)
{
	dp->legs_fd = bpf_map__fd(dp->skel->maps.legs);
	dp->cfg_fd = bpf_map__fd(dp->skel->maps.cfg);
	dp->stats_fd = bpf_map__fd(dp->skel->maps.stats);
	dp->slow_fd = bpf_map__fd(dp->skel->maps.slowpath);
	dp->devmap_fd = bpf_map__fd(dp->skel->maps.devmap);
	dp->prog_fd = bpf_program__fd(dp->skel->progs.pierce_relay);
}

/* piercectl: the pinned maps only, no program loaded. */
static int open_pinned_only(struct pierce_dp *dp, const struct pierce_dp_opts *o)
{
	int *fds[N_MAPS] = { &dp->legs_fd, &dp->cfg_fd, &dp->stats_fd, &dp->slow_fd, &dp->devmap_fd };
	char path[PATH_MAX];
	int err;

	if (!dp_on_bpffs(dp->pin_dir))
		return -ENOENT; /* nothing can be pinned there */
	for (size_t i = 0; i < N_MAPS; i++) {
		err = dp_pin_path(path, sizeof(path), dp->pin_dir, map_pins[i].name);
		if (err)
			return err;
		*fds[i] = dp->owned_fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0)
			return errno == ENOENT ? -ENOENT : -errno;
	}
	err = check_map_shapes(dp->owned_fds);
	if (err)
		return err;
	return check_pinned(dp->cfg_fd, dp->legs_fd, o, &dp->legs_max);
}

/* cfg is pinned last: legs without cfg are what a start that died while
 * pinning leaves. Nothing can have run on them (links are pinned after
 * cfg), so they go; with links pinned somebody removed cfg by hand. */
static int drop_partial_pin(struct pierce_dp *dp, int *fds)
{
	int err;

	if (dp_has_links(dp->pin_dir)) {
		log_err("dataplane: %s has links but only one of legs/cfg; piercectl unload clears it", dp->pin_dir);
		return -ESTALE;
	}
	log_warn("dataplane: %s holds a partial pin (a start died while pinning): removing it", dp->pin_dir);
	for (size_t i = 0; i < N_MAPS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	err = pierce_dp_unpin_all(dp->pin_dir);
	if (err)
		log_err("dataplane: cannot clear %s: %s", dp->pin_dir, strerror(-err));
	return err;
}

/* Reuses every pinned map before load; *adopted when legs and cfg were pinned. */
static int reuse_pinned(struct pierce_dp *dp, const struct pierce_dp_opts *o, bool *adopted)
{
	int fds[N_MAPS];
	char path[PATH_MAX];
	int err = 0;

	for (size_t i = 0; i < N_MAPS; i++) {
		fds[i] = -1;
		if (!dp->pin_dir[0])
			continue;
		err = dp_pin_path(path, sizeof(path), dp->pin_dir, map_pins[i].name);
		if (err)
			goto out;
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0 && errno != ENOENT) {
			err = -errno;
			log_err("dataplane: cannot open pinned %s: %s", path, strerror(errno));
			goto out;
		}
	}
	err = check_map_shapes(fds);
	if (err)
		goto out;
	*adopted = fds[0] >= 0 && fds[1] >= 0;
	if (!*adopted && (fds[0] >= 0 || fds[1] >= 0)) {
		err = drop_partial_pin(dp, fds);
		if (err)
			goto out;
	}
	if (*adopted) {
		err = check_pinned(fds[1], fds[0], o, &dp->legs_max);
		if (err)
			goto out;
	} else if (o->n_addrs == 0) {
		err = -ENOENT; /* adopting without a geometry of its own: nothing to adopt */
		goto out;
	} else {
		dp->legs_max = o->n_addrs * o->port_count;
		err = bpf_map__set_max_entries(dp->skel->maps.legs, dp->legs_max);
		if (err)
			goto out;
	}
	for (size_t i = 0; i < N_MAPS; i++) {
		if (fds[i] < 0)
			continue;
		err = bpf_map__reuse_fd(skel_map(dp->skel, i), fds[i]);
		if (err) {
			log_err("dataplane: cannot reuse pinned %s: %s", map_pins[i].name, strerror(-err));
			goto out;
		}
	}
out:
	for (size_t i = 0; i < N_MAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

/* cfg last: its pin says the set is complete (see drop_partial_pin). */
static int pin_new_maps(struct pierce_dp *dp)
{
	static const size_t order[N_MAPS] = { 0, 2, 3, 4, 1 }; /* map_pins[] with cfg (1) last */
	char path[PATH_MAX];
	int err;

	for (size_t k = 0; k < N_MAPS; k++) {
		size_t i = order[k];

		err = dp_pin_path(path, sizeof(path), dp->pin_dir, map_pins[i].name);
		if (err)
			return err;
		if (access(path, F_OK) == 0)
			continue; /* the reused one */
		err = bpf_map__pin(skel_map(dp->skel, i), path);
		if (err) {
			log_err("dataplane: cannot pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Reads of legs go through a read-only shared mapping of the array: the
 * relay reads them on every ng request and every timeout check, and a
 * bpf(2) call per read was a large part of its time. Writes stay bpf(2). */
static int map_legs(struct pierce_dp *dp)
{
	size_t len = (size_t)dp->legs_max * sizeof(struct pierce_leg);
	void *m;

	if (!dp->legs_max)
		return 0;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, dp->legs_fd, 0);
	if (m == MAP_FAILED) {
		log_err("dataplane: cannot map the legs map: %s", strerror(errno));
		return -errno;
	}
	dp->legs_mem = m;
	dp->legs_mem_len = len;
	return 0;
}

int pierce_dp_open(const struct pierce_dp_opts *opts, struct pierce_dp **out, bool *adopted)
{
	const char *pin_dir = opts->pin_dir ? opts->pin_dir : PIERCE_PIN_DIR_DEFAULT;
	struct pierce_dp *dp = NULL;
	struct pierce_cfg c;
	bool was_pinned = false;
	__u32 zero = 0;
	int err;

	*out = NULL;
	err = check_opts(opts);
	if (err)
		return err;
	if (strlen(pin_dir) >= sizeof(dp->pin_dir))
		return -ENAMETOOLONG;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	strcpy(dp->pin_dir, pin_dir);
	dp->legs_fd = dp->cfg_fd = dp->stats_fd = dp->slow_fd = dp->devmap_fd = dp->prog_fd = -1;
	for (size_t i = 0; i < N_MAPS; i++)
		dp->owned_fds[i] = -1;
	for (size_t i = 0; i < DP_MAX_UNPINNED_LINKS; i++)
		dp->links[i].fd = -1;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = dp->ncpus ? dp->ncpus : -EINVAL;
		goto out;
	}
	if (opts->adopt_only) { /* an inspector: never mounts or creates anything */
		err = dp->pin_dir[0] ? open_pinned_only(dp, opts) : -EINVAL;
		if (!err)
			err = map_legs(dp);
		was_pinned = true;
		goto out;
	}
	if (dp->pin_dir[0]) {
		err = pierce_dp_ensure_bpffs(dp->pin_dir);
		if (err)
			goto out;
	}

	dp->skel = relay_bpf__open();
	if (!dp->skel) {
		err = -errno;
		log_err("dataplane: cannot open the BPF skeleton: %s", strerror(errno));
		goto out;
	}
	err = reuse_pinned(dp, opts, &was_pinned);
	if (err)
		goto out;
	err = relay_bpf__load(dp->skel);
	if (err) {
		log_err("dataplane: cannot load the XDP program: %s", strerror(-err));
		goto out;
	}
	fds_from_skel(dp);
	err = map_legs(dp);
	if (err)
		goto out;
	if (!was_pinned) {
		cfg_from_opts(opts, &c);
		if (bpf_map_update_elem(dp->cfg_fd, &zero, &c, BPF_ANY) < 0) {
			err = -errno;
			goto out;
		}
	} else if (bpf_map_lookup_elem(dp->cfg_fd, &zero, &c) < 0) {
		err = -errno;
		goto out;
	}
	if (dp->pin_dir[0]) {
		err = pin_new_maps(dp);
		if (err)
			goto out;
	}
	if (c.fib_ifindex == LO_IFINDEX) {
		err = dp_enable_lo_forwarding();
		if (err)
			goto out;
	}
	log_info("dataplane: %s %u legs (%u addresses x %u ports from %u)%s%s",
		 was_pinned ? "adopted" : "loaded", dp->legs_max, c.n_addrs, c.port_count, c.port_min,
		 dp->pin_dir[0] ? ", pinned at " : "", dp->pin_dir);
out:
	if (err) {
		pierce_dp_close(dp);
		return err;
	}
	if (adopted)
		*adopted = was_pinned;
	*out = dp;
	return 0;
}

void pierce_dp_close(struct pierce_dp *dp)
{
	if (!dp)
		return;
	if (dp->legs_mem)
		munmap((void *)dp->legs_mem, dp->legs_mem_len);
	for (size_t i = 0; i < DP_MAX_UNPINNED_LINKS; i++)
		if (dp->links[i].fd >= 0)
			close(dp->links[i].fd); /* unpinned links detach with their last fd */
	for (size_t i = 0; i < N_MAPS; i++)
		if (dp->owned_fds[i] >= 0)
			close(dp->owned_fds[i]);
	relay_bpf__destroy(dp->skel);
	free(dp);
}

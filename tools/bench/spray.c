// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "spray.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct spray {
	struct bpf_object *obj;
};

struct targets {
	uint32_t *v;     /* the legs on the cycle, in cycle order */
	uint32_t *next;  /* legs[] index -> index of the leg its dst names; UINT32_MAX: none */
	uint32_t n, cap, base, port_min, port_count;
};

/* The legs[] index of relay address addr4:port_be (IPv4, network order) in
 * the benchmark's layout, or UINT32_MAX when it is none of the relay's. */
static uint32_t index_of(const struct targets *t, const void *addr4, uint16_t port_be)
{
	uint32_t v, slot, port = ntohs(port_be);

	memcpy(&v, addr4, 4);
	slot = ntohl(v) - t->base;
	if (port < t->port_min || port - t->port_min >= t->port_count || slot >= t->cap / t->port_count)
		return UINT32_MAX;
	return slot * t->port_count + (port - t->port_min);
}

static int collect(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	struct targets *t = arg;

	if (index >= t->cap)
		return -E2BIG;
	t->next[index] = leg->dst_family == PIERCE_AF_INET ? index_of(t, leg->dst.addr_be, leg->dst_port_be) : UINT32_MAX;
	return 0;
}

/* The legs a frame sent to `first` goes through: follow dst from leg to leg
 * until the walk comes back to first (bench_chain_fill's cycle). Resident
 * legs off the cycle are not targets: with one flow, every frame hits one
 * leg however many are installed. */
static int walk_cycle(struct targets *t, uint32_t first)
{
	uint32_t i = first;

	t->n = 0;
	do {
		if (i >= t->cap || t->next[i] == UINT32_MAX || t->n >= t->cap)
			return -ENOENT;
		t->v[t->n++] = i;
		i = t->next[i];
	} while (i != first);
	return 0;
}

/* The sprayer computes addresses as addr_base + slot: check that the data
 * plane's slots are laid out that way. */
static int check_layout(const struct pierce_cfg *cfg, uint32_t *base)
{
	uint32_t a0;

	if (cfg->n_addrs == 0)
		return -EINVAL;
	memcpy(&a0, cfg->addrs[0].addr.addr_be, 4);
	*base = ntohl(a0);
	for (uint32_t i = 0; i < cfg->n_addrs && i < PIERCE_MAX_ADDRS; i++) {
		uint32_t a;

		memcpy(&a, cfg->addrs[i].addr.addr_be, 4);
		if (cfg->addrs[i].family != PIERCE_AF_INET || cfg->addrs[i].slot != i || ntohl(a) != *base + i)
			return -EINVAL;
	}
	return 0;
}

int spray_open(const char *obj_path, struct pierce_dp *dp, const uint8_t eth[12],
	       const struct sockaddr_storage *first, struct spray **out, int *prog_fd, uint32_t *n_targets)
{
	struct targets t = { 0 };
	struct spray_cfg sc;
	struct pierce_cfg cfg;
	struct spray *s = NULL;
	struct bpf_map *rodata, *tmap;
	struct bpf_program *prog;
	size_t size = 0;
	const void *init;
	uint8_t *ro = NULL;
	int err;

	err = pierce_dp_cfg_get(dp, &cfg);
	if (err)
		return err;
	err = check_layout(&cfg, &sc.addr_base);
	if (err) {
		log_err("bench: spray: relay addresses are not consecutive by slot");
		return err;
	}
	t.cap = pierce_dp_leg_count(dp);
	t.base = sc.addr_base;
	t.port_min = cfg.port_min;
	t.port_count = cfg.port_count;
	t.v = malloc(sizeof(uint32_t) * t.cap);
	t.next = malloc(sizeof(uint32_t) * t.cap);
	s = calloc(1, sizeof(*s));
	if (!t.v || !t.next || !s) {
		err = -ENOMEM;
		goto out;
	}
	if (first->ss_family != AF_INET || !t.port_count) {
		err = -EINVAL;
		goto out;
	}
	memset(t.next, 0xff, sizeof(uint32_t) * t.cap);
	err = pierce_dp_leg_foreach(dp, collect, &t);
	if (!err) {
		const struct sockaddr_in *f = (const struct sockaddr_in *)first;

		err = walk_cycle(&t, index_of(&t, &f->sin_addr, f->sin_port));
	}
	if (err) {
		log_err("bench: spray: no cycle of legs through the --dst address");
		goto out;
	}
	sc.n_targets = t.n;
	sc.port_min = cfg.port_min;
	sc.port_count = cfg.port_count;
	memcpy(sc.eth, eth, sizeof(sc.eth));
	s->obj = bpf_object__open_file(obj_path, NULL);
	if (!s->obj) {
		err = -errno;
		log_err("bench: spray: cannot open %s", obj_path);
		goto out;
	}
	rodata = bpf_object__find_map_by_name(s->obj, ".rodata");
	tmap = bpf_object__find_map_by_name(s->obj, "targets");
	prog = bpf_object__find_program_by_name(s->obj, "xdp_spray");
	init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	if (!init || size < sizeof(sc) || !tmap || !prog || bpf_map__max_entries(tmap) < t.n) {
		log_err("bench: spray: %s is not the expected program", obj_path);
		err = -EINVAL;
		goto out;
	}
	ro = malloc(size);
	if (!ro) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(ro, init, size);
	memcpy(ro, &sc, sizeof(sc));
	err = bpf_map__set_initial_value(rodata, ro, size);
	if (!err)
		err = bpf_object__load(s->obj);
	if (err)
		goto out;
	for (uint32_t i = 0; !err && i < t.n; i++)
		err = bpf_map_update_elem(bpf_map__fd(tmap), &i, &t.v[i], BPF_ANY) ? -errno : 0;
	if (err)
		goto out;
	*prog_fd = bpf_program__fd(prog);
	*n_targets = t.n;
	*out = s;
	s = NULL;
out:
	free(ro);
	free(t.v);
	free(t.next);
	spray_close(s);
	return err;
}

void spray_close(struct spray *s)
{
	if (!s)
		return;
	bpf_object__close(s->obj);
	free(s);
}

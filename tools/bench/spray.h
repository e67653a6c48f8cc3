/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The generator's leg sprayer (bpf/spray.bpf.c, built by run.sh): frames go to
 * legs picked at random among the legs of the pinned data plane's cycle.
 */
#ifndef PIERCE_BENCH_SPRAY_H
#define PIERCE_BENCH_SPRAY_H

#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"

struct spray_cfg { /* the layout of spray.bpf.c's .rodata */
	uint32_t n_targets;
	uint32_t addr_base;
	uint32_t port_min;
	uint32_t port_count;
	uint8_t eth[12];     /* destination and source MAC of every frame */
};

struct spray;

/* Loads obj_path aimed at the legs of dp's cycle through `first` (the relay
 * address:port the frames are sent to; see bench_chain_fill), sending from
 * and to the MACs of eth (destination, source: an Ethernet header's first 12
 * bytes); *prog_fd is its program. */
int spray_open(const char *obj_path, struct pierce_dp *dp, const uint8_t eth[12],
	       const struct sockaddr_storage *first, struct spray **out, int *prog_fd, uint32_t *n_targets);
void spray_close(struct spray *s);

#endif

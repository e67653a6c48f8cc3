/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Leg writes of a batch of ng requests, deferred into one system call.
 *
 * While a batch is open the relay's data-plane ops are replaced by ones
 * that queue whole-entry writes (legs_write: a fresh install, a clear) and
 * serve reads from the queue first (the latest queued value of a leg wins),
 * so a request sees what the requests before it in the batch wrote. The
 * queue goes to the map in one BPF_MAP_UPDATE_BATCH when the batch closes,
 * before any reply of the batch is sent, so a proxy that has a reply finds
 * the legs in place. A write that keeps the counters (leg_set without
 * reset) or a single clear first flushes the queue, then goes straight
 * through: the order of writes to the map is the order they were made.
 */
#ifndef PIERCE_RELAY_NG_LEGS_BATCH_H
#define PIERCE_RELAY_NG_LEGS_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "pierce/abi.h"
#include "relay/relay.h"

#define NG_LEGS_PENDING 1024 /* legs queued at most; a full queue is flushed early */

struct ng_legs_batch {
	struct relay_dp_ops orig;         /* the data plane's own ops, restored at the end */
	bool open;
	uint32_t n;
	uint32_t index[NG_LEGS_PENDING];
	struct pierce_leg legs[NG_LEGS_PENDING];
	uint64_t failed;                  /* legs the map refused in this batch (logged) */
};

/* Opens a batch on r (nothing happens for a data plane without legs_write). */
void ng_legs_batch_begin(struct ng_legs_batch *b, struct relay *r);
/* Writes what is queued and gives r its own ops back: 0 or the first error. */
int ng_legs_batch_end(struct ng_legs_batch *b, struct relay *r);

#endif

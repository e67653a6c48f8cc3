/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * When each call must be looked at again: a min-heap of calls keyed by
 * call.check_at_ns. A timeout can only fire once its deadline has passed,
 * so the relay reads a call's legs when that deadline comes, not on every
 * tick: a tick costs O(calls due), not O(calls), and a quiet relay with
 * 100k calls makes a few thousand leg reads a second instead of 400k.
 */
#ifndef PIERCE_RELAY_CALL_SCHED_H
#define PIERCE_RELAY_CALL_SCHED_H

#include <stdint.h>

struct call;

struct call_sched {
	struct call **heap;
	uint32_t n, cap;
};

#define CALL_SCHED_NONE UINT32_MAX /* call.sched_pos of a call not in the heap */

void call_sched_free(struct call_sched *s);
/* Puts c in the heap at `at`, or moves it there; -ENOMEM. */
int call_sched_set(struct call_sched *s, struct call *c, uint64_t at);
/* Moves c to `at` only when that is sooner than its current time. */
int call_sched_sooner(struct call_sched *s, struct call *c, uint64_t at);
void call_sched_remove(struct call_sched *s, struct call *c);
/* The call due first when it is due at now_ns, else NULL (it stays in the heap). */
struct call *call_sched_due(const struct call_sched *s, uint64_t now_ns);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_RATELIMIT_H
#define PIERCE_PROXY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A token bucket per source IP, so one flooder cannot starve the others. A
 * fixed table: a source that collides with a busy slot takes it over once that
 * slot's bucket is full again (idle), otherwise shares its bucket.
 */
#define RL_SLOTS 4096

struct rl_slot {
	struct sockaddr_storage ip; /* port 0 */
	double tokens;
	uint64_t last_ms;
};

struct ratelimit {
	double rate;  /* tokens per second; 0 disables */
	double burst; /* bucket size */
	struct rl_slot *slots;
};

int rl_init(struct ratelimit *rl, unsigned per_second);
void rl_free(struct ratelimit *rl);
/* True when a message from src may be processed now. */
bool rl_allow(struct ratelimit *rl, const struct sockaddr_storage *src, uint64_t now_ms);

#endif

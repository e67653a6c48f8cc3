/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_NG_H
#define PIERCE_PROXY_NG_H

#include <stdbool.h>
#include <stdint.h>

#include "bencode.h"
#include "proxy.h"

/*
 * The relay client: ng commands ("<cookie> <bencoded dict>") over UDP, resent
 * once, then given up on (or, for a new call, tried on the next relay).
 */
#define NG_TIMEOUT_MS 1000
#define NG_RESEND_MS 400

/* reply is NULL when no relay answered; relay is the index that answered. */
typedef void (*ng_done_fn)(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *reply);

int ng_open(struct proxy *p);
void ng_close(struct proxy *p);
/* Sends the dictionary in body (taken over) to relay; with failover, a relay
 * that does not answer is marked and the next healthy one is tried. */
int ng_request(struct proxy *p, int relay, bool failover, struct bencode_buf *body, ng_done_fn done,
	       uint64_t ctx);
/* Forgets pending requests for ctx (their callbacks never run). */
void ng_forget(struct proxy *p, uint64_t ctx);
/* Pings every relay; health follows the answers. */
void ng_ping_all(struct proxy *p);

#endif

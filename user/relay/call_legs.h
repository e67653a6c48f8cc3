/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turning a call into data-plane legs, and tearing them down again. */
#ifndef PIERCE_RELAY_CALL_LEGS_H
#define PIERCE_RELAY_CALL_LEGS_H

#include "pierce/abi.h"
#include "relay/relay.h"

/* legs[] index of (relay address i, port) */
uint32_t relay_leg_index(const struct relay *r, unsigned addr, uint16_t port);
/* The leg that receives side s's packets of media m (rtcp: the odd port). */
void call_leg_build(const struct relay *r, const struct call *c, const struct call_media *m, int s, bool rtcp,
		    struct pierce_leg *leg);
/* Writes every leg of the call. reset: the legs start from zero (counters,
 * latch, next-hop cache), which the first install of a call and its first
 * answer want; otherwise the counters are kept. */
int call_legs_install(struct relay *r, struct call *c, bool reset);
/* Clears the call's legs and returns its ports to the pool. */
void call_teardown(struct relay *r, struct call *c);
/* Releases the ports of media [from, n_media) (a failed offer). */
void call_release_media(struct relay *r, struct call *c, unsigned from);

#endif

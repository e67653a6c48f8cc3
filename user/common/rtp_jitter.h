/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_RTP_JITTER_H
#define PIERCE_RTP_JITTER_H

#include <stdint.h>

/*
 * Interarrival jitter, RFC 3550 §6.4.1: for consecutive arrivals i, j,
 * D = (Rj - Ri) - (Sj - Si) in RTP timestamp units, J += (|D| - J) / 16.
 * Arrival times are nanoseconds, converted with the payload's clock rate;
 * the RTP timestamp difference is taken modulo 2^32 (it wraps).
 */
struct rtp_jitter {
	double jitter;     /* J, in timestamp units */
	double jitter_max; /* the highest J reached */
	uint64_t last_arrival_ns;
	uint32_t last_ts;
	int have_last;
};

void rtp_jitter_init(struct rtp_jitter *j);
void rtp_jitter_update(struct rtp_jitter *j, uint64_t arrival_ns, uint32_t rtp_ts, uint32_t clock_rate);
/* J in milliseconds. */
double rtp_jitter_ms(const struct rtp_jitter *j, uint32_t clock_rate);
double rtp_jitter_max_ms(const struct rtp_jitter *j, uint32_t clock_rate);

#endif

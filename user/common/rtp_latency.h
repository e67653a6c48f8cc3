/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_RTP_LATENCY_H
#define PIERCE_RTP_LATENCY_H

#include <stdint.h>

/*
 * A latency histogram of fixed size, so memory stays bounded however long a
 * run is: log-linear buckets (each power of two split into 32), exact below
 * 64 ns and within 1/32 (3.1 %) above, up to 2^38 ns (about 275 s); larger
 * values land in the last bucket. Percentiles report a bucket's upper bound,
 * capped by the largest value recorded, so they never understate.
 */
#define RTP_LAT_SUB_BITS 5
#define RTP_LAT_MAX_BITS 38
#define RTP_LAT_BUCKETS ((RTP_LAT_MAX_BITS - RTP_LAT_SUB_BITS + 1) << RTP_LAT_SUB_BITS)

struct rtp_latency {
	uint64_t count;
	uint64_t min_ns;
	uint64_t max_ns;
	double sum_ns;
	uint32_t buckets[RTP_LAT_BUCKETS]; /* saturate rather than wrap */
};

void rtp_latency_init(struct rtp_latency *l);
void rtp_latency_add(struct rtp_latency *l, uint64_t ns);
/* Adds every sample of src into dst (for totals). */
void rtp_latency_merge(struct rtp_latency *dst, const struct rtp_latency *src);
/* The value at or below which pct percent of the samples lie (0 < pct <= 100);
 * 0 when there are no samples. */
uint64_t rtp_latency_percentile(const struct rtp_latency *l, double pct);

/* Bucket arithmetic, exposed for the tests. */
unsigned rtp_latency_bucket(uint64_t ns);
uint64_t rtp_latency_bucket_upper(unsigned bucket);

#endif

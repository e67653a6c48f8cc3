// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rtp_latency.h"

#include <math.h>
#include <string.h>

#define SUB (1u << RTP_LAT_SUB_BITS)

void rtp_latency_init(struct rtp_latency *l)
{
	memset(l, 0, sizeof(*l));
	l->min_ns = UINT64_MAX;
}

unsigned rtp_latency_bucket(uint64_t ns)
{
	unsigned msb, shift;

	if (ns < 2 * SUB)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	if (msb >= RTP_LAT_MAX_BITS)
		return RTP_LAT_BUCKETS - 1;
	shift = msb - RTP_LAT_SUB_BITS;
	return (shift + 1) * SUB + (unsigned)((ns >> shift) - SUB);
}

uint64_t rtp_latency_bucket_upper(unsigned bucket)
{
	unsigned shift;

	if (bucket < 2 * SUB)
		return bucket;
	shift = bucket / SUB - 1;
	return (((uint64_t)(bucket % SUB + SUB) + 1) << shift) - 1;
}

void rtp_latency_add(struct rtp_latency *l, uint64_t ns)
{
	uint32_t *b = &l->buckets[rtp_latency_bucket(ns)];

	if (*b != UINT32_MAX)
		(*b)++;
	l->count++;
	l->sum_ns += (double)ns;
	if (ns < l->min_ns)
		l->min_ns = ns;
	if (ns > l->max_ns)
		l->max_ns = ns;
}

void rtp_latency_merge(struct rtp_latency *dst, const struct rtp_latency *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < RTP_LAT_BUCKETS; i++) {
		uint64_t sum = (uint64_t)dst->buckets[i] + src->buckets[i];

		dst->buckets[i] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

uint64_t rtp_latency_percentile(const struct rtp_latency *l, double pct)
{
	uint64_t total = 0, rank, seen = 0;

	for (unsigned i = 0; i < RTP_LAT_BUCKETS; i++)
		total += l->buckets[i];
	if (!total)
		return 0;
	rank = (uint64_t)ceil(pct / 100.0 * (double)total);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	for (unsigned i = 0; i < RTP_LAT_BUCKETS; i++) {
		seen += l->buckets[i];
		if (seen >= rank) {
			uint64_t upper = rtp_latency_bucket_upper(i);

			if (i == RTP_LAT_BUCKETS - 1) /* open-ended: values beyond the range */
				return l->max_ns;
			return upper < l->max_ns ? upper : l->max_ns;
		}
	}
	return l->max_ns;
}

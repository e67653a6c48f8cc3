// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rtp_jitter.h"

#include <math.h>
#include <string.h>

void rtp_jitter_init(struct rtp_jitter *j) { memset(j, 0, sizeof(*j)); }

void rtp_jitter_update(struct rtp_jitter *j, uint64_t arrival_ns, uint32_t rtp_ts, uint32_t clock_rate)
{
	if (j->have_last) {
		double arrival_units = ((double)arrival_ns - (double)j->last_arrival_ns) * clock_rate / 1e9;
		double d = arrival_units - (double)(int32_t)(rtp_ts - j->last_ts);

		j->jitter += (fabs(d) - j->jitter) / 16.0;
		if (j->jitter > j->jitter_max)
			j->jitter_max = j->jitter;
	}
	j->last_arrival_ns = arrival_ns;
	j->last_ts = rtp_ts;
	j->have_last = 1;
}

double rtp_jitter_ms(const struct rtp_jitter *j, uint32_t clock_rate)
{
	return clock_rate ? j->jitter * 1000.0 / clock_rate : 0;
}

double rtp_jitter_max_ms(const struct rtp_jitter *j, uint32_t clock_rate)
{
	return clock_rate ? j->jitter_max * 1000.0 / clock_rate : 0;
}

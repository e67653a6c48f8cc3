// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rtpgen.h"

#include <time.h>

uint64_t rtpgen_now_ns(int clock_id)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

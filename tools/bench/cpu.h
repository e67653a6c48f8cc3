/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CPU accounting for the benchmark. /proc/stat's user and system ticks
 * under-count bursty work, so a core's busy time is taken as wall time minus
 * its idle time, cross-checked with the scheduler's own run-time sum
 * (/proc/schedstat), and a thread's time from /proc/PID/schedstat (ns).
 */
#ifndef PIERCE_BENCH_CPU_H
#define PIERCE_BENCH_CPU_H

#include <stdint.h>
#include <sys/types.h>

struct cpu_sample {
	uint64_t wall_ns;      /* CLOCK_MONOTONIC */
	uint64_t idle_ns;      /* idle + iowait of the core, from /proc/stat */
	uint64_t sched_ns;     /* run time of every task on the core, /proc/schedstat (0: none) */
	uint64_t thread_ns;    /* run time of one thread (0 when none is watched) */
};

/* cpu < 0: no core; pid <= 0: no thread. */
int cpu_sample(int cpu, pid_t pid, struct cpu_sample *out);

#endif

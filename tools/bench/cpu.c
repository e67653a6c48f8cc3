// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cpu.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_line_with(const char *path, const char *prefix, char *line, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t plen = strlen(prefix);
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, (int)len, f)) {
		if (!strncmp(line, prefix, plen)) {
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int cpu_sample(int cpu, pid_t pid, struct cpu_sample *out)
{
	char line[512], prefix[24], path[64];
	uint64_t v[10];
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);
	int err;

	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (cpu >= 0) {
		snprintf(prefix, sizeof(prefix), "cpu%d ", cpu);
		err = read_line_with("/proc/stat", prefix, line, sizeof(line));
		if (err)
			return err;
		/* cpuN user nice system idle iowait irq softirq ... */
		if (sscanf(line + strlen(prefix), "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &v[0], &v[1], &v[2], &v[3], &v[4]) != 5 || hz <= 0)
			return -EPROTO;
		out->idle_ns = (v[3] + v[4]) * (1000000000ULL / (uint64_t)hz);
		err = read_line_with("/proc/schedstat", prefix, line, sizeof(line));
		if (err == -ENOENT)
			goto thread; /* kernel without CONFIG_SCHEDSTATS: sched_ns stays 0 */
		if (err)
			return err;
		/* cpuN yld 0 sched goidle ttwu ttwu_local rq_cpu_time run_delay pcount */
		if (sscanf(line + strlen(prefix), "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
			return -EPROTO;
		out->sched_ns = v[6];
	}
thread:
	if (pid > 0) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			return -errno;
		err = fscanf(f, "%" SCNu64, &v[0]) == 1 ? 0 : -EPROTO;
		fclose(f);
		if (err)
			return err;
		out->thread_ns = v[0];
	}
	return 0;
}

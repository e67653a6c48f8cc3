// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "metrics.h"

#include <stdio.h>

static const char *const names[] = {
#define X(name, help) #name,
	PROXY_COUNTERS(X)
#undef X
};
static const char *const helps[] = {
#define X(name, help) help,
	PROXY_COUNTERS(X)
#undef X
};

/* One metric: HELP, TYPE and the sample; suffix is "_total" for counters. */
static size_t put(char *buf, size_t len, size_t at, const char *name, const char *suffix, const char *help,
		  const char *type, unsigned long long v)
{
	int n;

	if (at >= len)
		return at;
	n = snprintf(buf + at, len - at, "# HELP pierce_proxy_%s%s %s\n# TYPE pierce_proxy_%s%s %s\npierce_proxy_%s%s %llu\n",
		     name, suffix, help, name, suffix, type, name, suffix, v);
	if (n < 0)
		return at;
	return at + (size_t)n >= len ? len - 1 : at + (size_t)n;
}

size_t metrics_format(const struct proxy_metrics *m, const char *const *gauge_names,
		      const uint64_t *gauges, unsigned n_gauges, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < PC__COUNT; i++)
		at = put(buf, len, at, names[i], "_total", helps[i], "counter", (unsigned long long)m->c[i]);
	for (unsigned i = 0; i < n_gauges; i++)
		at = put(buf, len, at, gauge_names[i], "", "current value", "gauge", (unsigned long long)gauges[i]);
	return at;
}

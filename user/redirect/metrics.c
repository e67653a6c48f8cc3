// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static size_t append(char *buf, size_t len, size_t off, const char *name, const char *help, const char *type,
		     uint64_t v)
{
	int n;

	if (off >= len)
		return off;
	n = snprintf(buf + off, len - off, "# HELP pierce_redirect_%s %s\n# TYPE pierce_redirect_%s %s\npierce_redirect_%s %" PRIu64 "\n",
		     name, help, name, type, name, v);
	if (n < 0)
		return off;
	return (size_t)n >= len - off ? len : off + (size_t)n; /* len: full, stop */
}

size_t redirect_metrics_format(const struct redirect_metrics *m, size_t bindings, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
#define X(name, help) off = append(buf, len, off, #name, help, "counter", m->name);
	REDIRECT_COUNTERS(X)
#undef X
	off = append(buf, len, off, "bindings", "bindings in the location store", "gauge", bindings);
	return off >= len ? strlen(buf) : off;
}

void redirect_metrics_log(const struct redirect_metrics *m, size_t bindings)
{
	char line[1024];
	size_t off = 0;
	int n;

#define X(name, help)                                                                              \
	if (off < sizeof(line)) {                                                                 \
		n = snprintf(line + off, sizeof(line) - off, "%s=%" PRIu64 " ", #name, m->name);  \
		if (n > 0)                                                                        \
			off += (size_t)n;                                                         \
	}
	REDIRECT_COUNTERS(X)
#undef X
	log_info("metrics: %sbindings=%zu", off < sizeof(line) ? line : "", bindings);
}

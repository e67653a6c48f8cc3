// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "location.h"

#include <errno.h>
#include <string.h>

int location_open(const char *spec, size_t max_bindings, struct location **out)
{
	if (!spec || !strcmp(spec, "memory"))
		return location_mem_open(max_bindings, out);
	/* "redis://host:port" belongs here once a shared backend exists. */
	return -EPROTONOSUPPORT;
}

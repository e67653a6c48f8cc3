/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A fuzz input that stands for several messages in a row: the parts are
 * separated by FUZZ_SEP, a 4-byte marker no protocol here uses. */
#ifndef PIERCE_FUZZ_SPLIT_H
#define PIERCE_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_SEP "\xff\xfe\xfd\xfc"
#define FUZZ_SEP_LEN 4

/* The next part of [*pos, end): its start and length; false when none is left. */
static inline bool fuzz_next_part(const uint8_t **pos, const uint8_t *end, const uint8_t **part, size_t *len)
{
	const uint8_t *p = *pos, *sep;

	if (!p || p > end)
		return false;
	sep = memmem(p, (size_t)(end - p), FUZZ_SEP, FUZZ_SEP_LEN);
	*part = p;
	*len = sep ? (size_t)(sep - p) : (size_t)(end - p);
	*pos = sep ? sep + FUZZ_SEP_LEN : end + 1;
	return true;
}

#endif

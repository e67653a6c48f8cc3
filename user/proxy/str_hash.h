/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_STR_HASH_H
#define PIERCE_PROXY_STR_HASH_H

#include <stdint.h>

/* FNV-1a with its high bits folded down, so a power-of-two mask spreads well. */
static inline uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h ^ (h >> 16);
}

#endif

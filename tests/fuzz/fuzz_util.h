/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the fuzz targets: invariant checks that abort (libFuzzer keeps
 * the input as a crash) and exact-size copies of the input. */
#ifndef PIERCE_FUZZ_UTIL_H
#define PIERCE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                      \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "FUZZ INVARIANT %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* A malloc'd copy of exactly size bytes (1 when empty), so that ASan
 * catches a read one past the end. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	FUZZ_CHECK(p != NULL, "out of memory");
	if (size)
		memcpy(p, data, size);
	return p;
}

/* The same, NUL-terminated (for parsers that take C strings). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	FUZZ_CHECK(p != NULL, "out of memory");
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

#endif

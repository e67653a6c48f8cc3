/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_INET_CSUM_H
#define PIERCE_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The internet checksum (RFC 1071) in host byte order: add 16-bit big-endian
 * words of each piece with inet_csum_add (an odd trailing byte is padded with
 * zero), then inet_csum_fold gives the one's complement of the folded sum.
 * Pieces other than the last must have an even length.
 */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t inet_csum_fold(uint32_t sum);

#endif

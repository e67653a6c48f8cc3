/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_SIP_FRAME_H
#define PIERCE_SIP_FRAME_H

#include <stddef.h>

/*
 * Stream framing for SIP over TCP (RFC 3261 18.3): a message ends Content-Length
 * bytes after the empty line. Leading CRLFs are keep-alives (RFC 5626) and are
 * skipped.
 *
 * Returns 1 with *skip (keep-alive bytes before the message) and *msg_len set
 * when a whole message is buffered, 0 when more bytes are needed, -EMSGSIZE when
 * the message would exceed max, -EBADMSG when the header has no usable
 * Content-Length (mandatory on streams).
 */
int sip_frame(const char *buf, size_t len, size_t max, size_t *skip, size_t *msg_len);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libosip2's SDP message back to text: byte for byte what
 * sdp_message_to_str writes (same lines, same order, same checks), into
 * the caller's buffer, without its per-piece strlen and allocations (they
 * were a twentieth of an offer+answer+delete's cost in the relay). */
#ifndef PIERCE_RELAY_SDP_TEXT_H
#define PIERCE_RELAY_SDP_TEXT_H

#include <stddef.h>

#include <osipparser2/sdp_message.h>

/* The text in buf[0..*len) and a NUL after it: -EBADMSG where
 * sdp_message_to_str fails (a mandatory field missing), -E2BIG when it
 * does not fit size (NUL included). */
int sdp_text(sdp_message_t *m, char *buf, size_t size, size_t *len);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_SIP_SDP_H
#define PIERCE_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * The few SDP facts signalling needs: the session- and media-level connection
 * addresses (c=), the media ports, and whether a relay already rewrote it.
 * Line based and bounded; never allocates.
 */
#define SDP_MAX_MEDIA 16
#define SDP_NORTPPROXY "a=nortpproxy:yes"

struct sdp_conn {
	bool present;
	bool parsed; /* false for an FQDN or garbage: not comparable */
	struct sockaddr_storage addr; /* port 0 */
};

struct sdp_media {
	uint16_t port;
	struct sdp_conn conn; /* media-level c=, if any */
};

struct sdp_info {
	struct sdp_conn session;
	unsigned n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
	bool nortpproxy; /* carries a=nortpproxy:yes: already relayed once */
};

/* -EBADMSG when it is not SDP (no v= line first) or a line is oversized. */
int sdp_parse(const char *body, size_t len, struct sdp_info *out);

/* The connection address that applies to media i (media-level, else session). */
const struct sdp_conn *sdp_media_conn(const struct sdp_info *info, unsigned i);

/* Copies body into out with a=nortpproxy:yes appended to the session section
 * (before the first m=). -ENOSPC when out is too small. */
int sdp_mark_relayed(const char *body, size_t len, char *out, size_t outsz, size_t *outlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The relay's SDP work, on libosip2's SDP parser: read what each m= line
 * offers (address, ports, rtcp, direction, ICE), and write the SDP back with
 * the relay's address and ports in place of the endpoint's.
 */
#ifndef PIERCE_RELAY_SDP_H
#define PIERCE_RELAY_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RSDP_MAX_MEDIA 16
#define RSDP_MAX_LEN 16384          /* largest SDP body accepted or produced */
#define RSDP_LOOP_ATTR "pierce-relay" /* a=pierce-relay:<instance>, written with loop-protect */

enum rsdp_dir { RSDP_SENDRECV = 0, RSDP_SENDONLY, RSDP_RECVONLY, RSDP_INACTIVE };

struct rsdp_media {
	char type[16];                  /* audio, video, ... */
	char proto[32];                 /* RTP/AVP, ... */
	uint16_t port;                  /* 0: disabled stream */
	struct sockaddr_storage addr;   /* c= (media, else session) with port; AF_UNSPEC if none */
	bool zero_addr;                 /* c=0.0.0.0 / :: (old-style hold) */
	uint16_t rtcp_port;             /* a=rtcp, else port + 1 */
	bool rtcp_mux;
	bool ice;                       /* carries ICE attributes */
	enum rsdp_dir dir;
};

struct rsdp_info {
	unsigned n_media;
	struct rsdp_media media[RSDP_MAX_MEDIA];
	bool loop_marker;               /* has a=pierce-relay: (loop protection) */
};

enum rsdp_rtcp_mux { RSDP_MUX_KEEP = 0, RSDP_MUX_STRIP, RSDP_MUX_ADD };

struct rsdp_rewrite {
	/* per media: the relay address (advertised) and RTP port; port 0 keeps the m= port 0 */
	struct sockaddr_storage relay[RSDP_MAX_MEDIA];
	uint16_t port[RSDP_MAX_MEDIA];
	bool remove_ice;
	bool replace_origin;            /* o= address too */
	bool no_rtcp_attr;              /* omit a=rtcp */
	bool keep_zero_addr;            /* leave c=0.0.0.0 holds alone (rtpengine's default) */
	enum rsdp_rtcp_mux rtcp_mux;
	const char *loop_marker;        /* non-NULL: add a=pierce-relay:<this> */
};

/* -EBADMSG unparsable, -E2BIG too long or too many m= lines. */
int rsdp_inspect(const char *sdp, size_t len, struct rsdp_info *out);
/* On success *out is malloc'd (CRLF line ends) and the caller frees it. */
int rsdp_rewrite(const char *sdp, size_t len, const struct rsdp_rewrite *rw, char **out, size_t *out_len);

/* The same, parsing the SDP once for both (an offer or answer needs both):
 * rsdp_inspect_keep leaves the parsed SDP in *keep (NULL on error) for at
 * most one rsdp_rewrite_parsed, which changes it; rsdp_parsed_free(NULL)
 * is a no-op. */
struct rsdp_parsed;
int rsdp_inspect_keep(const char *sdp, size_t len, struct rsdp_info *out, struct rsdp_parsed **keep);
int rsdp_rewrite_parsed(struct rsdp_parsed *p, const struct rsdp_rewrite *rw, char **out, size_t *out_len);
void rsdp_parsed_free(struct rsdp_parsed *p);

#endif

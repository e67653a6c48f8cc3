/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_RTP_PACKET_H
#define PIERCE_RTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* The fixed RTP header (RFC 3550 §5.1), in host byte order once parsed. */
#define RTP_HDR_LEN 12
#define RTP_VERSION 2

struct rtp_hdr {
	uint8_t payload_type; /* 0..127 */
	uint8_t marker;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
};

/*
 * pierce-rtpgen's probe, the first bytes of its payloads: it lets a receiver
 * tell which stream a packet belongs to and when it was sent, whatever
 * address it came from (a relay rewrites those).
 */
#define RTP_PROBE_MAGIC 0x50525447u /* "PRTG" */
#define RTP_PROBE_LEN 16

struct rtp_probe {
	uint32_t stream;  /* sender's stream index */
	uint64_t sent_ns; /* sender's clock, nanoseconds */
};

/* Writes the 12-byte header into buf (>= RTP_HDR_LEN). */
void rtp_hdr_write(uint8_t *buf, const struct rtp_hdr *h);
/* Parses a datagram: -EINVAL if shorter than the header, not version 2, or
 * its CSRC list, extension or padding run past len. *payload_off gets the
 * offset of the payload, *payload_len its length without padding. */
int rtp_hdr_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h, size_t *payload_off,
		  size_t *payload_len);

/* Writes the probe into payload (>= RTP_PROBE_LEN bytes). */
void rtp_probe_write(uint8_t *payload, const struct rtp_probe *p);
/* -ENOENT when the payload is not a probe (too short or no magic). */
int rtp_probe_parse(const uint8_t *payload, size_t len, struct rtp_probe *p);

#endif

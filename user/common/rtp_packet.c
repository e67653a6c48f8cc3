// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rtp_packet.h"

#include <errno.h>

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get_be32(const uint8_t *p) { return (uint32_t)get_be16(p) << 16 | get_be16(p + 2); }

void rtp_hdr_write(uint8_t *buf, const struct rtp_hdr *h)
{
	buf[0] = RTP_VERSION << 6;
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->payload_type & 0x7f));
	put_be16(buf + 2, h->seq);
	put_be32(buf + 4, h->timestamp);
	put_be32(buf + 8, h->ssrc);
}

int rtp_hdr_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h, size_t *payload_off,
		  size_t *payload_len)
{
	size_t off = RTP_HDR_LEN, end = len;

	if (len < RTP_HDR_LEN || buf[0] >> 6 != RTP_VERSION)
		return -EINVAL;
	off += (size_t)(buf[0] & 0x0f) * 4; /* CSRC list */
	if (off > len)
		return -EINVAL;
	if (buf[0] & 0x10) { /* header extension: 4-byte head, then length words */
		if (off + 4 > len)
			return -EINVAL;
		off += 4 + (size_t)get_be16(buf + off + 2) * 4;
		if (off > len)
			return -EINVAL;
	}
	if (buf[0] & 0x20) { /* padding: the last byte counts the padding bytes */
		uint8_t pad = buf[len - 1];

		if (pad == 0 || pad > len - off)
			return -EINVAL;
		end -= pad;
	}
	h->marker = buf[1] >> 7;
	h->payload_type = buf[1] & 0x7f;
	h->seq = get_be16(buf + 2);
	h->timestamp = get_be32(buf + 4);
	h->ssrc = get_be32(buf + 8);
	*payload_off = off;
	*payload_len = end - off;
	return 0;
}

void rtp_probe_write(uint8_t *payload, const struct rtp_probe *p)
{
	put_be32(payload, RTP_PROBE_MAGIC);
	put_be32(payload + 4, p->stream);
	put_be32(payload + 8, (uint32_t)(p->sent_ns >> 32));
	put_be32(payload + 12, (uint32_t)p->sent_ns);
}

int rtp_probe_parse(const uint8_t *payload, size_t len, struct rtp_probe *p)
{
	if (len < RTP_PROBE_LEN || get_be32(payload) != RTP_PROBE_MAGIC)
		return -ENOENT;
	p->stream = get_be32(payload + 4);
	p->sent_ns = (uint64_t)get_be32(payload + 8) << 32 | get_be32(payload + 12);
	return 0;
}

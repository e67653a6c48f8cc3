// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pacing and sending. All streams share one schedule: packet g of the run
 * belongs to stream g % n and is due at t0 + g / (n * rate), so the streams
 * are spread evenly over the packet interval instead of bursting together,
 * and finding what is due costs O(packets), not O(streams). Due packets are
 * written into a batch and leave in one sendmmsg per run of packets that
 * share a socket.
 */
#include "rtpgen.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "rtp_packet.h"
#include "sockaddr.h"

/* A tick sends at most this many packets, so receiving is not starved when
 * the process falls behind (the rest goes out on the next ticks). */
#define MAX_BURST 4096
/* How late the last packets may still go out before the rest is given up. */
#define LATE_GRACE_S 0.1

struct tx_batch {
	struct mmsghdr msgs[RTPGEN_BATCH];
	struct iovec iov[RTPGEN_BATCH];
	unsigned stream[RTPGEN_BATCH];
	unsigned n;
	unsigned sock;
	uint8_t buf[RTPGEN_BATCH][RTP_HDR_LEN + RTPGEN_MAX_PAYLOAD];
};

static struct tx_batch batch;

static void flush(struct rtpgen *g)
{
	unsigned done = 0;
	int fd = g->socks[batch.sock].fd;

	while (done < batch.n) {
		int sent = sendmmsg(fd, batch.msgs + done, batch.n - done, 0);

		if (sent < 0) {
			struct rtpgen_stream *s = &g->streams[batch.stream[done]];

			if (errno == EINTR)
				continue;
			if (!s->tx_errors) {
				char buf[SA_STR_MAX];

				log_warn("stream %u: send to %s: %s", batch.stream[done],
					 sa_format(&s->remote, buf, sizeof(buf)), strerror(errno));
			}
			s->tx_errors++;
			done++; /* that datagram is lost; its sequence number shows it */
			continue;
		}
		for (int i = 0; i < sent; i++) {
			struct rtpgen_stream *s = &g->streams[batch.stream[done + (unsigned)i]];

			s->tx_packets++;
			s->tx_bytes += batch.iov[done + (unsigned)i].iov_len;
		}
		done += (unsigned)sent;
	}
	batch.n = 0;
}

static void add_packet(struct rtpgen *g, unsigned idx, uint64_t k)
{
	struct rtpgen_stream *s = &g->streams[idx];
	const struct rtpgen_cfg *c = &g->cfg;
	unsigned slot;
	uint8_t *p;
	struct rtp_hdr h = {
		.payload_type = (uint8_t)c->payload_type,
		.marker = k == 0,
		.seq = s->tx_seq++,
		/* the sampling instant of packet k at the configured rate */
		.timestamp = s->tx_ts0 + (uint32_t)(uint64_t)((double)k * (double)c->clock_rate / c->rate_pps + 0.5),
		.ssrc = s->tx_ssrc,
	};
	struct rtp_probe probe = { .stream = idx };

	if (batch.n && (batch.sock != s->sock || batch.n == RTPGEN_BATCH))
		flush(g);
	slot = batch.n++;
	batch.sock = s->sock;
	batch.stream[slot] = idx;
	p = batch.buf[slot];
	rtp_hdr_write(p, &h);
	probe.sent_ns = rtpgen_now_ns(c->clock_id);
	rtp_probe_write(p + RTP_HDR_LEN, &probe);
	batch.iov[slot].iov_base = p;
	batch.iov[slot].iov_len = RTP_HDR_LEN + (size_t)c->payload_size;
	memset(&batch.msgs[slot], 0, sizeof(batch.msgs[slot]));
	batch.msgs[slot].msg_hdr.msg_name = &s->remote;
	batch.msgs[slot].msg_hdr.msg_namelen = sa_len(&s->remote);
	batch.msgs[slot].msg_hdr.msg_iov = &batch.iov[slot];
	batch.msgs[slot].msg_hdr.msg_iovlen = 1;
}

static bool filler_ready;

/* The payload after the probe never changes: write it once per slot. */
static void init_filler(void)
{
	for (unsigned i = 0; i < RTPGEN_BATCH; i++)
		memset(batch.buf[i] + RTP_HDR_LEN + RTP_PROBE_LEN, 0xd5, RTPGEN_MAX_PAYLOAD - RTP_PROBE_LEN);
	filler_ready = true;
}

int rtpgen_send_due(struct rtpgen *g, uint64_t now_ns)
{
	uint64_t total = g->per_stream_planned * g->nstreams, due;
	double elapsed_s;
	unsigned burst = 0;

	if (g->sending_done)
		return 0;
	if (!filler_ready)
		init_filler();
	elapsed_s = now_ns > g->t0_ns ? (double)(now_ns - g->t0_ns) / 1e9 : 0;
	due = (uint64_t)(elapsed_s * g->cfg.rate_pps * g->nstreams) + 1;
	if (due > total)
		due = total;
	while (g->sent_total < due && burst++ < MAX_BURST) {
		uint64_t gi = g->sent_total++;

		add_packet(g, (unsigned)(gi % g->nstreams), gi / g->nstreams);
	}
	if (batch.n)
		flush(g);
	if (g->sent_total == total) {
		g->sending_done = true;
	} else if (elapsed_s >= g->cfg.duration_s + LATE_GRACE_S) {
		/* The run time stays bounded even when this host cannot keep up:
		 * what is left is reported as unsent, not sent late. */
		g->tx_unsent = total - g->sent_total;
		g->sending_done = true;
		log_warn("could not keep up with %g pps x %u streams: %llu packets not sent (the sender is the "
			 "bottleneck; lower --rate or --streams)",
			 g->cfg.rate_pps, g->nstreams, (unsigned long long)g->tx_unsent);
	}
	return 0;
}

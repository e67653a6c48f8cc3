// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Receiving: recvmmsg batches from a readable socket, each datagram matched
 * to a stream (by the probe in its payload, else by a socket that only one
 * stream uses) and counted. Arrival times are the kernel's receive
 * timestamps (SO_TIMESTAMPNS, realtime), moved onto the clock the probes
 * use, so batching does not blur jitter or latency. In echo mode the
 * datagrams go back to their sources from the same socket.
 */
#include "rtpgen.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "rtp_packet.h"
#include "sockaddr.h"

/* Batches per wakeup of one socket, so one busy socket cannot starve the
 * pacing timer or the other sockets. */
#define MAX_ROUNDS 8
#define RX_BUF 2048

struct rx_batch {
	struct mmsghdr msgs[RTPGEN_BATCH];
	struct iovec iov[RTPGEN_BATCH];
	struct sockaddr_storage from[RTPGEN_BATCH];
	char ctrl[RTPGEN_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	uint8_t buf[RTPGEN_BATCH][RX_BUF];
	struct mmsghdr echo[RTPGEN_BATCH];
};

static struct rx_batch rx;

static void prepare(void)
{
	for (unsigned i = 0; i < RTPGEN_BATCH; i++) {
		struct msghdr *h = &rx.msgs[i].msg_hdr;

		rx.iov[i].iov_base = rx.buf[i];
		rx.iov[i].iov_len = RX_BUF;
		h->msg_name = &rx.from[i];
		h->msg_namelen = sizeof(rx.from[i]);
		h->msg_iov = &rx.iov[i];
		h->msg_iovlen = 1;
		h->msg_control = rx.ctrl[i];
		h->msg_controllen = sizeof(rx.ctrl[i]);
		h->msg_flags = 0;
	}
}

static uint64_t arrival_ns(struct rtpgen *g, struct msghdr *h, uint64_t fallback)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			uint64_t rt;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			rt = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			return rt - g->clock_offset_ns;
		}
	}
	return fallback;
}

static int match_stream(const struct rtpgen *g, unsigned sock, bool have_probe, const struct rtp_probe *probe)
{
	if (have_probe && probe->stream < g->nstreams)
		return (int)probe->stream;
	if (g->socks[sock].nstreams == 1)
		return (int)g->socks[sock].first_stream;
	return -1;
}

static void account(struct rtpgen *g, unsigned sock, unsigned i, uint64_t arrival)
{
	const uint8_t *pkt = rx.buf[i];
	size_t len = rx.msgs[i].msg_len, off, plen;
	struct rtp_hdr h;
	struct rtp_probe probe;
	bool have_probe;
	struct rtpgen_stream *s;
	enum rtp_seq_verdict v;
	int idx;

	if (rtp_hdr_parse(pkt, len, &h, &off, &plen)) {
		g->rx_invalid++;
		return;
	}
	have_probe = rtp_probe_parse(pkt + off, plen, &probe) == 0;
	idx = match_stream(g, sock, have_probe, &probe);
	if (idx < 0) {
		g->rx_unmatched++;
		return;
	}
	s = &g->streams[idx];
	if (!s->rx_have) {
		s->rx_have = true;
		s->rx_ssrc = h.ssrc;
		s->rx_from = rx.from[i];
		s->rx_first_ns = arrival;
	} else if (h.ssrc != s->rx_ssrc) {
		s->rx_other_ssrc++;
		return;
	}
	s->rx_packets++;
	s->rx_bytes += len;
	s->rx_last_ns = arrival;
	v = rtp_seq_update(&s->seq, h.seq);
	if (v == RTP_SEQ_DUPLICATE || v == RTP_SEQ_STRAY)
		return;
	rtp_jitter_update(&s->jitter, arrival, h.timestamp, (uint32_t)g->cfg.clock_rate);
	if (have_probe)
		rtp_latency_add(s->latency, arrival > probe.sent_ns ? arrival - probe.sent_ns : 0);
}

/* Sends the batch's valid RTP datagrams back where they came from. */
static void echo_back(struct rtpgen *g, unsigned sock, unsigned n)
{
	unsigned m = 0, done = 0;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &rx.echo[m].msg_hdr;

		if (rx.msgs[i].msg_len < RTP_HDR_LEN || rx.buf[i][0] >> 6 != RTP_VERSION)
			continue;
		memset(&rx.echo[m], 0, sizeof(rx.echo[m]));
		rx.iov[i].iov_len = rx.msgs[i].msg_len;
		h->msg_name = &rx.from[i];
		h->msg_namelen = rx.msgs[i].msg_hdr.msg_namelen;
		h->msg_iov = &rx.iov[i];
		h->msg_iovlen = 1;
		m++;
	}
	while (done < m) {
		int sent = sendmmsg(g->socks[sock].fd, rx.echo + done, m - done, 0);

		if (sent < 0) {
			if (errno == EINTR)
				continue;
			done++; /* skip the datagram the kernel refused */
			continue;
		}
		done += (unsigned)sent;
		g->rx_echoed += (unsigned)sent;
	}
}

int rtpgen_recv(struct rtpgen *g, unsigned sock)
{
	int fd = g->socks[sock].fd;

	for (unsigned round = 0; round < MAX_ROUNDS; round++) {
		uint64_t now;
		int n;

		prepare();
		n = recvmmsg(fd, rx.msgs, RTPGEN_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ECONNREFUSED) /* an ICMP error for an earlier send */
				continue;
			log_err("recvmmsg: %s", strerror(errno));
			return -errno;
		}
		now = rtpgen_now_ns(g->cfg.clock_id);
		g->last_rx_ns = now;
		for (unsigned i = 0; i < (unsigned)n; i++)
			account(g, sock, i, arrival_ns(g, &rx.msgs[i].msg_hdr, now));
		if (g->cfg.mode == MODE_ECHO)
			echo_back(g, sock, (unsigned)n);
		if (n < RTPGEN_BATCH)
			return 0;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The benchmark loop: `window` cycles in flight, each with at most one
 * request outstanding, over one UDP socket. The cookie names the slot and
 * the request's generation, so a late or duplicated reply is recognised
 * as stale instead of being taken for the current request.
 *
 * Replies are read in batches (recvmmsg) and the requests they make due go
 * out together (sendmmsg) after each batch: the generator spends its core
 * on the exchange, not on one system call per datagram, so it can keep a
 * fast server busy. Both servers get the same generator. */
#include "ngbench.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

#define RECV_BATCH 64

struct slot {
	bool busy;
	bool failed;             /* a request of this cycle failed */
	enum ngb_cmd cmd;        /* the request in flight */
	uint32_t gen;            /* bumps with every request from this slot */
	uint64_t id;
	uint64_t sent_ns;
};

struct bench {
	const struct ngb_cfg *cfg;
	struct ngb_result *res;
	struct slot *slots;
	char (*req)[NGB_REQ_MAX]; /* each slot's request in flight */
	struct mmsghdr *out;      /* requests built and not yet sent, in order */
	struct iovec *out_iov;
	size_t n_out;
	uint64_t now;             /* read once per batch of replies */
	int fd;
	uint64_t nonce;          /* keeps call-ids of separate runs apart */
	uint64_t deadline_ns;
	bool draining;           /* no new cycles */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void note_error(struct ngb_result *res, const char *cmd, const char *why)
{
	if (!res->first_error[0])
		snprintf(res->first_error, sizeof(res->first_error), "%s: %s", cmd, why);
}

/* Builds the slot's next request and queues it for flush_requests. */
static int send_request(struct bench *b, size_t idx)
{
	struct slot *s = &b->slots[idx];
	char cookie[32];
	int len;

	s->gen++;
	snprintf(cookie, sizeof(cookie), "%zx_%" PRIx32, idx, s->gen);
	len = ngb_build_request(b->req[idx], sizeof(b->req[idx]), cookie, s->cmd, s->id, b->cfg->sdp_ip);
	if (len < 0)
		return len;
	s->sent_ns = b->now;
	b->out_iov[b->n_out] = (struct iovec){ .iov_base = b->req[idx], .iov_len = (size_t)len };
	b->out[b->n_out] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &b->out_iov[b->n_out], .msg_iovlen = 1 } };
	b->n_out++; /* a slot has one request in flight: at most `window` queued */
	b->res->sent[s->cmd]++;
	return 0;
}

/* Sends the queued requests. One the socket refuses is counted as a send
 * failure and left in flight: it times out like a lost request. */
static void flush_requests(struct bench *b)
{
	size_t done = 0;

	while (done < b->n_out) {
		int k = sendmmsg(b->fd, &b->out[done], (unsigned)(b->n_out - done), MSG_DONTWAIT);

		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		b->res->send_failures++;
		done++;
	}
	b->n_out = 0;
}

static bool may_start(const struct bench *b)
{
	const struct ngb_cfg *c = b->cfg;

	if (b->draining)
		return false;
	if (c->cycles > 0 && b->res->started >= (uint64_t)c->cycles)
		return false;
	return b->now < b->deadline_ns;
}

/* Starts a new cycle in a free slot; leaves it free when the run is over. */
static void start_cycle(struct bench *b, size_t idx)
{
	struct slot *s = &b->slots[idx];

	s->busy = false;
	if (!may_start(b))
		return;
	s->busy = true;
	s->failed = false;
	s->cmd = NGB_OFFER;
	s->id = b->nonce + b->res->started++;
	if (send_request(b, idx)) {
		b->res->errors[NGB_OFFER]++;
		note_error(b->res, "offer", "send failed");
		s->busy = false;
	}
}

/* The request in flight in slot idx is over (ok or not): next step. */
static void advance(struct bench *b, size_t idx, bool ok)
{
	struct slot *s = &b->slots[idx];

	if (!ok)
		s->failed = true;
	/* a refused offer made no session; anything else gets its delete */
	if (s->cmd == NGB_DELETE || (s->cmd == NGB_OFFER && !ok && s->sent_ns == 0) ||
	    (b->cfg->hold && s->cmd == NGB_ANSWER && ok)) {
		if (!s->failed)
			b->res->completed++;
		start_cycle(b, idx);
		return;
	}
	s->cmd = (s->cmd == NGB_OFFER && ok) ? NGB_ANSWER : NGB_DELETE;
	if (send_request(b, idx)) {
		b->res->errors[s->cmd]++;
		note_error(b->res, ngb_cmd_names[s->cmd], "send failed");
		s->failed = true;
		start_cycle(b, idx);
	}
}

static void on_reply(struct bench *b, const char *buf, size_t len)
{
	const char *cookie;
	size_t clen = 0, idx;
	char why[128], ck[32], *end;
	unsigned long gen;
	struct slot *s;
	int r = ngb_parse_reply(buf, len, &cookie, &clen, why, sizeof(why));

	if (r < 0 && !clen) {
		b->res->stale++;
		return;
	}
	if (clen >= sizeof(ck)) {
		b->res->stale++;
		return;
	}
	memcpy(ck, cookie, clen);
	ck[clen] = '\0';
	idx = strtoul(ck, &end, 16);
	if (*end != '_' || idx >= (size_t)b->cfg->window) {
		b->res->stale++;
		return;
	}
	gen = strtoul(end + 1, &end, 16);
	s = &b->slots[idx];
	if (*end || !s->busy || gen != s->gen) {
		b->res->stale++;
		return;
	}
	ngb_lat_add(&b->res->lat[s->cmd], (b->now - s->sent_ns) / 1000);
	b->res->reply_bytes[s->cmd] += len;
	if (len > b->res->reply_bytes_max[s->cmd])
		b->res->reply_bytes_max[s->cmd] = len;
	if (r == 1) {
		b->res->ok[s->cmd]++;
		advance(b, idx, true);
		return;
	}
	b->res->errors[s->cmd]++;
	note_error(b->res, ngb_cmd_names[s->cmd], why);
	if (s->cmd == NGB_OFFER)
		s->sent_ns = 0; /* refused: no session to delete */
	advance(b, idx, false);
}

/* Requests sent more than the timeout before `seen` that still have no
 * reply. `seen` is read before the socket was last drained: a reply that
 * arrived by then has been taken, so a generator that lost its CPU for a
 * while (shared machine) does not count replies waiting in its socket as
 * timeouts. */
static void check_timeouts(struct bench *b, uint64_t seen)
{
	uint64_t limit = (uint64_t)b->cfg->timeout_ms * 1000000ull;
	size_t i;

	for (i = 0; i < (size_t)b->cfg->window; i++) {
		struct slot *s = &b->slots[i];

		if (!s->busy || seen < s->sent_ns || seen - s->sent_ns < limit)
			continue;
		b->res->timeouts[s->cmd]++;
		note_error(b->res, ngb_cmd_names[s->cmd], "timed out");
		advance(b, i, false);
	}
}

static size_t busy_slots(const struct bench *b)
{
	size_t i, n = 0;

	for (i = 0; i < (size_t)b->cfg->window; i++)
		n += b->slots[i].busy;
	return n;
}

static int drain_socket(struct bench *b)
{
	static char bufs[RECV_BATCH][NGB_MSG_MAX];
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	int i, n;

	for (i = 0; i < RECV_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	for (;;) {
		n = recvmmsg(b->fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
		b->now = now_ns(); /* the replies of this batch arrived by now */
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				b->res->stale++; /* larger than any reply we wait for */
				continue;
			}
			on_reply(b, bufs[i], msgs[i].msg_len);
		}
		flush_requests(b); /* the next requests of the cycles just advanced */
		if (n < RECV_BATCH)
			return 0;
	}
}

static int open_socket(const struct sockaddr_storage *server)
{
	int fd = socket(server->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sz = 4 << 20;

	if (fd < 0)
		return -errno;
	/* best effort: a larger buffer only absorbs bursts of replies */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (connect(fd, (const struct sockaddr *)server, sa_len(server))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int ngb_run(const struct ngb_cfg *cfg, struct ngb_result *res)
{
	struct bench b = { .cfg = cfg, .res = res, .fd = -1 };
	uint64_t t0, stop_by, seen;
	size_t i;
	int ret;

	b.slots = calloc((size_t)cfg->window, sizeof(*b.slots));
	b.req = calloc((size_t)cfg->window, sizeof(*b.req));
	b.out = calloc((size_t)cfg->window, sizeof(*b.out));
	b.out_iov = calloc((size_t)cfg->window, sizeof(*b.out_iov));
	if (!b.slots || !b.req || !b.out || !b.out_iov) {
		ret = -ENOMEM;
		goto out;
	}
	ret = open_socket(&cfg->server);
	if (ret < 0)
		goto out;
	b.fd = ret;
	if (getrandom(&b.nonce, sizeof(b.nonce), 0) != sizeof(b.nonce))
		b.nonce = now_ns();
	b.nonce = (b.nonce & 0xffffffffull) << 24;
	res->first_id = b.nonce;
	t0 = b.now = now_ns();
	b.deadline_ns = t0 + (uint64_t)(cfg->duration_s * 1e9);
	/* after the deadline, in-flight cycles get their timeout to finish */
	stop_by = b.deadline_ns + 3ull * (uint64_t)cfg->timeout_ms * 1000000ull;
	for (i = 0; i < (size_t)cfg->window; i++)
		start_cycle(&b, i);
	flush_requests(&b);
	while (busy_slots(&b) > 0) {
		struct pollfd pfd = { .fd = b.fd, .events = POLLIN };

		if (now_ns() >= b.deadline_ns)
			b.draining = true;
		if (now_ns() >= stop_by) {
			log_warn("giving up on %zu cycles still in flight", busy_slots(&b));
			break;
		}
		/* spinning: a reply finds nobody asleep, so the server's send does
		 * not pay for waking us (the generator has a core of its own) */
		ret = cfg->busy_poll ? 1 : poll(&pfd, 1, 5);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		seen = b.now = now_ns();
		ret = drain_socket(&b); /* also after a poll timeout: see check_timeouts */
		if (ret) {
			log_err("receive: %s", strerror(-ret));
			goto out;
		}
		check_timeouts(&b, seen);
		flush_requests(&b);
	}
	res->elapsed_s = (double)(now_ns() - t0) / 1e9;
	ret = 0;
out:
	if (b.fd >= 0)
		close(b.fd);
	free(b.out_iov);
	free(b.out);
	free(b.req);
	free(b.slots);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ng_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "relay/ng_legs_batch.h"
#include "sockaddr.h"

#define NG_DGRAM_MAX 65536
#define NG_BATCH 32  /* datagrams per recvmmsg, replies per sendmmsg */
#define NG_BURST 64  /* datagrams per wakeup, so the loop stays fair */
#define NG_RCVBUF (4 << 20)

uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool allowed(const struct ng_server *s, const struct sockaddr_storage *from)
{
	for (unsigned i = 0; i < s->n_allow; i++)
		if (cidr_contains(&s->allow[i], from))
			return true;
	return false;
}

/* One batch's datagrams and replies. Static: one event loop; only the
 * pages a datagram or reply touches become resident. */
struct ng_batch {
	char in[NG_BATCH][NG_DGRAM_MAX];
	char out[NG_BATCH][NG_REPLY_BUF];
	struct sockaddr_storage from[NG_BATCH];
	struct iovec in_iov[NG_BATCH], out_iov[NG_BATCH];
	struct mmsghdr in_msg[NG_BATCH], out_msg[NG_BATCH];
	struct ng_legs_batch legs;  /* the batch's leg writes, one system call */
};

static void prepare_receive(struct ng_batch *b)
{
	for (unsigned i = 0; i < NG_BATCH; i++) {
		b->in_iov[i] = (struct iovec){ .iov_base = b->in[i], .iov_len = sizeof(b->in[i]) };
		b->in_msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
							      .msg_iov = &b->in_iov[i], .msg_iovlen = 1 } };
	}
}

/* Sends replies [0, n) with as few syscalls as the socket allows; a reply
 * the socket refuses is logged and skipped, the rest still go. */
static void send_replies(struct ng_server *s, struct ng_batch *b, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int k = sendmmsg(s->fd, &b->out_msg[done], n - done, MSG_DONTWAIT);

		if (k > 0) {
			done += (unsigned)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		{
			char who[SA_STR_MAX];

			log_warn("ng: reply to %s: %s",
				 sa_format(b->out_msg[done].msg_hdr.msg_name, who, sizeof(who)),
				 k < 0 ? strerror(errno) : "not sent");
		}
		done++;
	}
}

/* Reads up to NG_BATCH requests, answers them, sends the replies in one
 * go; the number of datagrams read, 0 when the socket is empty. */
static int serve_batch(struct ng_server *s, struct ng_batch *b)
{
	char who[SA_STR_MAX];
	unsigned n_out = 0;
	uint64_t now;
	int n;

	prepare_receive(b);
	n = recvmmsg(s->fd, b->in_msg, NG_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("ng: recvmmsg: %s", strerror(errno));
		return 0;
	}
	now = mono_now_ns(); /* one clock read per batch: it is served within microseconds */
	ng_legs_batch_begin(&b->legs, s->relay);
	for (int i = 0; i < n; i++) {
		struct mmsghdr *in = &b->in_msg[i];
		struct sockaddr_storage *from = &b->from[i];
		size_t rlen = 0;

		if (!allowed(s, from)) {
			s->relay->cnt.ng_denied++;
			log_debug("ng: ignored a request from %s (not in --ng-allow)", sa_format(from, who, sizeof(who)));
			continue;
		}
		if ((in->msg_hdr.msg_flags & MSG_TRUNC) ||
		    ng_process_into(s->relay, b->in[i], in->msg_len, from, now, b->out[n_out], sizeof(b->out[n_out]),
				    &rlen) || !rlen) {
			log_debug("ng: dropped a malformed datagram from %s", sa_format(from, who, sizeof(who)));
			continue;
		}
		b->out_iov[n_out] = (struct iovec){ .iov_base = b->out[n_out], .iov_len = rlen };
		b->out_msg[n_out] = (struct mmsghdr){ .msg_hdr = { .msg_name = from,
								  .msg_namelen = in->msg_hdr.msg_namelen,
								  .msg_iov = &b->out_iov[n_out], .msg_iovlen = 1 } };
		n_out++;
	}
	/* the legs are in the map before anyone reads a reply that names them;
	 * a refused leg (none is, for an index in range) is logged and counted */
	ng_legs_batch_end(&b->legs, s->relay);
	s->relay->cnt.leg_write_errors += b->legs.failed;
	send_replies(s, b, n_out);
	return n;
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	static struct ng_batch batch;
	struct ng_server *s = (struct ng_server *)w;

	for (int done = 0; done < NG_BURST;) {
		int n = serve_batch(s, &batch);

		if (n < NG_BATCH)
			return; /* the socket is empty */
		done += n;
	}
}

int ng_server_start(struct ng_server *s, struct ev_loop *loop, struct relay *r, const struct sockaddr_storage *bind_to,
		    const struct cidr *allow, unsigned n_allow)
{
	char where[SA_STR_MAX];
	int one = 1, rcvbuf = NG_RCVBUF, err = 0;

	memset(s, 0, sizeof(*s));
	s->relay = r;
	s->allow = allow;
	s->n_allow = n_allow;
	s->fd = socket(bind_to->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a proxy's burst (calls set up at once, retransmissions) must queue, not
	 * drop: best effort, FORCE needs CAP_NET_ADMIN, the plain one rmem_max */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s->fd, (const struct sockaddr *)bind_to, sa_len(bind_to)) < 0) {
		err = -errno;
		log_err("ng: cannot bind %s: %s", sa_format(bind_to, where, sizeof(where)), strerror(errno));
		close(s->fd);
		s->fd = -1;
		return err;
	}
	ev_io_init(&s->io, on_readable, s->fd, EV_READ);
	ev_io_start(loop, &s->io);
	log_info("ng: listening on udp %s", sa_format(bind_to, where, sizeof(where)));
	return 0;
}

void ng_server_stop(struct ng_server *s, struct ev_loop *loop)
{
	if (s->fd < 0)
		return;
	ev_io_stop(loop, &s->io);
	close(s->fd);
	s->fd = -1;
}

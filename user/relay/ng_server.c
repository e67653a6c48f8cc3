// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ng_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

#define NG_DGRAM_MAX 65536
#define NG_BURST 64 /* datagrams per wakeup, so the loop stays fair */
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

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ng_server *s = (struct ng_server *)w;
	static char buf[NG_DGRAM_MAX];

	for (int i = 0; i < NG_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		char *reply = NULL, who[SA_STR_MAX];
		size_t rlen = 0;
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("ng: recvfrom: %s", strerror(errno));
			return;
		}
		if (!allowed(s, &from)) {
			s->relay->cnt.ng_denied++;
			log_debug("ng: ignored a request from %s (not in --ng-allow)", sa_format(&from, who, sizeof(who)));
			continue;
		}
		if (ng_process(s->relay, buf, (size_t)n, &from, mono_now_ns(), &reply, &rlen) || !reply) {
			log_debug("ng: dropped a malformed datagram from %s", sa_format(&from, who, sizeof(who)));
			free(reply);
			continue;
		}
		if (sendto(s->fd, reply, rlen, MSG_DONTWAIT, (struct sockaddr *)&from, flen) < 0)
			log_warn("ng: reply to %s: %s", sa_format(&from, who, sizeof(who)), strerror(errno));
		free(reply);
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

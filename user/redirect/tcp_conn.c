// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One accepted TCP connection: bytes are buffered until a whole SIP message
 * is framed, each message is answered on the same connection. A connection
 * that overflows its buffer, sends garbage framing or idles too long is
 * closed; a connection that cannot take a response at once is closed too
 * (responses are small, so that only happens to a peer that stopped reading).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "sip_frame.h"
#include "sockaddr.h"

struct tcp_conn {
	struct tcp_conn *prev, *next;
	struct server *srv;
	int fd;
	ev_io io;
	ev_timer idle;
	struct sockaddr_storage peer;
	size_t len;
	char buf[SERVER_TCP_BUF];
};

static void conn_close(struct tcp_conn *c)
{
	struct server *s = c->srv;

	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->idle);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

static int send_all(struct tcp_conn *c, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int only_crlf(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* Answers every whole message in the buffer; -errno when the connection must go. */
static int drain(struct tcp_conn *c)
{
	size_t off = 0;
	int rc = 0;

	while (off < c->len) {
		size_t skip = 0, mlen = 0;
		char *out = NULL;
		size_t out_len = 0;

		if (only_crlf(c->buf + off, c->len - off)) {
			/* RFC 5626 3.5.1: a CRLFCRLF ping gets a CRLF pong. */
			if (c->len - off >= 4)
				rc = send_all(c, "\r\n", 2);
			off = c->len;
			break;
		}
		rc = sip_frame(c->buf + off, c->len - off, SERVER_TCP_BUF, &skip, &mlen);
		if (rc <= 0)
			break;
		rc = 0;
		server_dispatch(c->srv, c->buf + off + skip, mlen, &c->peer, &out, &out_len);
		off += skip + mlen;
		if (out) {
			rc = send_all(c, out, out_len);
			osip_free(out);
			if (rc) {
				c->srv->r->metrics.send_errors++;
				break;
			}
		}
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	return rc < 0 ? rc : 0;
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = w->data;
	char a[SA_STR_MAX];
	ssize_t n;
	int rc;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		log_debug("tcp %s closed", sa_format(&c->peer, a, sizeof(a)));
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	ev_timer_again(loop, &c->idle);
	rc = drain(c);
	if (rc || c->len == sizeof(c->buf)) {
		log_warn("tcp %s: %s; closing", sa_format(&c->peer, a, sizeof(a)),
			 rc ? strerror(-rc) : "message too large");
		conn_close(c);
	}
}

static void conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	conn_close(w->data);
}

int tcp_conn_accept(struct server *s, int listen_fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct tcp_conn *c;
	int fd;

	fd = accept4(listen_fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("tcp accept: %s", strerror(errno));
		return -errno;
	}
	if (s->nconns >= SERVER_MAX_CONNS) {
		log_warn("tcp: %u connections already; refusing one", s->nconns);
		close(fd);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->peer = peer;
	ev_io_init(&c->io, conn_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(s->loop, &c->io);
	ev_timer_init(&c->idle, conn_idle_cb, 0., SERVER_TCP_IDLE_S);
	c->idle.data = c;
	ev_timer_again(s->loop, &c->idle);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	return 0;
}

void tcp_conn_close_all(struct server *s)
{
	while (s->conns)
		conn_close(s->conns);
}

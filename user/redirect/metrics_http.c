// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A minimal HTTP/1.0 endpoint for the counters, in the Prometheus text
 * format: any GET gets them, then the connection closes. It reads the request
 * first so the close is clean, and bounds everything (clients, bytes, time).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "sockaddr.h"

#define HTTP_MAX_CLIENTS 8
#define HTTP_REQ_MAX     2048
#define HTTP_TIMEOUT_S   5.0
#define HTTP_BODY_MAX    8192

struct http_client {
	struct metrics_http *h;
	int fd; /* -1: slot free */
	ev_io io;
	ev_timer timeout;
	size_t len;
	char req[HTTP_REQ_MAX];
};

struct metrics_http {
	struct server *srv;
	int fd;
	ev_io accept_w;
	struct http_client clients[HTTP_MAX_CLIENTS];
};

static void client_close(struct http_client *c)
{
	struct ev_loop *loop = c->h->srv->loop;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->timeout);
	close(c->fd);
	c->fd = -1;
}

static void client_answer(struct http_client *c)
{
	struct server *s = c->h->srv;
	char body[HTTP_BODY_MAX], head[128];
	size_t blen = redirect_metrics_format(&s->r->metrics, s->r->loc->ops->count(s->r->loc), body, sizeof(body));
	int hlen = snprintf(head, sizeof(head),
			    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n",
			    blen);

	/* A few kB into a fresh socket buffer: one non-blocking send each does. */
	if (hlen > 0 && send(c->fd, head, (size_t)hlen, MSG_NOSIGNAL | MSG_DONTWAIT) == hlen)
		send(c->fd, body, blen, MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(c);
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_client *c = w->data;
	ssize_t n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->len == sizeof(c->req) - 1)
		client_answer(c);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_close(w->data);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct metrics_http *h = w->data;
	struct http_client *c = NULL;
	int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < HTTP_MAX_CLIENTS && !c; i++)
		if (h->clients[i].fd < 0)
			c = &h->clients[i];
	if (!c) {
		close(fd); /* all slots busy: a scraper retries */
		return;
	}
	c->fd = fd;
	c->len = 0;
	ev_io_init(&c->io, client_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_timer_init(&c->timeout, client_timeout_cb, HTTP_TIMEOUT_S, 0.);
	c->timeout.data = c;
	ev_timer_start(loop, &c->timeout);
}

int metrics_http_open(struct server *s, const struct sockaddr_storage *addr)
{
	struct metrics_http *h;
	char a[SA_STR_MAX];
	int one = 1, rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->srv = s;
	for (size_t i = 0; i < HTTP_MAX_CLIENTS; i++) {
		h->clients[i].fd = -1;
		h->clients[i].h = h;
	}
	h->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(h->fd, (const struct sockaddr *)addr, sa_len(addr)) < 0 || listen(h->fd, 16) < 0) {
		rc = -errno;
		goto fail;
	}
	ev_io_init(&h->accept_w, accept_cb, h->fd, EV_READ);
	h->accept_w.data = h;
	ev_io_start(s->loop, &h->accept_w);
	s->http = h;
	log_info("metrics on http://%s/", sa_format(addr, a, sizeof(a)));
	return 0;
fail:
	log_err("metrics endpoint %s: %s", sa_format(addr, a, sizeof(a)), strerror(-rc));
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return rc;
}

void metrics_http_close(struct server *s)
{
	struct metrics_http *h = s->http;

	if (!h)
		return;
	for (size_t i = 0; i < HTTP_MAX_CLIENTS; i++)
		if (h->clients[i].fd >= 0)
			client_close(&h->clients[i]);
	ev_io_stop(s->loop, &h->accept_w);
	close(h->fd);
	free(h);
	s->http = NULL;
}

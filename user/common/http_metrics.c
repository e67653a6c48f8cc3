// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "http_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

struct http_client {
	struct http_metrics *h;
	int fd; /* -1: slot free */
	ev_io io;
	ev_timer timer;
	bool writing;
	size_t len;
	char req[HTTP_METRICS_REQ_MAX];
	char *out; /* the whole response while writing */
	size_t out_len, out_off;
};

struct http_metrics {
	struct ev_loop *loop;
	int fd;
	ev_io accept_w;
	http_metrics_render_fn render;
	void *arg;
	struct http_client clients[HTTP_METRICS_CLIENTS];
};

static bool head_complete(const char *req, size_t len)
{
	return memmem(req, len, "\r\n\r\n", 4) || memmem(req, len, "\n\n", 2);
}

int http_metrics_route(const char *req, size_t len)
{
	static const char get[] = "GET ", path[] = "/metrics";
	size_t gl = sizeof(get) - 1, pl = sizeof(path) - 1;

	if (!head_complete(req, len))
		return len >= HTTP_METRICS_REQ_MAX ? 431 : 400;
	if (len < gl || memcmp(req, get, gl))
		return 405;
	if (len >= gl + pl + 1 && !memcmp(req + gl, path, pl) && (req[gl + pl] == ' ' || req[gl + pl] == '?'))
		return 200;
	return 404;
}

static void client_close(struct http_client *c)
{
	ev_io_stop(c->h->loop, &c->io);
	ev_timer_stop(c->h->loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 400: return "Bad Request";
	default: return "Internal Server Error";
	}
}

/* The response, head and body, in c->out; 0 or -errno. */
static int client_prepare(struct http_client *c)
{
	int status = http_metrics_route(c->req, c->len);
	char *body = NULL, head[192];
	size_t blen = 0;
	FILE *f;
	int hl;

	if (status == 200) {
		f = open_memstream(&body, &blen);
		if (!f)
			return -errno;
		if (c->h->render(c->h->arg, f) || ferror(f))
			status = 500;
		if (fclose(f)) {
			free(body);
			return -ENOMEM;
		}
	}
	if (status != 200) {
		free(body);
		body = NULL;
		blen = 0;
	}
	hl = snprintf(head, sizeof(head),
		      "HTTP/1.0 %d %s\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n",
		      status, reason(status), blen);
	c->out = malloc((size_t)hl + blen);
	if (!c->out) {
		free(body);
		return -ENOMEM;
	}
	memcpy(c->out, head, (size_t)hl);
	if (blen)
		memcpy(c->out + hl, body, blen);
	free(body);
	c->out_len = (size_t)hl + blen;
	c->out_off = 0;
	return 0;
}

static void client_write(struct http_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EV_WRITE brings us back */
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_close(c);
}

static void client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_client *c = w->data;
	ssize_t n;

	if (c->writing) {
		client_write(c);
		return;
	}
	n = recv(c->fd, c->req + c->len, sizeof(c->req) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	if (!head_complete(c->req, c->len) && c->len < sizeof(c->req))
		return;
	if (client_prepare(c)) {
		client_close(c);
		return;
	}
	c->writing = true;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
	client_write(c);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_close(w->data);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_metrics *h = w->data;
	struct http_client *c = NULL;
	int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < HTTP_METRICS_CLIENTS && !c; i++)
		if (h->clients[i].fd < 0)
			c = &h->clients[i];
	if (!c) {
		close(fd); /* every slot busy: a scraper retries */
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->writing = false;
	ev_io_init(&c->io, client_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_timer_init(&c->timer, client_timeout_cb, HTTP_METRICS_TIMEOUT_S, 0.);
	c->timer.data = c;
	ev_timer_start(loop, &c->timer);
}

int http_metrics_start(struct ev_loop *loop, const struct sockaddr_storage *at, http_metrics_render_fn render,
		       void *arg, struct http_metrics **out)
{
	struct http_metrics *h;
	char a[SA_STR_MAX];
	int one = 1, err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->render = render;
	h->arg = arg;
	for (size_t i = 0; i < HTTP_METRICS_CLIENTS; i++) {
		h->clients[i].fd = -1;
		h->clients[i].h = h;
	}
	h->fd = socket(at->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(h->fd, (const struct sockaddr *)at, sa_len(at)) < 0 || listen(h->fd, 16) < 0) {
		err = -errno;
		goto fail;
	}
	ev_io_init(&h->accept_w, accept_cb, h->fd, EV_READ);
	h->accept_w.data = h;
	ev_io_start(loop, &h->accept_w);
	log_info("metrics: http://%s/metrics", sa_format(at, a, sizeof(a)));
	*out = h;
	return 0;
fail:
	log_err("metrics: cannot listen on %s: %s", sa_format(at, a, sizeof(a)), strerror(-err));
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return err;
}

void http_metrics_stop(struct http_metrics *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < HTTP_METRICS_CLIENTS; i++)
		if (h->clients[i].fd >= 0)
			client_close(&h->clients[i]);
	ev_io_stop(h->loop, &h->accept_w);
	close(h->fd);
	free(h);
}

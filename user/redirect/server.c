// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

#define UDP_MAX_DGRAM 65535

uint64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int server_dispatch(struct server *s, const char *buf, size_t len, const struct sockaddr_storage *src, char **out,
		    size_t *out_len)
{
	return redirect_handle(s->r, buf, len, src, server_now_ms(), out, out_len);
}

static void udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	static char buf[UDP_MAX_DGRAM + 1];

	for (int i = 0; i < SERVER_UDP_BURST; i++) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		char *out = NULL;
		size_t out_len = 0;
		ssize_t n;

		n = recvfrom(l->udp_fd, buf, UDP_MAX_DGRAM, 0, (struct sockaddr *)&src, &slen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("udp recv: %s", strerror(errno));
			return;
		}
		if (n == 0)
			continue;
		server_dispatch(l->srv, buf, (size_t)n, &src, &out, &out_len);
		if (!out)
			continue;
		/* Stateless: the answer goes back where the request came from (RFC 3581). */
		if (sendto(l->udp_fd, out, out_len, 0, (struct sockaddr *)&src, sa_len(&src)) < 0) {
			char a[SA_STR_MAX];

			l->srv->r->metrics.send_errors++;
			log_warn("udp send to %s: %s", sa_format(&src, a, sizeof(a)), strerror(errno));
		}
		osip_free(out);
	}
}

static void tcp_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;

	for (int i = 0; i < SERVER_UDP_BURST; i++)
		if (tcp_conn_accept(l->srv, l->tcp_fd))
			return;
}

static int open_socket(const struct sockaddr_storage *addr, int type)
{
	int one = 1, fd, err;

	fd = socket(addr->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (addr->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)addr, sa_len(addr)) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 128) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int listener_open(struct server *s, struct listener *l, const struct sockaddr_storage *addr)
{
	char a[SA_STR_MAX];
	int rc;

	l->srv = s;
	l->addr = *addr;
	l->udp_fd = l->tcp_fd = -1;
	rc = open_socket(addr, SOCK_DGRAM);
	if (rc < 0)
		goto fail;
	l->udp_fd = rc;
	rc = open_socket(addr, SOCK_STREAM);
	if (rc < 0)
		goto fail;
	l->tcp_fd = rc;
	ev_io_init(&l->udp_w, udp_cb, l->udp_fd, EV_READ);
	l->udp_w.data = l;
	ev_io_start(s->loop, &l->udp_w);
	ev_io_init(&l->tcp_w, tcp_accept_cb, l->tcp_fd, EV_READ);
	l->tcp_w.data = l;
	ev_io_start(s->loop, &l->tcp_w);
	log_info("listening on %s (udp, tcp)", sa_format(addr, a, sizeof(a)));
	return 0;
fail:
	log_err("cannot listen on %s: %s", sa_format(addr, a, sizeof(a)), strerror(-rc));
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	l->udp_fd = -1;
	return rc;
}

static void listener_close(struct server *s, struct listener *l)
{
	if (l->udp_fd >= 0) {
		ev_io_stop(s->loop, &l->udp_w);
		close(l->udp_fd);
	}
	if (l->tcp_fd >= 0) {
		ev_io_stop(s->loop, &l->tcp_w);
		close(l->tcp_fd);
	}
	l->udp_fd = l->tcp_fd = -1;
}

int server_open(struct server *s, struct ev_loop *loop, struct redirect *r, const struct sockaddr_storage *addrs,
		size_t n)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->r = r;
	if (!n || n > SERVER_MAX_LISTEN)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		rc = listener_open(s, &s->listeners[i], &addrs[i]);
		if (rc)
			goto out;
		s->nlisteners++;
	}
out:
	if (rc)
		server_close(s);
	return rc;
}

void server_close(struct server *s)
{
	tcp_conn_close_all(s);
	metrics_http_close(s);
	for (size_t i = 0; i < s->nlisteners; i++)
		listener_close(s, &s->listeners[i]);
	s->nlisteners = 0;
}

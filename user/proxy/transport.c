// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Sockets and libev watchers: UDP, TCP with Content-Length framing, metrics. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_metrics.h"
#include "log.h"
#include "proxy.h"
#include "sip_frame.h"
#include "sip_msg.h"
#include "sockaddr.h"

/* Bursts of requests (and the relay's replies to a burst of offers) queue
 * instead of being dropped while the loop is busy: 4 MiB, beyond rmem_max when
 * CAP_NET_ADMIN allows (best effort). */
void proxy_big_rcvbuf(int fd)
{
	int sz = 4 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static int open_socket(const struct sockaddr_storage *a, int type)
{
	int fd = socket(a->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM)
		proxy_big_rcvbuf(fd);
	if (a->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, sa_len(a)) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy *p = ev_userdata(loop);
	static char buf[SIP_MAX_MSG + 1];

	for (int i = 0; i < 64; i++) { /* bounded per wakeup, others get their turn */
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(w->fd, buf, SIP_MAX_MSG, 0, (struct sockaddr *)&src, &sl);

		if (n <= 0)
			return;
		proxy_on_message(p, buf, (size_t)n, &src, false);
	}
}

static void tcp_close(struct proxy *p, unsigned idx)
{
	struct tcp_conn *c = p->tcp[idx];

	ev_io_stop(p->loop, &c->w);
	close(c->fd);
	free(c);
	p->tcp[idx] = NULL;
}

static void on_tcp_data(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy *p = ev_userdata(loop);
	struct tcp_conn *c = w->data;
	unsigned idx;
	ssize_t n;

	for (idx = 0; idx < PROXY_MAX_TCP && p->tcp[idx] != c; idx++)
		;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 4 - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		tcp_close(p, idx);
		return;
	}
	c->len += (size_t)n;
	for (;;) {
		size_t skip, mlen;
		int r = sip_frame(c->buf, c->len, SIP_MAX_MSG, &skip, &mlen);

		if (r < 0) {
			log_warn("tcp: closing a connection with a malformed stream (%s)", strerror(-r));
			METRIC_INC(&p->m, rx_bad);
			tcp_close(p, idx);
			return;
		}
		if (r == 0) {
			if (skip) {
				memmove(c->buf, c->buf + skip, c->len - skip);
				c->len -= skip;
			}
			return;
		}
		proxy_on_message(p, c->buf + skip, mlen, &c->peer, true);
		if (!p->tcp[idx])
			return;
		memmove(c->buf, c->buf + skip + mlen, c->len - skip - mlen);
		c->len -= skip + mlen;
	}
}

static void on_tcp_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy *p = ev_userdata(loop);
	struct sockaddr_storage peer;
	socklen_t sl = sizeof(peer);
	int fd = accept4(w->fd, (struct sockaddr *)&peer, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned i;

	if (fd < 0)
		return;
	for (i = 0; i < PROXY_MAX_TCP && p->tcp[i]; i++)
		;
	if (i == PROXY_MAX_TCP) {
		log_warn("tcp: %d connections already, refusing one", PROXY_MAX_TCP);
		close(fd);
		return;
	}
	p->tcp[i] = calloc(1, sizeof(struct tcp_conn));
	if (!p->tcp[i]) {
		close(fd);
		return;
	}
	p->tcp[i]->fd = fd;
	p->tcp[i]->peer = peer;
	ev_io_init(&p->tcp[i]->w, on_tcp_data, fd, EV_READ);
	p->tcp[i]->w.data = p->tcp[i];
	ev_io_start(p->loop, &p->tcp[i]->w);
}

static struct tcp_conn *tcp_find(const struct proxy *p, const struct sockaddr_storage *dst)
{
	for (unsigned i = 0; i < PROXY_MAX_TCP; i++)
		if (p->tcp[i] && sa_equal(&p->tcp[i]->peer, dst))
			return p->tcp[i];
	return NULL;
}

bool proxy_has_tcp(const struct proxy *p, const struct sockaddr_storage *dst)
{
	return tcp_find(p, dst) != NULL;
}

int proxy_send(struct proxy *p, const struct sockaddr_storage *dst, const char *buf, size_t len)
{
	struct tcp_conn *c;
	char a[SA_STR_MAX];

	if (dst->ss_family != AF_INET && dst->ss_family != AF_INET6) {
		/* a caller that never chose a destination: say so, errno means nothing here */
		METRIC_INC(&p->m, tx_errors);
		log_warn("not sending %zu bytes: no destination address (internal routing error)", len);
		return -EDESTADDRREQ;
	}
	c = tcp_find(p, dst);
	if (c) {
		/* messages are small; a short write on a full socket is a lost peer */
		if (write(c->fd, buf, len) != (ssize_t)len)
			goto fail;
		goto ok;
	}
	for (unsigned i = 0; i < p->n_listen; i++) {
		if (p->cfg.listen[i].ss_family != dst->ss_family)
			continue;
		if (sendto(p->udp_fd[i], buf, len, 0, (const struct sockaddr *)dst, sa_len(dst)) != (ssize_t)len)
			goto fail;
		goto ok;
	}
	errno = EAFNOSUPPORT; /* no listener of the destination's family */
fail:
	METRIC_INC(&p->m, tx_errors);
	log_warn("send to %s failed: %s", sa_format(dst, a, sizeof(a)), strerror(errno));
	return -EIO;
ok:
	METRIC_INC(&p->m, tx_messages);
	log_debug("sent %zu bytes to %s:\n%.*s", len, sa_format(dst, a, sizeof(a)), (int)len, buf);
	return 0;
}

int transport_open(struct proxy *p)
{
	char a[SA_STR_MAX];

	for (unsigned i = 0; i < p->cfg.n_listen; i++) {
		int u = open_socket(&p->cfg.listen[i], SOCK_DGRAM);
		int t = u < 0 ? u : open_socket(&p->cfg.listen[i], SOCK_STREAM);

		if (u < 0 || t < 0) {
			log_err("cannot listen on %s: %s", sa_format(&p->cfg.listen[i], a, sizeof(a)),
				strerror(-(u < 0 ? u : t)));
			if (u >= 0)
				close(u);
			return u < 0 ? u : t;
		}
		p->udp_fd[i] = u;
		p->tcp_lfd[i] = t;
		ev_io_init(&p->udp_w[i], on_udp, u, EV_READ);
		ev_io_start(p->loop, &p->udp_w[i]);
		ev_io_init(&p->tcp_lw[i], on_tcp_accept, t, EV_READ);
		ev_io_start(p->loop, &p->tcp_lw[i]);
		p->n_listen++;
		log_info("listening on %s (UDP and TCP)", sa_format(&p->cfg.listen[i], a, sizeof(a)));
	}
	return 0;
}

void transport_close(struct proxy *p)
{
	http_metrics_stop(p->metrics_http);
	p->metrics_http = NULL;
	for (unsigned i = 0; i < PROXY_MAX_TCP; i++)
		if (p->tcp[i])
			tcp_close(p, i);
	for (unsigned i = 0; i < p->n_listen; i++) {
		ev_io_stop(p->loop, &p->udp_w[i]);
		ev_io_stop(p->loop, &p->tcp_lw[i]);
		close(p->udp_fd[i]);
		close(p->tcp_lfd[i]);
	}
	p->n_listen = 0;
}

/* The counters and the gauges counted at scrape time, for http_metrics. */
static int render_metrics(void *arg, FILE *out)
{
	struct proxy *p = arg;
	static const char *const gauges[] = { "registrations", "calls", "transactions", "relays_healthy" };
	static char body[16384];
	uint64_t g[4] = { 0 };
	size_t n;

	g[0] = reg_count(&p->reg, proxy_now_ms());
	for (struct call *c = p->calls; c; c = *(struct call **)c)
		g[1]++;
	for (struct txn *t = p->txns; t; t = *(struct txn **)t)
		g[2]++;
	for (unsigned i = 0; i < p->relays.n; i++)
		g[3] += p->relays.r[i].healthy;
	n = metrics_format(&p->m, gauges, g, 4, body, sizeof(body));
	return fwrite(body, 1, n, out) == n ? 0 : -EIO;
}

int metrics_http_open(struct proxy *p)
{
	p->metrics_http = NULL;
	if (!p->cfg.metrics.ss_family)
		return 0;
	return http_metrics_start(p->loop, &p->cfg.metrics, render_metrics, p, &p->metrics_http);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

#define NG_MAX_REPLY 65535
#define NG_NODES 512

struct ng_req {
	struct ng_req *next;
	struct proxy *p;
	char cookie[24];
	int relay;
	uint32_t tried;
	bool failover;
	bool resent;
	struct bencode_buf body;
	ng_done_fn done;
	uint64_t ctx;
	ev_timer t;
};

static uint32_t rnd32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)rand();
	return v;
}

static void req_free(struct proxy *p, struct ng_req *r)
{
	for (struct ng_req **pp = &p->ng; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	ev_timer_stop(p->loop, &r->t);
	bencode_buf_free(&r->body);
	free(r);
}

static int ng_fd_for(struct proxy *p, const struct sockaddr_storage *a)
{
	return p->ng_fd[a->ss_family == AF_INET6 ? 1 : 0];
}

static int req_transmit(struct ng_req *r)
{
	struct proxy *p = r->p;
	const struct sockaddr_storage *dst = &p->relays.r[r->relay].addr;
	char msg[NG_MAX_REPLY];
	size_t cl = strlen(r->cookie);

	if (cl + 1 + r->body.len > sizeof(msg))
		return -EMSGSIZE;
	memcpy(msg, r->cookie, cl);
	msg[cl] = ' ';
	memcpy(msg + cl + 1, r->body.data, r->body.len);
	METRIC_INC(&p->m, ng_requests);
	if (sendto(ng_fd_for(p, dst), msg, cl + 1 + r->body.len, 0, (const struct sockaddr *)dst, sa_len(dst)) < 0)
		return -errno;
	return 0;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ng_req *r = w->data;
	struct proxy *p = r->p;
	int next;

	if (!r->resent) {
		r->resent = true;
		req_transmit(r);
		ev_timer_set(&r->t, (NG_TIMEOUT_MS - NG_RESEND_MS) / 1000.0, 0);
		ev_timer_start(loop, &r->t);
		return;
	}
	METRIC_INC(&p->m, ng_timeouts);
	relay_pool_mark(&p->relays, (unsigned)r->relay, false);
	/* the relay may be merely slow: skip it for this call even if still "healthy" */
	next = r->failover ? relay_pool_pick(&p->relays, r->tried, rnd32()) : -1;
	if (next >= 0) {
		log_warn("relay %d did not answer, trying relay %d", r->relay, next);
		r->relay = next;
		r->tried |= 1u << next;
		r->resent = false;
		req_transmit(r);
		ev_timer_set(&r->t, NG_RESEND_MS / 1000.0, 0);
		ev_timer_start(loop, &r->t);
		return;
	}
	ng_done_fn done = r->done;
	uint64_t ctx = r->ctx;
	int relay = r->relay;

	req_free(p, r);
	if (done)
		done(p, ctx, relay, NULL);
}

int ng_request(struct proxy *p, int relay, bool failover, struct bencode_buf *body, ng_done_fn done, uint64_t ctx)
{
	struct ng_req *r;
	int ret;

	if (body->err) {
		bencode_buf_free(body);
		return body->err;
	}
	if (relay < 0 || (unsigned)relay >= p->relays.n) {
		bencode_buf_free(body);
		return -EHOSTUNREACH;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		bencode_buf_free(body);
		return -ENOMEM;
	}
	r->p = p;
	snprintf(r->cookie, sizeof(r->cookie), "%08x%08x", rnd32(), (unsigned)(p->next_id++));
	r->relay = relay;
	r->tried = 1u << relay;
	r->failover = failover;
	r->body = *body;
	memset(body, 0, sizeof(*body));
	r->done = done;
	r->ctx = ctx;
	ev_timer_init(&r->t, on_timer, NG_RESEND_MS / 1000.0, 0);
	r->t.data = r;
	ev_timer_start(p->loop, &r->t);
	r->next = p->ng;
	p->ng = r;
	ret = req_transmit(r);
	if (ret)
		log_debug("ng send: %s", strerror(-ret)); /* the timer retries */
	return 0;
}

void ng_forget(struct proxy *p, uint64_t ctx)
{
	struct ng_req *r = p->ng, *next;

	for (; r; r = next) {
		next = r->next;
		if (r->ctx == ctx && r->done)
			r->done = NULL;
	}
}

static void on_reply(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy *p = ev_userdata(loop);
	static char buf[NG_MAX_REPLY + 1];
	static struct bencode_node nodes[NG_NODES];

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(w->fd, buf, NG_MAX_REPLY, 0, (struct sockaddr *)&src, &sl);
		struct bencode_tree tree = { .nodes = nodes, .cap = NG_NODES };
		struct bencode_node *root = NULL;
		struct ng_req *r;
		char *sp;

		if (n <= 0)
			return;
		buf[n] = '\0';
		sp = memchr(buf, ' ', (size_t)n);
		if (!sp)
			continue;
		*sp = '\0';
		for (r = p->ng; r && strcmp(r->cookie, buf); r = r->next)
			;
		if (!r || !sa_equal(&src, &p->relays.r[r->relay].addr))
			continue; /* late, duplicate, or not from the relay asked */
		if (bencode_decode(&tree, sp + 1, (size_t)(n - (sp + 1 - buf)), &root) || root->type != BENCODE_DICT) {
			log_warn("relay %d: undecodable ng reply", r->relay);
			root = NULL;
		}
		relay_pool_mark(&p->relays, (unsigned)r->relay, true);
		ng_done_fn done = r->done;
		uint64_t ctx = r->ctx;
		int relay = r->relay;

		req_free(p, r);
		if (root) {
			const struct bencode_node *res = bencode_dict_get(root, "result");

			if (!res || (!bencode_str_eq(res, "ok") && !bencode_str_eq(res, "pong")))
				METRIC_INC(&p->m, ng_errors);
		}
		if (done)
			done(p, ctx, relay, root);
	}
}

int ng_open(struct proxy *p)
{
	static const int fams[2] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		p->ng_fd[i] = socket(fams[i], SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (p->ng_fd[i] < 0) {
			if (i == 1)
				continue; /* no IPv6 on this host: IPv4 relays still work */
			return -errno;
		}
		proxy_big_rcvbuf(p->ng_fd[i]);
		ev_io_init(&p->ng_w[i], on_reply, p->ng_fd[i], EV_READ);
		ev_io_start(p->loop, &p->ng_w[i]);
	}
	return 0;
}

void ng_close(struct proxy *p)
{
	while (p->ng)
		req_free(p, p->ng);
	for (int i = 0; i < 2; i++)
		if (p->ng_fd[i] >= 0) {
			ev_io_stop(p->loop, &p->ng_w[i]);
			close(p->ng_fd[i]);
			p->ng_fd[i] = -1;
		}
}

static void on_pong(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *reply)
{
	if (!reply)
		log_warn("relay %d does not answer ng ping", relay);
}

void ng_ping_all(struct proxy *p)
{
	for (unsigned i = 0; i < p->relays.n; i++) {
		struct bencode_buf b;

		bencode_buf_init(&b, 256);
		bencode_put_dict(&b);
		bencode_put_kv_str(&b, "command", "ping");
		bencode_put_end(&b);
		ng_request(p, (int)i, false, &b, on_pong, 0);
	}
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_SERVER_H
#define PIERCE_REDIRECT_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "redirect.h"

/*
 * The sockets of pierce-redirect: one UDP socket and one TCP listener per
 * --listen address, the TCP connections they accept, and the optional HTTP
 * metrics endpoint. All watchers run on one libev loop.
 */
#define SERVER_MAX_LISTEN   8
#define SERVER_MAX_CONNS    256   /* TCP connections at once; more are refused */
#define SERVER_TCP_BUF      65536 /* one framed message must fit */
#define SERVER_TCP_IDLE_S   120.0
#define SERVER_UDP_BURST    64    /* datagrams read per wake-up, to stay fair */

struct server;
struct tcp_conn;

struct listener {
	struct server *srv;
	struct sockaddr_storage addr;
	int udp_fd, tcp_fd;
	ev_io udp_w, tcp_w;
};

struct server {
	struct ev_loop *loop;
	struct redirect *r;
	struct listener listeners[SERVER_MAX_LISTEN];
	size_t nlisteners;
	struct tcp_conn *conns; /* doubly linked */
	unsigned nconns;
	struct http_metrics *http;
};

/* Monotonic milliseconds: the clock of the location store. */
uint64_t server_now_ms(void);

/* Binds UDP and TCP on every address; -errno (logged) if any fails. */
int server_open(struct server *s, struct ev_loop *loop, struct redirect *r, const struct sockaddr_storage *addrs,
		size_t n);
void server_close(struct server *s);

/* Runs one message through the redirect logic and returns what to send. */
int server_dispatch(struct server *s, const char *buf, size_t len, const struct sockaddr_storage *src, char **out,
		    size_t *out_len);

/* TCP connections (tcp_conn.c). */
int tcp_conn_accept(struct server *s, int listen_fd);
void tcp_conn_close_all(struct server *s);

/* HTTP metrics endpoint (metrics_http.c): GET /metrics, get the counters. */
int metrics_http_open(struct server *s, const struct sockaddr_storage *addr);
void metrics_http_close(struct server *s);

#endif

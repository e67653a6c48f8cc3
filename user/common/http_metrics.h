/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The /metrics endpoint every pierce daemon serves: Prometheus text over
 * HTTP/1.0, one request per connection, all of it non-blocking on the
 * daemon's libev loop. A slow or silent client costs a slot and a timer,
 * never the loop's time: clients, request bytes and time are all bounded.
 */
#ifndef PIERCE_HTTP_METRICS_H
#define PIERCE_HTTP_METRICS_H

#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>

#define HTTP_METRICS_CLIENTS    8     /* connections served at once; more are closed at accept */
#define HTTP_METRICS_REQ_MAX    2048  /* request bytes read; a longer request gets 431 */
#define HTTP_METRICS_TIMEOUT_S  2.0   /* from accept to the last byte sent */

/* Writes the whole exposition to out; 0 or -errno (the client then gets 500). */
typedef int (*http_metrics_render_fn)(void *arg, FILE *out);

struct http_metrics;

/* Listens on `at` (TCP) and serves GET /metrics with render(arg); any other
 * path is 404, any other method 405. */
int http_metrics_start(struct ev_loop *loop, const struct sockaddr_storage *at, http_metrics_render_fn render,
		       void *arg, struct http_metrics **out);
/* Closes the listener and every open client; NULL is a no-op. */
void http_metrics_stop(struct http_metrics *h);

/* The pure part, for tests: the status line for a request head. */
int http_metrics_route(const char *req, size_t len);

#endif

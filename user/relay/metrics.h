/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text exposition of the relay on GET /metrics. */
#ifndef PIERCE_RELAY_METRICS_H
#define PIERCE_RELAY_METRICS_H

#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>

#include "http_metrics.h"
#include "relay/relay.h"

struct metrics_server {
	struct http_metrics *http; /* NULL: not serving */
};

/* Writes every metric; the data-plane counters come from relay->dp.stats. */
int metrics_render(struct relay *r, FILE *out);
int metrics_start(struct metrics_server *m, struct ev_loop *loop, struct relay *r, const struct sockaddr_storage *at);
void metrics_stop(struct metrics_server *m, struct ev_loop *loop);

#endif

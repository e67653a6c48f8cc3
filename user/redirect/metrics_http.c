// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The redirect server's /metrics, served by the common http_metrics. */
#include <errno.h>
#include <stdio.h>

#include "http_metrics.h"
#include "server.h"

#define HTTP_BODY_MAX 8192

static int render(void *arg, FILE *out)
{
	struct server *s = arg;
	char body[HTTP_BODY_MAX];
	size_t n = redirect_metrics_format(&s->r->metrics, s->r->loc->ops->count(s->r->loc), body, sizeof(body));

	return fwrite(body, 1, n, out) == n ? 0 : -EIO;
}

int metrics_http_open(struct server *s, const struct sockaddr_storage *addr)
{
	return http_metrics_start(s->loop, addr, render, s, &s->http);
}

void metrics_http_close(struct server *s)
{
	http_metrics_stop(s->http);
	s->http = NULL;
}

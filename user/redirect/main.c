// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce-redirect: the SIP redirect server and location service. Proxies
 * publish the users they serve with third-party REGISTERs; an INVITE for one
 * of those users gets a 302 naming the serving proxy.
 */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "location.h"
#include "log.h"
#include "redirect.h"
#include "server.h"
#include "sip_msg.h"

#define EXPIRE_INTERVAL_S 1.0

struct daemon {
	struct redirect r;
	struct server srv;
	struct redirect_config cfg;
	int argc;
	char **argv;
	ev_timer expire_w;
	ev_signal sigint_w, sigterm_w, sighup_w, sigusr1_w;
};

static enum log_level level_of(const struct redirect_config *c)
{
	enum log_level lvl = LOG_LVL_INFO;

	if (c->verbose)
		return LOG_LVL_DEBUG;
	log_parse_level(c->log_level, &lvl);
	return lvl;
}

/* The parts of the config that can change without new sockets. */
static int apply_config(struct daemon *d, const struct redirect_config *c)
{
	struct route_table routes = { 0 };
	int rc;

	for (unsigned i = 0; i < c->n_routes; i++) {
		rc = route_table_put(&routes, &c->routes[i]);
		if (rc) {
			route_table_clear(&routes);
			return rc;
		}
	}
	route_table_clear(&d->r.routes);
	d->r.routes = routes;
	d->r.default_expires = (uint32_t)c->default_expires;
	d->r.max_expires = (uint32_t)c->max_expires;
	memcpy(d->r.registrars, c->registrars, sizeof(d->r.registrars));
	d->r.nregistrars = c->n_registrars;
	log_set_level(level_of(c));
	return 0;
}

static void expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	int n = d->r.loc->ops->expire(d->r.loc, server_now_ms());

	if (n > 0) {
		d->r.metrics.expired += (uint64_t)n;
		log_debug("%d bindings expired", n);
	}
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	redirect_metrics_log(&d->r.metrics, d->r.loc->ops->count(d->r.loc));
}

static void hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	struct redirect_config *c = malloc(sizeof(*c));
	char err[OPTS_ERR_MAX];
	int rc;

	if (!c) {
		log_err("reload: out of memory");
		return;
	}
	rc = config_load(c, d->argc, d->argv, err, sizeof(err));
	if (rc) {
		log_err("reload: %s; keeping the running config", err);
		goto out;
	}
	if (c->n_listen != d->cfg.n_listen || memcmp(c->listen, d->cfg.listen, sizeof(c->listen)) ||
	    strcmp(c->location, d->cfg.location) || c->max_bindings != d->cfg.max_bindings ||
	    memcmp(&c->metrics, &d->cfg.metrics, sizeof(c->metrics)))
		log_warn("reload: listen, location, max-bindings and metrics changes need a restart");
	rc = apply_config(d, c);
	if (rc) {
		log_err("reload: %s; keeping the running config", strerror(-rc));
		goto out;
	}
	log_info("reloaded: %u static routes", c->n_routes);
out:
	free(c);
}

static void start_signal(struct ev_loop *loop, ev_signal *w, void (*cb)(struct ev_loop *, ev_signal *, int),
			 int signum, struct daemon *d)
{
	ev_signal_init(w, cb, signum);
	w->data = d;
	ev_signal_start(loop, w);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	char err[OPTS_ERR_MAX];
	struct ev_loop *loop;
	int rc, status = 1;

	d.argc = argc;
	d.argv = argv;
	rc = config_load(&d.cfg, argc, argv, err, sizeof(err));
	if (rc == OPTS_HELP) {
		opts_usage(redirect_opts, redirect_nopts, stdout, "pierce-redirect");
		return 0;
	}
	if (rc) {
		fprintf(stderr, "pierce-redirect: %s\n", err);
		return 2;
	}
	log_init("pierce-redirect", level_of(&d.cfg), d.cfg.syslog);
	rc = location_open(d.cfg.location, (size_t)d.cfg.max_bindings, &d.r.loc);
	if (rc) {
		fprintf(stderr, "pierce-redirect: location store '%s': %s\n", d.cfg.location,
			rc == -EPROTONOSUPPORT ? "unknown backend (only 'memory' is built in)" : strerror(-rc));
		return 2;
	}
	if (sip_init() || apply_config(&d, &d.cfg)) {
		log_err("cannot initialise");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("cannot create the event loop");
		goto out;
	}
	if (server_open(&d.srv, loop, &d.r, d.cfg.listen, d.cfg.n_listen))
		goto out;
	if (d.cfg.metrics.ss_family && metrics_http_open(&d.srv, &d.cfg.metrics))
		goto out_server;
	ev_timer_init(&d.expire_w, expire_cb, EXPIRE_INTERVAL_S, EXPIRE_INTERVAL_S);
	d.expire_w.data = &d;
	ev_timer_start(loop, &d.expire_w);
	start_signal(loop, &d.sigint_w, stop_cb, SIGINT, &d);
	start_signal(loop, &d.sigterm_w, stop_cb, SIGTERM, &d);
	start_signal(loop, &d.sighup_w, hup_cb, SIGHUP, &d);
	start_signal(loop, &d.sigusr1_w, usr1_cb, SIGUSR1, &d);
	log_info("ready: location store %s, %u static routes, up to %lld bindings, REGISTERs from %s",
		 d.r.loc->ops->name, d.cfg.n_routes, d.cfg.max_bindings,
		 d.cfg.n_registrars ? "the --registrar addresses" : "anyone");
	ev_run(loop, 0);
	redirect_metrics_log(&d.r.metrics, d.r.loc->ops->count(d.r.loc));
	ev_timer_stop(loop, &d.expire_w);
	status = 0;
out_server:
	server_close(&d.srv);
out:
	route_table_clear(&d.r.routes);
	location_close(d.r.loc);
	return status;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pierce-proxy: SIP proxy and registrar that relays media of NATed calls. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ng.h"
#include "options.h"
#include "proxy.h"
#include "sip_msg.h"
#include "sockaddr.h"

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static int saved_argc;
static char **saved_argv;

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	proxy_reload(ev_userdata(loop), saved_argc, saved_argv);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	proxy_on_tick(ev_userdata(loop));
}

static int self_address(struct proxy *p)
{
	const struct sockaddr_storage *l = &p->cfg.listen[0];

	p->self_port = sa_port(l);
	if (p->cfg.advertise[0]) {
		snprintf(p->self_host, sizeof(p->self_host), "%s", p->cfg.advertise);
	} else {
		char ip[SA_STR_MAX];

		sa_format_ip(l, ip, sizeof(ip));
		if (!strcmp(ip, "0.0.0.0") || !strcmp(ip, "::")) {
			log_err("--advertise is needed when listening on a wildcard address");
			return -EINVAL;
		}
		snprintf(p->self_host, sizeof(p->self_host), l->ss_family == AF_INET6 ? "[%s]" : "%s", ip);
	}
	if (strchr(p->self_host, ':') && p->self_host[0] != '[') {
		char b[sizeof(p->self_host)];

		snprintf(b, sizeof(b), "[%.60s]", p->self_host);
		memcpy(p->self_host, b, sizeof(b));
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct proxy px;
	struct proxy *p = &px;
	char err[OPTS_ERR_MAX];
	ev_signal sint, sterm, shup;
	unsigned rate = 0;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	saved_argc = argc;
	saved_argv = argv;
	ret = proxy_config_load(&p->cfg, argc, argv, err, sizeof(err));
	if (ret == OPTS_HELP)
		return 0;
	if (ret) {
		fprintf(stderr, "pierce-proxy: %s\n", err);
		return 2;
	}
	log_init("pierce-proxy", p->cfg.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, false);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	nat_policy_parse(p->cfg.nat_policy, &p->nat_policy);
	proxy_rate_parse(p->cfg.rate_limit, &rate);
	for (unsigned i = 0; i < p->cfg.n_relays; i++) {
		struct sockaddr_storage a;
		unsigned w;

		relay_spec_parse(p->cfg.relays[i], &a, &w);
		relay_pool_add(&p->relays, &a, w);
	}
	p->ng_fd[0] = p->ng_fd[1] = -1;
	if (self_address(p) || sip_init() || reg_init(&p->reg, 8192) || rl_init(&p->rl, rate))
		return 1;
	p->loop = ev_default_loop(0);
	ev_set_userdata(p->loop, p);
	ret = transport_open(p);
	if (!ret)
		ret = ng_open(p);
	if (!ret)
		ret = metrics_http_open(p);
	if (ret) {
		transport_close(p);
		return 1;
	}
	ev_signal_init(&sint, on_signal, SIGINT);
	ev_signal_init(&sterm, on_signal, SIGTERM);
	ev_signal_init(&shup, on_hup, SIGHUP);
	ev_signal_start(p->loop, &sint);
	ev_signal_start(p->loop, &sterm);
	ev_signal_start(p->loop, &shup);
	ev_timer_init(&p->tick, on_tick, 1.0, 1.0);
	ev_timer_start(p->loop, &p->tick);
	log_info("pierce-proxy as %s:%u, %u domain(s), %u relay(s), nat-policy %s", p->self_host, p->self_port,
		 p->cfg.n_domains, p->relays.n, p->cfg.nat_policy);
	ng_ping_all(p);
	ev_run(p->loop, 0);
	proxy_shutdown(p);
	ng_close(p);
	transport_close(p);
	reg_free(&p->reg);
	rl_free(&p->rl);
	return 0;
}

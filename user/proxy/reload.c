// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SIGHUP: read the command line and config file again and apply what can
 * change while running. Sockets stay as they are. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "proxy.h"
#include "sockaddr.h"

static bool listen_changed(const struct proxy_config *a, const struct proxy_config *b)
{
	if (a->n_listen != b->n_listen || strcmp(a->advertise, b->advertise) || !sa_equal(&a->metrics, &b->metrics))
		return true;
	for (unsigned i = 0; i < a->n_listen; i++)
		if (!sa_equal(&a->listen[i], &b->listen[i]))
			return true;
	return false;
}

int proxy_reload(struct proxy *p, int argc, char *const argv[])
{
	struct proxy_config n;
	struct ratelimit rl;
	struct sockaddr_storage addrs[RELAY_MAX];
	unsigned weights[RELAY_MAX], rate = 0;
	char err[OPTS_ERR_MAX];
	int ret;

	ret = proxy_config_load(&n, argc, argv, err, sizeof(err));
	if (ret) {
		log_err("SIGHUP: configuration not reloaded: %s", ret == OPTS_HELP ? "--help" : err);
		return -EINVAL;
	}
	/* validated by proxy_config_load: these parse */
	proxy_rate_parse(n.rate_limit, &rate);
	for (unsigned i = 0; i < n.n_relays; i++)
		relay_spec_parse(n.relays[i], &addrs[i], &weights[i]);
	if (rl_init(&rl, rate)) {
		log_err("SIGHUP: configuration not reloaded: out of memory");
		return -ENOMEM;
	}
	rl_free(&p->rl);
	p->rl = rl; /* buckets start full again */
	log_set_level(n.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	nat_policy_parse(n.nat_policy, &p->nat_policy);
	if (relay_pool_reload(&p->relays, addrs, weights, n.n_relays))
		log_err("SIGHUP: more than %d relays ever configured: new ones left out", RELAY_MAX);
	if (listen_changed(&p->cfg, &n))
		log_warn("SIGHUP: --listen, --advertise and --metrics need a restart; kept the running ones");
	memcpy(n.listen, p->cfg.listen, sizeof(n.listen));
	n.n_listen = p->cfg.n_listen;
	memcpy(n.advertise, p->cfg.advertise, sizeof(n.advertise));
	n.metrics = p->cfg.metrics;
	p->cfg = n; /* domains, redirect and the strings above */
	log_info("SIGHUP: reloaded: %u domain(s), %u relay(s) listed, nat-policy %s, rate-limit %s, log %s",
		 n.n_domains, n.n_relays, n.nat_policy, n.rate_limit[0] ? n.rate_limit : "off",
		 n.verbose ? "debug" : "info");
	return 0;
}

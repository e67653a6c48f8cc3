// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pierce-proxy's one option table: command line and config file. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "proxy.h"
#include "sockaddr.h"

#define F(field) offsetof(struct proxy_config, field)

static const struct opt_def defs[] = {
	{ .name = "listen", .type = OPT_HOSTPORT, .offset = F(listen), .max_count = PROXY_MAX_LISTEN,
	  .count_offset = F(n_listen), .default_port = 5060, .metavar = "IP:PORT",
	  .help = "SIP address, UDP and TCP" },
	{ .name = "advertise", .type = OPT_STRING, .offset = F(advertise), .size = sizeof(((struct proxy_config *)0)->advertise),
	  .metavar = "IP", .help = "address put in Via, Record-Route and Contact" },
	{ .name = "domain", .type = OPT_STRING, .offset = F(domains), .size = PROXY_DOMAIN_MAX,
	  .max_count = PROXY_MAX_DOMAINS, .count_offset = F(n_domains), .metavar = "DOMAIN",
	  .help = "domain served by the registrar" },
	{ .name = "relay", .type = OPT_STRING, .offset = F(relays), .size = 128, .max_count = RELAY_MAX,
	  .count_offset = F(n_relays), .metavar = "udp:HOST:PORT[=WEIGHT]", .help = "ng relay" },
	{ .name = "redirect", .type = OPT_HOSTPORT, .offset = F(redirect), .default_port = 5060,
	  .metavar = "HOST:PORT", .help = "pierce-redirect" },
	{ .name = "nat-policy", .type = OPT_STRING, .offset = F(nat_policy), .size = 16,
	  .metavar = "auto|always|never", .help = "when to relay media" },
	{ .name = "rate-limit", .type = OPT_STRING, .offset = F(rate_limit), .size = 32, .metavar = "N/s",
	  .help = "messages per second per source address (0: off)" },
	{ .name = "config", .type = OPT_STRING, .offset = F(config), .size = 256, .cli_only = true,
	  .metavar = "FILE", .help = "config file with the same names" },
	{ .name = "metrics", .type = OPT_HOSTPORT, .offset = F(metrics), .metavar = "IP:PORT",
	  .help = "Prometheus text endpoint" },
	{ .name = "republish", .type = OPT_INT, .offset = F(republish_s), .min = 0, .max = 86400, .metavar = "SEC",
	  .help = "publish each binding to pierce-redirect again at least this often, so a restarted one learns them (0: only on REGISTER and when its grant runs out; default 30)" },
	{ .name = "nat-keepalive", .type = OPT_INT, .offset = F(nat_keepalive_s), .min = 0, .max = 3600, .metavar = "SEC",
	  .help = "CRLF keep-alive to contacts registered behind a NAT over UDP, so the NAT keeps their binding (0: off; default 15)" },
	{ .name = "redirect-timeout", .type = OPT_INT, .offset = F(redirect_timeout_s), .min = 1, .max = 32, .metavar = "SEC",
	  .help = "answer 503 when pierce-redirect has not answered a query in this time (default 4)" },
	{ .name = "verbose", .short_name = 'v', .type = OPT_BOOL, .offset = F(verbose), .help = "debug logging" },
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

int proxy_rate_parse(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || (*end && strcmp(end, "/s")) || v > 1000000)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int proxy_config_load(struct proxy_config *cfg, int argc, char *const argv[], char *err, size_t errlen)
{
	const char *file;
	enum nat_policy pol;
	unsigned rate;
	struct sockaddr_storage a;
	unsigned w;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->nat_policy, "auto");
	cfg->republish_s = PROXY_REPUBLISH_DEFAULT_S;
	cfg->nat_keepalive_s = PROXY_NAT_KEEPALIVE_DEFAULT_S;
	cfg->redirect_timeout_s = PROXY_REDIRECT_TIMEOUT_DEFAULT_S;
	file = opts_find(defs, N_DEFS, argc, argv, "config");
	if (file) {
		ret = opts_parse_file(defs, N_DEFS, cfg, file, err, errlen);
		if (ret)
			return ret == -EINVAL ? ret : (snprintf(err, errlen, "--config %s: %s", file, strerror(-ret)), -EINVAL);
	}
	ret = opts_parse_argv(defs, N_DEFS, cfg, argc, argv, err, errlen);
	if (ret == OPTS_HELP) {
		opts_usage(defs, N_DEFS, stdout, "pierce-proxy");
		return OPTS_HELP;
	}
	if (ret)
		return -EINVAL;
	if (!cfg->n_listen) {
		snprintf(err, errlen, "--listen is required");
		return -EINVAL;
	}
	if (!cfg->n_domains) {
		snprintf(err, errlen, "--domain is required");
		return -EINVAL;
	}
	if (!cfg->redirect.ss_family) {
		snprintf(err, errlen, "--redirect is required");
		return -EINVAL;
	}
	if (nat_policy_parse(cfg->nat_policy, &pol)) {
		snprintf(err, errlen, "--nat-policy: '%s' is not auto, always or never", cfg->nat_policy);
		return -EINVAL;
	}
	if (proxy_rate_parse(cfg->rate_limit, &rate)) {
		snprintf(err, errlen, "--rate-limit: '%s' is not N/s", cfg->rate_limit);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->n_relays; i++)
		if (relay_spec_parse(cfg->relays[i], &a, &w)) {
			snprintf(err, errlen, "--relay: '%s' is not udp:IP:PORT[=WEIGHT]", cfg->relays[i]);
			return -EINVAL;
		}
	if (cfg->advertise[0] && sa_parse_ip(cfg->advertise, 0, &a)) {
		snprintf(err, errlen, "--advertise: '%s' is not an IP address", cfg->advertise);
		return -EINVAL;
	}
	return 0;
}

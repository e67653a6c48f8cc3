// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "location.h"
#include "redirect.h"
#include "sockaddr.h"

static int parse_route(const char *value, void *dest, char *err, size_t errlen)
{
	if (route_parse(value, dest)) {
		snprintf(err, errlen, "'%s' is not DOMAIN=IP:PORT", value);
		return -EINVAL;
	}
	return 0;
}

static int parse_ip(const char *value, void *dest, char *err, size_t errlen)
{
	if (sa_parse_ip(value, 0, dest)) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", value);
		return -EINVAL;
	}
	return 0;
}

#define OFF(f) offsetof(struct redirect_config, f)

const struct opt_def redirect_opts[] = {
	{ .name = "listen", .short_name = 'l', .type = OPT_HOSTPORT, .offset = OFF(listen), .max_count = SERVER_MAX_LISTEN,
	  .count_offset = OFF(n_listen), .default_port = 5060, .metavar = "IP:PORT",
	  .help = "SIP address, UDP and TCP (port 5060 when omitted)" },
	{ .name = "location", .type = OPT_STRING, .offset = OFF(location), .size = sizeof(((struct redirect_config *)0)->location),
	  .metavar = "BACKEND", .help = "location store: memory (default)" },
	{ .name = "route", .short_name = 'r', .type = OPT_CUSTOM, .offset = OFF(routes), .size = sizeof(struct route),
	  .max_count = CONFIG_MAX_ROUTES, .count_offset = OFF(n_routes), .parse = parse_route,
	  .metavar = "DOMAIN=IP:PORT", .help = "static route for a domain whose proxy does not register; * for any" },
	{ .name = "registrar", .type = OPT_CUSTOM, .offset = OFF(registrars), .size = sizeof(struct sockaddr_storage),
	  .max_count = REDIRECT_MAX_REGISTRARS, .count_offset = OFF(n_registrars), .parse = parse_ip, .metavar = "IP",
	  .help = "accept REGISTERs only from this proxy address (default: from anyone)" },
	{ .name = "max-bindings", .type = OPT_INT, .offset = OFF(max_bindings), .min = 1, .max = 10000000,
	  .metavar = "N", .help = "bindings the location store holds at most (default 100000)" },
	{ .name = "default-expires", .type = OPT_INT, .offset = OFF(default_expires), .min = 1, .max = REDIRECT_MAX_EXPIRES,
	  .metavar = "S", .help = "binding lifetime when a REGISTER names none (default 3600)" },
	{ .name = "max-expires", .type = OPT_INT, .offset = OFF(max_expires), .min = 1, .max = REDIRECT_MAX_EXPIRES,
	  .metavar = "S", .help = "longer REGISTER lifetimes are cut to this (default 86400)" },
	{ .name = "metrics", .type = OPT_HOSTPORT, .offset = OFF(metrics), .metavar = "IP:PORT",
	  .help = "serve the counters over HTTP here (they are also logged on SIGUSR1)" },
	{ .name = "log-level", .type = OPT_STRING, .offset = OFF(log_level), .size = sizeof(((struct redirect_config *)0)->log_level),
	  .metavar = "LEVEL", .help = "err, warn, info (default) or debug" },
	{ .name = "verbose", .short_name = 'v', .type = OPT_BOOL, .offset = OFF(verbose), .help = "same as --log-level debug" },
	{ .name = "syslog", .type = OPT_BOOL, .offset = OFF(syslog), .help = "log to syslog instead of stderr" },
	{ .name = "config", .short_name = 'c', .type = OPT_STRING, .offset = OFF(config), .size = sizeof(((struct redirect_config *)0)->config),
	  .cli_only = true, .metavar = "FILE", .help = "read `name = value` lines with the names above; SIGHUP re-reads it" },
};
const size_t redirect_nopts = sizeof(redirect_opts) / sizeof(redirect_opts[0]);

void config_defaults(struct redirect_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->location, sizeof(c->location), "memory");
	snprintf(c->log_level, sizeof(c->log_level), "info");
	c->max_bindings = 100000;
	c->default_expires = REDIRECT_DEFAULT_EXPIRES;
	c->max_expires = REDIRECT_MAX_EXPIRES;
}

int config_load(struct redirect_config *c, int argc, char *const argv[], char *err, size_t errlen)
{
	int rc;

	config_defaults(c);
	rc = opts_load(redirect_opts, redirect_nopts, c, argc, argv, err, errlen);
	if (rc)
		return rc;
	if (!c->n_listen) {
		snprintf(err, errlen, "at least one --listen IP:PORT is needed");
		return -EINVAL;
	}
	if (c->default_expires > c->max_expires) {
		snprintf(err, errlen, "--default-expires %lld exceeds --max-expires %lld", c->default_expires,
			 c->max_expires);
		return -EINVAL;
	}
	return 0;
}

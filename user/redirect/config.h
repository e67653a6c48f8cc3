/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_CONFIG_H
#define PIERCE_REDIRECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "options.h"
#include "redirect.h"
#include "routes.h"
#include "server.h"

#define CONFIG_MAX_ROUTES 64

struct redirect_config {
	struct sockaddr_storage listen[SERVER_MAX_LISTEN];
	unsigned n_listen;
	char location[128];
	struct route routes[CONFIG_MAX_ROUTES];
	unsigned n_routes;
	long long max_bindings;
	long long default_expires;
	long long max_expires;
	struct sockaddr_storage registrars[REDIRECT_MAX_REGISTRARS];
	unsigned n_registrars;
	struct sockaddr_storage metrics; /* ss_family 0: no HTTP endpoint */
	char log_level[16];
	bool verbose;
	bool syslog;
	char config[256];
};

extern const struct opt_def redirect_opts[];
extern const size_t redirect_nopts;

void config_defaults(struct redirect_config *c);
/*
 * Defaults, then the --config file, then the command line (also what SIGHUP
 * runs again). Returns 0, OPTS_HELP, or a negative errno with err filled (the
 * caller exits 2 at start-up, keeps the old config on reload).
 */
int config_load(struct redirect_config *c, int argc, char *const argv[], char *err, size_t errlen);

#endif

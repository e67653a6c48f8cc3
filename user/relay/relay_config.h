/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* pierce-relay's settings: one option table for flags and the config file. */
#ifndef PIERCE_RELAY_CONFIG_H
#define PIERCE_RELAY_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "options.h"
#include "pierce/abi.h"

#define RELAY_MAX_IFACES 8
#define RELAY_MAX_ALLOW 32

struct relay_addr_opt {
	struct sockaddr_storage local;
	struct sockaddr_storage advertised;
};

struct cidr {
	struct sockaddr_storage net;
	unsigned prefix;
};

struct relay_config {
	char ifaces[RELAY_MAX_IFACES][IF_NAMESIZE];
	unsigned n_ifaces;
	struct relay_addr_opt addrs[PIERCE_MAX_ADDRS];
	unsigned n_addrs;
	struct opt_port_range ports;
	struct sockaddr_storage ng;
	char pin_dir[256];
	char xdp_mode[16];
	long long timeout, silent_timeout, final_timeout, delete_delay, tos, max_sessions;
	char metrics[80];            /* host:port, or "off" */
	struct cidr ng_allow[RELAY_MAX_ALLOW];
	unsigned n_ng_allow;
	char config[256];
	bool verbose;
	char log_level[16];
	bool syslog;
	char state_file[256];
	bool reserve_ports;
};

extern const struct opt_def relay_opts[];
extern const size_t relay_n_opts;

void relay_config_defaults(struct relay_config *c);
/* Defaults, then --config FILE, then the command line, then checks.
 * Returns 0, OPTS_HELP, or a negative errno with a message in err. */
int relay_config_load(struct relay_config *c, int argc, char *const argv[], char *err, size_t errlen);
bool cidr_contains(const struct cidr *c, const struct sockaddr_storage *ss);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "relay_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sockaddr.h"

/* "IP" or "IP!ADVERTISED" (the address in the SDP when the relay sits behind 1:1 NAT) */
static int parse_address(const char *v, void *dest, char *err, size_t errlen)
{
	struct relay_addr_opt *a = dest;
	char local[INET6_ADDRSTRLEN + 1];
	const char *bang = strchr(v, '!');
	size_t n = bang ? (size_t)(bang - v) : strlen(v);

	if (n >= sizeof(local) || (memcpy(local, v, n), local[n] = '\0', sa_parse_ip(local, 0, &a->local))) {
		snprintf(err, errlen, "'%s' is not IP or IP!ADVERTISED", v);
		return -EINVAL;
	}
	a->advertised = a->local;
	if (bang && sa_parse_ip(bang + 1, 0, &a->advertised)) {
		snprintf(err, errlen, "advertised address '%s' is not an IP address", bang + 1);
		return -EINVAL;
	}
	return 0;
}

static int parse_cidr(const char *v, void *dest, char *err, size_t errlen)
{
	struct cidr *c = dest;
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	long long prefix;
	unsigned max;

	if (n >= sizeof(ip))
		goto bad;
	memcpy(ip, v, n);
	ip[n] = '\0';
	if (sa_parse_ip(ip, 0, &c->net))
		goto bad;
	max = c->net.ss_family == AF_INET ? 32 : 128;
	if (slash) {
		if (opt_parse_int(slash + 1, 0, max, &prefix))
			goto bad;
		c->prefix = (unsigned)prefix;
	} else {
		c->prefix = max;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an address or CIDR (10.0.0.0/8, 2001:db8::/32)", v);
	return -EINVAL;
}

static int parse_xdp_mode(const char *v, void *dest, char *err, size_t errlen)
{
	if (strcmp(v, "native") && strcmp(v, "generic")) {
		snprintf(err, errlen, "'%s' is neither native nor generic", v);
		return -EINVAL;
	}
	snprintf(dest, 16, "%s", v);
	return 0;
}

static int parse_level(const char *v, void *dest, char *err, size_t errlen)
{
	enum log_level l;

	if (log_parse_level(v, &l)) {
		snprintf(err, errlen, "'%s' is not one of err, warn, info, debug", v);
		return -EINVAL;
	}
	snprintf(dest, 16, "%s", v);
	return 0;
}

#define OFF(f) offsetof(struct relay_config, f)
const struct opt_def relay_opts[] = {
	{ .name = "interface", .short_name = 'i', .type = OPT_STRING, .offset = OFF(ifaces), .size = IF_NAMESIZE,
	  .max_count = RELAY_MAX_IFACES, .count_offset = OFF(n_ifaces), .metavar = "IFNAME",
	  .help = "attach the XDP program to this interface" },
	{ .name = "address", .short_name = 'a', .type = OPT_CUSTOM, .offset = OFF(addrs),
	  .size = sizeof(struct relay_addr_opt), .max_count = PIERCE_MAX_ADDRS, .count_offset = OFF(n_addrs),
	  .parse = parse_address, .metavar = "IP[!ADV]", .help = "relay address (v4 or v6), advertised as ADV" },
	{ .name = "ports", .type = OPT_PORTRANGE, .offset = OFF(ports), .metavar = "LOW-HIGH",
	  .help = "relay port range (default 30000-40000)" },
	{ .name = "ng", .type = OPT_HOSTPORT, .offset = OFF(ng), .default_port = 2223, .metavar = "IP:PORT",
	  .help = "ng control socket (default 127.0.0.1:2223)" },
	{ .name = "ng-allow", .type = OPT_CUSTOM, .offset = OFF(ng_allow), .size = sizeof(struct cidr),
	  .max_count = RELAY_MAX_ALLOW, .count_offset = OFF(n_ng_allow), .parse = parse_cidr, .metavar = "CIDR",
	  .help = "accept ng requests only from here (default loopback)" },
	{ .name = "pin-dir", .type = OPT_STRING, .offset = OFF(pin_dir), .size = 256, .metavar = "DIR",
	  .help = "bpffs directory of the pinned maps and links" },
	{ .name = "xdp-mode", .type = OPT_CUSTOM, .offset = OFF(xdp_mode), .size = 16, .parse = parse_xdp_mode,
	  .metavar = "native|generic", .help = "XDP attach mode (default native)" },
	{ .name = "timeout", .type = OPT_INT, .offset = OFF(timeout), .min = 0, .max = 86400, .metavar = "SEC",
	  .help = "end a call after this long without media once media flowed (default 60; 0 off)" },
	{ .name = "silent-timeout", .type = OPT_INT, .offset = OFF(silent_timeout), .min = 0, .max = 864000,
	  .metavar = "SEC", .help = "end a call that never had media after this long (default 3600; 0 off)" },
	{ .name = "final-timeout", .type = OPT_INT, .offset = OFF(final_timeout), .min = 0, .max = 8640000,
	  .metavar = "SEC", .help = "end any call after this long (default 0: never)" },
	{ .name = "delete-delay", .type = OPT_INT, .offset = OFF(delete_delay), .min = 0, .max = 3600,
	  .metavar = "SEC", .help = "keep a deleted call this long (default 30)" },
	{ .name = "tos", .type = OPT_INT, .offset = OFF(tos), .min = -1, .max = 255, .metavar = "TOS",
	  .help = "TOS byte of relayed media (default 184 = EF; -1 leaves it)" },
	{ .name = "max-sessions", .type = OPT_INT, .offset = OFF(max_sessions), .min = 0, .max = 10000000,
	  .metavar = "N", .help = "refuse new calls beyond N (default 0: only ports limit)" },
	{ .name = "metrics", .type = OPT_STRING, .offset = OFF(metrics), .size = 80, .metavar = "IP:PORT|off",
	  .help = "Prometheus /metrics listener (default 127.0.0.1:9812)" },
	{ .name = "state-file", .type = OPT_STRING, .offset = OFF(state_file), .size = 256, .metavar = "FILE",
	  .help = "call records for restart adoption (default /run/pierce/relay-state)" },
	{ .name = "reserve-ports", .type = OPT_BOOL, .offset = OFF(reserve_ports),
	  .help = "keep the kernel's ephemeral ports out of the relay range (default on)" },
	{ .name = "config", .short_name = 'c', .type = OPT_STRING, .offset = OFF(config), .size = 256,
	  .cli_only = true, .metavar = "FILE", .help = "read these settings from FILE first" },
	{ .name = "verbose", .short_name = 'v', .type = OPT_BOOL, .offset = OFF(verbose),
	  .help = "log debug messages" },
	{ .name = "log-level", .type = OPT_CUSTOM, .offset = OFF(log_level), .size = 16, .parse = parse_level,
	  .metavar = "LEVEL", .help = "err, warn, info or debug" },
	{ .name = "syslog", .type = OPT_BOOL, .offset = OFF(syslog), .help = "log to syslog, not stderr" },
};
const size_t relay_n_opts = sizeof(relay_opts) / sizeof(relay_opts[0]);

void relay_config_defaults(struct relay_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ports.min = 30000;
	c->ports.max = 40000;
	sa_parse_hostport("127.0.0.1:2223", 0, &c->ng);
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", PIERCE_PIN_DIR_DEFAULT);
	snprintf(c->xdp_mode, sizeof(c->xdp_mode), "native");
	c->timeout = 60;
	c->silent_timeout = 3600;
	c->delete_delay = 30;
	c->tos = 184;
	snprintf(c->metrics, sizeof(c->metrics), "127.0.0.1:9812");
	snprintf(c->log_level, sizeof(c->log_level), "info");
	snprintf(c->state_file, sizeof(c->state_file), "/run/pierce/relay-state");
	c->reserve_ports = true;
}

static int check(struct relay_config *c, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	if (!c->n_ifaces) {
		snprintf(err, errlen, "--interface is required");
		return -EINVAL;
	}
	if (!c->n_addrs) {
		snprintf(err, errlen, "--address is required");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_addrs; i++)
		for (unsigned j = 0; j < i; j++)
			if (sa_equal_ip(&c->addrs[i].local, &c->addrs[j].local)) {
				snprintf(err, errlen, "--address: the same address is given twice");
				return -EINVAL;
			}
	if (c->ports.max - c->ports.min < 3) {
		snprintf(err, errlen, "--ports: the range must hold at least two even/odd pairs");
		return -EINVAL;
	}
	if (strcmp(c->metrics, "off") && sa_parse_hostport(c->metrics, 9812, &ss)) {
		snprintf(err, errlen, "--metrics: '%s' is not IP:PORT or off", c->metrics);
		return -EINVAL;
	}
	if (!c->n_ng_allow) { /* only this host may control the relay unless told otherwise */
		parse_cidr("127.0.0.0/8", &c->ng_allow[0], err, errlen);
		parse_cidr("::1/128", &c->ng_allow[1], err, errlen);
		c->n_ng_allow = 2;
	}
	return 0;
}

int relay_config_load(struct relay_config *c, int argc, char *const argv[], char *err, size_t errlen)
{
	int rc;

	relay_config_defaults(c);
	rc = opts_load(relay_opts, relay_n_opts, c, argc, argv, err, errlen);
	if (rc)
		return rc;
	return check(c, err, errlen);
}

bool cidr_contains(const struct cidr *c, const struct sockaddr_storage *ss)
{
	const uint8_t *a, *b;
	unsigned bytes, bits;

	if (c->net.ss_family != ss->ss_family)
		return false;
	if (ss->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)&c->net)->sin_addr;
		b = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)&c->net)->sin6_addr;
		b = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	}
	bytes = c->prefix / 8;
	bits = c->prefix % 8;
	if (memcmp(a, b, bytes))
		return false;
	return !bits || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

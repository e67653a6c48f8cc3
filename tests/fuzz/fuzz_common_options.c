// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The option table parser: the config file (`name = value` lines) and the
 * command line, over a table with every option type. Canaries between the
 * config fields catch a write past any one of them, which ASan cannot see
 * inside a struct. Input: the first byte picks the source (even: a config
 * file read through a memfd; odd: argv, NUL-separated), the rest is it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "options.h"

#define CANARY 0x5aa5c33c9669f00fULL

struct cfg {
	uint64_t c0;
	char ifaces[4][16];
	uint64_t c1;
	unsigned n_ifaces;
	long long timeout;
	bool syslog;
	struct sockaddr_storage ng;
	uint64_t c2;
	struct sockaddr_storage peers[3];
	unsigned n_peers;
	uint64_t c3;
	struct opt_port_range ports;
	int level;
	char config[32];
	uint64_t c4;
};

static int parse_level(const char *v, void *dest, char *err, size_t errlen)
{
	if (!strcmp(v, "low") || !strcmp(v, "high")) {
		*(int *)dest = v[0] == 'h' ? 2 : 1;
		return 0;
	}
	snprintf(err, errlen, "'%s' is neither low nor high", v);
	return -EINVAL;
}

static const struct opt_def defs[] = {
	{ .name = "interface", .short_name = 'i', .type = OPT_STRING, .offset = offsetof(struct cfg, ifaces),
	  .size = 16, .max_count = 4, .count_offset = offsetof(struct cfg, n_ifaces), .metavar = "IFNAME" },
	{ .name = "timeout", .short_name = 't', .type = OPT_INT, .offset = offsetof(struct cfg, timeout), .min = -5,
	  .max = 3600 },
	{ .name = "syslog", .type = OPT_BOOL, .offset = offsetof(struct cfg, syslog) },
	{ .name = "ng", .type = OPT_HOSTPORT, .offset = offsetof(struct cfg, ng), .default_port = 2223 },
	{ .name = "peer", .type = OPT_HOSTPORT, .offset = offsetof(struct cfg, peers), .max_count = 3,
	  .count_offset = offsetof(struct cfg, n_peers) },
	{ .name = "ports", .type = OPT_PORTRANGE, .offset = offsetof(struct cfg, ports) },
	{ .name = "level", .type = OPT_CUSTOM, .offset = offsetof(struct cfg, level), .size = sizeof(int),
	  .parse = parse_level },
	{ .name = "config", .short_name = 'c', .type = OPT_STRING, .offset = offsetof(struct cfg, config), .size = 32,
	  .cli_only = true },
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))
#define MAX_ARGS 64

static void check(const struct cfg *c, int rc, const char *err)
{
	FUZZ_CHECK(c->c0 == CANARY && c->c1 == CANARY && c->c2 == CANARY && c->c3 == CANARY && c->c4 == CANARY,
		   "a field overflowed into a canary");
	FUZZ_CHECK(c->n_ifaces <= 4 && c->n_peers <= 3, "counts %u/%u past max_count", c->n_ifaces, c->n_peers);
	for (unsigned i = 0; i < 4; i++)
		FUZZ_CHECK(memchr(c->ifaces[i], 0, 16), "interface %u not terminated", i);
	FUZZ_CHECK(memchr(c->config, 0, sizeof(c->config)), "config not terminated");
	FUZZ_CHECK(memchr(err, 0, OPTS_ERR_MAX), "error message not terminated");
	if (rc && rc != OPTS_HELP)
		FUZZ_CHECK(rc < 0 && err[0], "error %d without a message", rc);
	if (!rc) {
		FUZZ_CHECK(c->timeout >= -5 && c->timeout <= 3600, "timeout %lld out of range", c->timeout);
		FUZZ_CHECK(c->ports.min <= c->ports.max, "port range %u-%u", c->ports.min, c->ports.max);
	}
}

static void init(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->c0 = c->c1 = c->c2 = c->c3 = c->c4 = CANARY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c = malloc(sizeof(*c));
	char err[OPTS_ERR_MAX];
	int rc;

	FUZZ_CHECK(c, "oom");
	init(c);
	memset(err, 0, sizeof(err));
	if (size && data[0] & 1) {
		char *args = fuzz_strdup(data + 1, size - 1);
		char *argv[MAX_ARGS + 1] = { "prog" };
		int argc = 1;

		for (char *p = args; p < args + size - 1 && argc < MAX_ARGS; p += strlen(p) + 1)
			argv[argc++] = p;
		argv[argc] = NULL;
		(void)opts_find(defs, N_DEFS, argc, argv, "config");
		optind = 1;
		rc = opts_parse_argv(defs, N_DEFS, c, argc, argv, err, sizeof(err));
		check(c, rc, err);
		free(args);
	} else {
		int fd = memfd_create("fuzz-config", 0);
		char path[64];

		FUZZ_CHECK(fd >= 0, "memfd_create");
		if (size > 1)
			FUZZ_CHECK(write(fd, data + 1, size - 1) == (ssize_t)(size - 1), "memfd write");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rc = opts_parse_file(defs, N_DEFS, c, path, err, sizeof(err));
		check(c, rc, err);
		close(fd);
	}
	free(c);
	return 0;
}

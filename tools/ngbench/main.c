// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce-ngbench: an ng control-protocol load generator. Each cycle is an
 * offer, an answer and a delete for a fresh call; `--window` cycles run
 * at once, each with one request outstanding. Prints a JSON report and
 * exits 1 when any request failed or timed out.
 */
#include "ngbench.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "sockaddr.h"

static int parse_seconds(const char *value, void *dest, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(v) || v <= 0 || v > 3600) {
		snprintf(err, errlen, "'%s' is not a number of seconds in (0, 3600]", value);
		return -EINVAL;
	}
	*(double *)dest = v;
	return 0;
}

#define CFG(field) offsetof(struct ngb_cfg, field)
#define STR_SIZE(field) sizeof(((struct ngb_cfg *)0)->field)

static const struct opt_def defs[] = {
	{ .name = "server", .type = OPT_HOSTPORT, .offset = CFG(server), .default_port = 2223,
	  .metavar = "IP:PORT", .help = "the ng server (default port 2223); required" },
	{ .name = "duration", .type = OPT_CUSTOM, .offset = CFG(duration_s), .size = sizeof(double),
	  .parse = parse_seconds, .metavar = "SEC", .help = "start cycles for this long (default 10)" },
	{ .name = "cycles", .type = OPT_INT, .offset = CFG(cycles), .min = 0, .max = 1LL << 40,
	  .metavar = "N", .help = "stop after N cycles (default 0: only --duration)" },
	{ .name = "window", .type = OPT_INT, .offset = CFG(window), .min = 1, .max = NGB_MAX_WINDOW,
	  .metavar = "N", .help = "cycles in flight at once (default 32)" },
	{ .name = "timeout-ms", .type = OPT_INT, .offset = CFG(timeout_ms), .min = 1, .max = 60000,
	  .metavar = "MS", .help = "a request unanswered this long has failed (default 1000)" },
	{ .name = "sdp-ip", .type = OPT_STRING, .offset = CFG(sdp_ip), .size = STR_SIZE(sdp_ip),
	  .metavar = "IP", .help = "c= address of the phones' SDP (default: the server's)" },
	{ .name = "label", .type = OPT_STRING, .offset = CFG(label), .size = STR_SIZE(label),
	  .metavar = "TEXT", .help = "a name for this run in the report" },
	{ .name = "cpu", .type = OPT_INT, .offset = CFG(cpu), .min = -1, .max = 4095, .metavar = "N",
	  .help = "pin to CPU N (default -1: no pinning)" },
	{ .name = "busy-poll", .type = OPT_BOOL, .offset = CFG(busy_poll),
	  .help = "spin on the socket instead of sleeping (the generator owns its core)" },
	{ .name = "hold", .type = OPT_BOOL, .offset = CFG(hold),
	  .help = "offer and answer only: the calls stay up (no delete)" },
	{ .name = "log-level", .type = OPT_STRING, .offset = CFG(log_level), .size = STR_SIZE(log_level),
	  .metavar = "LEVEL", .help = "err, warn (default), info, debug" },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static int check_cfg(struct ngb_cfg *c, const char *prog)
{
	struct sockaddr_storage probe;
	enum log_level lvl;

	if (c->server.ss_family == AF_UNSPEC) {
		fprintf(stderr, "%s: --server IP:PORT is required\n", prog);
		return -EINVAL;
	}
	if (log_parse_level(c->log_level, &lvl)) {
		fprintf(stderr, "%s: --log-level '%s': want err, warn, info or debug\n", prog, c->log_level);
		return -EINVAL;
	}
	log_set_level(lvl);
	if (!c->sdp_ip[0])
		sa_format_ip(&c->server, c->sdp_ip, sizeof(c->sdp_ip));
	if (sa_parse_ip(c->sdp_ip, 0, &probe)) {
		fprintf(stderr, "%s: --sdp-ip '%s' is not an IP address\n", prog, c->sdp_ip);
		return -EINVAL;
	}
	if (c->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)c->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "%s: --cpu %lld: %s\n", prog, c->cpu, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ngb_cfg cfg = { .duration_s = 10, .window = 32, .timeout_ms = 1000, .cpu = -1,
			       .log_level = "warn", .label = "ng" };
	struct ngb_result res = { 0 };
	char err[OPTS_ERR_MAX];
	int ret, i;

	log_init("pierce-ngbench", LOG_LVL_WARN, false);
	ret = opts_parse_argv(defs, NDEFS, &cfg, argc, argv, err, sizeof(err));
	if (ret == OPTS_HELP) {
		opts_usage(defs, NDEFS, stdout, argv[0]);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 2;
	}
	if (check_cfg(&cfg, argv[0]))
		return 2;
	ret = ngb_lat_init(&res);
	if (ret) {
		log_err("no memory for latency samples");
		return 1;
	}
	ret = ngb_run(&cfg, &res);
	if (ret) {
		log_err("run failed: %s", strerror(-ret));
		goto out;
	}
	ngb_report_json(&cfg, &res, stdout);
	for (i = 0; i < NGB_NCMDS; i++)
		if (res.errors[i] || res.timeouts[i])
			ret = 1;
	if (!res.completed)
		ret = 1;
out:
	ngb_result_free(&res);
	return ret ? 1 : 0;
}

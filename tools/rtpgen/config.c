// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pierce-rtpgen's command line: the option table, defaults, and the checks
 * that tie options together. Every problem exits 2 with a message. */
#include "rtpgen.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"

static int parse_double(const char *value, void *dest, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(v) || v < 0) {
		snprintf(err, errlen, "'%s' is not a number >= 0", value);
		return -EINVAL;
	}
	*(double *)dest = v;
	return 0;
}

#define CFG(field) offsetof(struct rtpgen_cfg, field)
#define INT_OPT(n, field, lo, hi, mv, h) \
	{ .name = n, .type = OPT_INT, .offset = CFG(field), .min = lo, .max = hi, .metavar = mv, .help = h }
#define DBL_OPT(n, field, mv, h) \
	{ .name = n, .type = OPT_CUSTOM, .offset = CFG(field), .size = sizeof(double), .parse = parse_double, \
	  .metavar = mv, .help = h }
#define STR_OPT(n, field, mv, h) \
	{ .name = n, .type = OPT_STRING, .offset = CFG(field), .size = sizeof(((struct rtpgen_cfg *)0)->field), \
	  .metavar = mv, .help = h }
#define ADDR_OPT(n, field, h) \
	{ .name = n, .type = OPT_HOSTPORT, .offset = CFG(field), .metavar = "IP:PORT", .help = h }
#define BOOL_OPT(n, field, h) { .name = n, .type = OPT_BOOL, .offset = CFG(field), .help = h }

static const struct opt_def defs[] = {
	STR_OPT("mode", mode_name, "MODE", "bidir (default), send, sink or echo"),
	INT_OPT("streams", streams, 1, RTPGEN_MAX_STREAMS, "N", "number of streams (default 1)"),
	ADDR_OPT("local", local, "local address of stream 0 (sockets bind here)"),
	ADDR_OPT("remote", remote, "destination of stream 0"),
	INT_OPT("local-step", local_step, 0, 1000, "N", "local port step per socket (default 2)"),
	INT_OPT("remote-step", remote_step, 0, 1000, "N", "remote port step per stream (default 2)"),
	INT_OPT("sockets", sockets, 0, RTPGEN_MAX_STREAMS, "N", "share N sockets among the streams (default 0: one per stream)"),
	STR_OPT("streams-file", streams_file, "FILE", "one stream a line: LOCAL REMOTE [SSRC] ('-' for none)"),
	INT_OPT("pt", payload_type, 0, 127, "N", "RTP payload type (default 0, PCMU)"),
	DBL_OPT("ptime", ptime_ms, "MS", "packet time (default 20); sets the default rate"),
	INT_OPT("clock-rate", clock_rate, 1, 10000000, "HZ", "RTP timestamp clock (default 8000)"),
	INT_OPT("payload-size", payload_size, 16, RTPGEN_MAX_PAYLOAD, "BYTES", "RTP payload bytes (default 160)"),
	INT_OPT("ssrc", ssrc, 0, 0xffffffffLL, "N", "SSRC of stream 0; stream i uses N+i (default: random)"),
	INT_OPT("seq-start", seq_start, 0, 65535, "N", "first sequence number (default: random)"),
	DBL_OPT("rate", rate_pps, "PPS", "packets per second per stream (default 1000/ptime)"),
	DBL_OPT("duration", duration_s, "SEC", "sending time (default 10, at most 86400)"),
	DBL_OPT("wait", wait_s, "SEC", "after sending, wait at most this for the peer (default 2)"),
	INT_OPT("idle-ms", idle_ms, 10, 60000, "MS", "after sending, stop once nothing came for this long (default 300)"),
	STR_OPT("json", json_path, "FILE", "write the JSON report to FILE ('-': stdout)"),
	DBL_OPT("max-loss", max_loss_pct, "PCT", "exit 1 if any stream lost more than PCT percent"),
	DBL_OPT("max-jitter-ms", max_jitter_ms, "MS", "exit 1 if any stream's jitter at the end exceeded MS"),
	DBL_OPT("max-latency-ms", max_latency_ms, "MS", "exit 1 if any stream's p99 latency exceeded MS"),
	INT_OPT("cpu", cpu, 0, 4095, "N", "pin to CPU N"),
	INT_OPT("rt-prio", rt_prio, 0, 99, "N", "SCHED_FIFO priority N (default 0: normal)"),
	STR_OPT("clock", clock_name, "CLOCK", "send timestamp clock: monotonic (default) or realtime"),
	INT_OPT("tick-us", tick_us, 50, 100000, "US", "pacing tick (default: the packet interval's largest part <= 1000)"),
	INT_OPT("sockbuf", sockbuf, 65536, 1LL << 30, "BYTES", "socket send/receive buffer (default 4 MiB)"),
	BOOL_OPT("quiet", quiet, "no progress line"),
	BOOL_OPT("progress", progress, "progress line even on short runs"),
	STR_OPT("log-level", log_level, "LEVEL", "err, warn, info (default), debug"),
};

static const char help_tail[] =
	"\n"
	"Modes. bidir: send our streams and receive the peer's on the same sockets,\n"
	"as two phones would (symmetric RTP: each stream sends from the port it\n"
	"receives on, which a relay's NAT latching needs). send: send only. sink:\n"
	"receive only. echo: send every RTP packet back to its source, so a bidir\n"
	"peer measures round trips against its own packets.\n"
	"\n"
	"Addresses. Stream i sends to --remote's port + i*remote-step. With one\n"
	"socket per stream (the default) stream i binds --local's port + i*local-step;\n"
	"with --sockets S, streams are split into S contiguous groups and group j\n"
	"binds --local's port + j*local-step: many streams then share a socket and\n"
	"differ by SSRC and destination port. In a streams file, streams with the\n"
	"same local address share its socket. Sockets are at most %d.\n"
	"\n"
	"Packets. Each payload starts with a 16-byte probe: magic, the sender's\n"
	"stream index and its send time (--clock, ns). A receiver matches packets to\n"
	"streams by the probe (any source address, any socket), else by the socket\n"
	"when one stream owns it. Timestamps advance by clock-rate/rate per packet.\n"
	"\n"
	"Engine. One thread: a timerfd ticks every --tick-us, and all packets due by\n"
	"the monotonic clock are sent in sendmmsg batches (streams are staggered\n"
	"evenly over the packet interval); epoll wakes recvmmsg on readable sockets.\n"
	"Arrival times are kernel receive timestamps.\n"
	"\n"
	"Statistics per stream: RFC 3550 loss (expected from the sequence numbers,\n"
	"or the packets we sent when a packet comes back with our own SSRC),\n"
	"duplicates, reordering, interarrival jitter (RFC 3550 6.4.1), one-way\n"
	"latency from the probe (p50/p99/max, a fixed-size histogram; both ends must\n"
	"share the host clock). A stream that receives nothing counts as 100%% lost.\n"
	"\n"
	"Run time. Sending lasts --duration; receiving goes on until nothing has come\n"
	"for --idle-ms, or --wait has passed. SIGINT/SIGTERM end the run early, with\n"
	"a report.\n"
	"\n"
	"Exit status: 0 ok, 1 a threshold exceeded, 2 bad usage, 3 runtime error.\n";

static void cfg_defaults(struct rtpgen_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->mode_name, sizeof(c->mode_name), "bidir");
	c->streams = 1;
	c->local_step = 2;
	c->remote_step = 2;
	c->ptime_ms = 20;
	c->clock_rate = 8000;
	c->payload_size = 160;
	c->ssrc = -1;
	c->seq_start = -1;
	c->duration_s = 10;
	c->wait_s = 2;
	c->idle_ms = 300;
	c->max_loss_pct = -1;
	c->max_jitter_ms = -1;
	c->max_latency_ms = -1;
	c->cpu = -1;
	snprintf(c->clock_name, sizeof(c->clock_name), "monotonic");
	c->tick_us = 1000;
	c->sockbuf = 4 << 20;
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

bool rtpgen_mode_sends(enum rtpgen_mode m) { return m == MODE_BIDIR || m == MODE_SEND; }
bool rtpgen_mode_receives(enum rtpgen_mode m) { return m != MODE_SEND; }

static bool given(const struct sockaddr_storage *ss) { return ss->ss_family != AF_UNSPEC; }

/* Checks that concern several options at once; err names the problem. */
static int cfg_check(struct rtpgen_cfg *c, char *err, size_t errlen)
{
	static const char *const modes[] = { [MODE_BIDIR] = "bidir", [MODE_SEND] = "send",
					      [MODE_SINK] = "sink", [MODE_ECHO] = "echo" };
	bool from_file = c->streams_file[0] != '\0';
	unsigned m;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (!strcmp(c->mode_name, modes[m]))
			break;
	if (m == sizeof(modes) / sizeof(modes[0])) {
		snprintf(err, errlen, "--mode: '%s' is not bidir, send, sink or echo", c->mode_name);
		return -EINVAL;
	}
	c->mode = (enum rtpgen_mode)m;
	if (!strcmp(c->clock_name, "monotonic")) {
		c->clock_id = CLOCK_MONOTONIC;
	} else if (!strcmp(c->clock_name, "realtime")) {
		c->clock_id = CLOCK_REALTIME;
	} else {
		snprintf(err, errlen, "--clock: '%s' is not monotonic or realtime", c->clock_name);
		return -EINVAL;
	}
	if (c->duration_s <= 0 || c->duration_s > 86400) {
		snprintf(err, errlen, "--duration: %g is not within (0, 86400] seconds", c->duration_s);
		return -EINVAL;
	}
	if (c->wait_s > 3600) {
		snprintf(err, errlen, "--wait: %g is more than 3600 seconds", c->wait_s);
		return -EINVAL;
	}
	if (c->ptime_ms <= 0 || c->ptime_ms > 1000) {
		snprintf(err, errlen, "--ptime: %g is not within (0, 1000] ms", c->ptime_ms);
		return -EINVAL;
	}
	if (c->rate_pps == 0)
		c->rate_pps = 1000.0 / c->ptime_ms;
	if (c->rate_pps < 0.1 || c->rate_pps > 1e6) {
		snprintf(err, errlen, "--rate: %g is not within [0.1, 1000000] packets per second", c->rate_pps);
		return -EINVAL;
	}
	if (from_file && (given(&c->local) || given(&c->remote) || c->streams_given || c->sockets)) {
		snprintf(err, errlen, "--streams-file sets the addresses and the stream count: drop --local, "
				      "--remote, --streams and --sockets");
		return -EINVAL;
	}
	if (!from_file) {
		bool needs_local = c->mode != MODE_SEND, needs_remote = rtpgen_mode_sends(c->mode);

		if (needs_local && !given(&c->local)) {
			snprintf(err, errlen, "--mode %s needs --local IP:PORT (or --streams-file)", c->mode_name);
			return -EINVAL;
		}
		if (needs_remote && !given(&c->remote)) {
			snprintf(err, errlen, "--mode %s needs --remote IP:PORT (or --streams-file)", c->mode_name);
			return -EINVAL;
		}
		if (!needs_remote && given(&c->remote)) {
			snprintf(err, errlen, "--remote: --mode %s sends nothing of its own", c->mode_name);
			return -EINVAL;
		}
		if (given(&c->local) && given(&c->remote) && c->local.ss_family != c->remote.ss_family) {
			snprintf(err, errlen, "--local and --remote are of different address families");
			return -EINVAL;
		}
		if (c->sockets > c->streams) {
			snprintf(err, errlen, "--sockets %lld: more sockets than the %lld streams", c->sockets, c->streams);
			return -EINVAL;
		}
	}
	if (!rtpgen_mode_receives(c->mode) && (c->max_loss_pct >= 0 || c->max_jitter_ms >= 0 || c->max_latency_ms >= 0)) {
		snprintf(err, errlen, "--max-loss/--max-jitter-ms/--max-latency-ms: --mode send receives nothing to check");
		return -EINVAL;
	}
	if (c->max_loss_pct > 100) {
		snprintf(err, errlen, "--max-loss: %g is more than 100 percent", c->max_loss_pct);
		return -EINVAL;
	}
	return 0;
}

/*
 * Packets leave on tick boundaries, so a stream whose interval is not a
 * whole number of ticks arrives unevenly and shows jitter that is only the
 * pacing's. The default tick is the largest whole fraction of the packet
 * interval that is at most 1 ms (20 ms packets: 1 ms; 2000 pps: 0.5 ms),
 * and no shorter than 50 us, where wakeups start to cost more than they buy.
 */
static uint64_t default_tick_ns(double rate_pps)
{
	double interval_ns = 1e9 / rate_pps, parts = ceil(interval_ns / 1e6), tick = interval_ns / parts;

	return tick < 50000 ? 50000 : (uint64_t)tick;
}

static void print_help(const char *prog)
{
	char *text = NULL, *cfg_line;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	printf("%s: sends and receives RTP streams and measures loss, jitter and latency.\n", prog);
	if (mem) {
		opts_usage(defs, sizeof(defs) / sizeof(defs[0]), mem, prog);
		fclose(mem);
		/* rtpgen takes no config file: drop the usage text's line about one */
		cfg_line = text ? strstr(text, "A config file") : NULL;
		if (cfg_line)
			*cfg_line = '\0';
		fputs(text ? text : "", stdout);
		free(text);
	}
	printf(help_tail, RTPGEN_MAX_STREAMS);
}

int rtpgen_parse_args(struct rtpgen_cfg *cfg, int argc, char *argv[])
{
	size_t n = sizeof(defs) / sizeof(defs[0]);
	char err[OPTS_ERR_MAX];
	int rc;

	cfg_defaults(cfg);
	rc = opts_parse_argv(defs, n, cfg, argc, argv, err, sizeof(err));
	if (rc == OPTS_HELP) {
		print_help("pierce-rtpgen");
		return OPTS_HELP;
	}
	cfg->streams_given = opts_find(defs, n, argc, argv, "streams") != NULL;
	if (!rc)
		rc = cfg_check(cfg, err, sizeof(err));
	if (!rc)
		cfg->tick_ns = opts_find(defs, n, argc, argv, "tick-us") ? (uint64_t)cfg->tick_us * 1000
									  : default_tick_ns(cfg->rate_pps);
	if (rc) {
		fprintf(stderr, "pierce-rtpgen: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

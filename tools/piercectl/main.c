// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * piercectl: the operator's view of a pierce data plane. It works on the
 * maps and links pinned under the pin directory, so it needs no running
 * pierce-relay: attach and detach the XDP program, install and inspect
 * forwarding legs, read the per-reason counters.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

struct command {
	const char *name;
	int (*run)(const struct ctl *ctl, int argc, char **argv);
	const char *usage;
};

/* One row per subcommand; a new one (the ng client, for instance) is a row
 * and a cmd_*.c file. */
static const struct command commands[] = {
	{ "attach", cmd_attach,
	  "attach IFNAME [--generic] --address IP [--address IP ...] [--ports A-B]\n"
	  "                 [--fib-ifindex N] [--nh-ttl-ms MS]\n"
	  "        load (or adopt the pinned) data plane and attach it to IFNAME;\n"
	  "        without --address: attach the pinned data plane as it is" },
	{ "detach", cmd_detach, "detach IFNAME          remove the XDP program from IFNAME" },
	{ "unload", cmd_unload, "unload                 unpin every map and link: the data plane stops" },
	{ "cfg", cmd_cfg, "cfg                    relay addresses, port range, next-hop settings" },
	{ "leg", cmd_leg,
	  "leg add --relay IP:PORT [--dst IP:PORT] [--src IP:PORT] --allow IP[:PORT]|--any-src\n"
	  "        [--policy strict|trust|relatch] [--dscp N] [--peer IP:PORT] [--rtcp-next] [--replace]\n"
	  "    leg del --relay IP:PORT\n"
	  "    leg list               forwarding legs" },
	{ "legs", cmd_legs, "legs                   same as leg list" },
	{ "sessions", cmd_sessions, "sessions               legs paired with their opposite leg" },
	{ "stats", cmd_stats, "stats [--all]          packets and bytes by reason (--all: zeros too)" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: piercectl [--pin-dir DIR] [--json] COMMAND [ARGS]\n"
		   "  --pin-dir DIR  where the data plane is pinned (default " PIERCE_PIN_DIR_DEFAULT ")\n"
		   "  --json         machine-readable output\n"
		   "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("piercectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (piercectl --help for usage)\n", stderr);
	return CTL_USAGE;
}

const char *ctl_bad_option(char **argv, char *buf)
{
	if (optopt > 0 && optopt < 256) { /* a short option, maybe inside a group */
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		return buf;
	}
	return argv[optind - 1];
}

int ctl_fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("piercectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err < 0 ? -err : err));
	return CTL_FAIL;
}

int ctl_adopt(const struct ctl *ctl, struct pierce_dp **dp)
{
	struct pierce_dp_opts opts = { .pin_dir = ctl->pin_dir, .adopt_only = true };
	bool adopted = false;
	int err;

	err = pierce_dp_open(&opts, dp, &adopted);
	if (err == -ENOENT)
		fprintf(stderr, "piercectl: no pierce data plane pinned under %s (piercectl attach loads one)\n",
			ctl->pin_dir);
	else if (err == -EPROTO)
		fprintf(stderr, "piercectl: the data plane pinned under %s has another ABI version than this piercectl (%d)\n",
			ctl->pin_dir, PIERCE_ABI_VERSION);
	else if (err)
		ctl_fail(err, "cannot adopt the data plane pinned under %s", ctl->pin_dir);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl ctl = { .pin_dir = PIERCE_PIN_DIR_DEFAULT };
	enum log_level level = LOG_LVL_WARN;
	char bad[3];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!optarg[0])
				return ctl_usage_error("--pin-dir needs a directory");
			ctl.pin_dir = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		default:
			return ctl_usage_error("unknown or incomplete option '%s'", ctl_bad_option(argv, bad));
		}
	}
	log_init("piercectl", level, false);
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			int sub = optind;

			/* the subcommand parses its own options with a fresh getopt,
			 * its name standing in argv[0] */
			optind = 0;
			return commands[i].run(&ctl, argc - sub, argv + sub);
		}
	}
	return ctl_usage_error("unknown command '%s'", argv[optind]);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One option table drives both the command line (--name VALUE, --name=VALUE,
 * -x VALUE, --no-name for booleans) and the config file (`name = value`
 * lines, `#` comments, the same names). Values land at offsets in a
 * caller's config struct, so a reload can parse into a fresh copy and
 * swap it in only when everything parsed.
 *
 * Every error fills `err` with a message that names the problem (flag or
 * file:line, and the value); callers print it and exit with status 2.
 */
#ifndef PIERCE_OPTIONS_H
#define PIERCE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define OPTS_HELP 1           /* opts_parse_argv saw -h/--help */
#define OPTS_ERR_MAX 256      /* a good size for err buffers */
#define OPTS_LINE_MAX 4096    /* longest config-file line */
#define OPTS_MAX_DEFS 64

enum opt_type {
	OPT_STRING,     /* char[size] */
	OPT_INT,        /* long long, within [min, max] */
	OPT_BOOL,       /* bool */
	OPT_HOSTPORT,   /* struct sockaddr_storage; "ip:port", "[v6]:port", "ip" with default_port */
	OPT_PORTRANGE,  /* struct opt_port_range; "LOW-HIGH" */
	OPT_CUSTOM,     /* parse() into an element of `size` bytes */
};

struct opt_port_range {
	uint16_t min;
	uint16_t max;
};

/* Returns 0 or a negative errno with a message in err (without the option name). */
typedef int (*opt_parse_fn)(const char *value, void *dest, char *err, size_t errlen);

struct opt_def {
	const char *name;        /* "--name" on the command line, "name" in a file */
	char short_name;         /* 0: none */
	enum opt_type type;
	size_t offset;           /* value, or first array element, in the config struct */
	size_t size;             /* OPT_STRING: buffer size; OPT_CUSTOM: element size */
	unsigned max_count;      /* 0: single value; N: repeatable up to N values */
	size_t count_offset;     /* repeatable: offset of an `unsigned` count */
	long long min, max;      /* OPT_INT range */
	uint16_t default_port;   /* OPT_HOSTPORT: used when the value has no port (0: required) */
	opt_parse_fn parse;      /* OPT_CUSTOM */
	bool cli_only;           /* refused in a config file (e.g. "config" itself) */
	const char *metavar;
	const char *help;
};

/*
 * A repeatable option given in a source (the file, or the command line)
 * replaces what an earlier source gave; within one source the values add up.
 * Returns 0, OPTS_HELP, or -EINVAL/-E2BIG/-ERANGE with err filled.
 */
int opts_parse_argv(const struct opt_def *defs, size_t n, void *cfg, int argc, char *const argv[],
		    char *err, size_t errlen);
/* -ENOENT/-EACCES etc. when the file cannot be read, -EINVAL on bad content. */
int opts_parse_file(const struct opt_def *defs, size_t n, void *cfg, const char *path, char *err, size_t errlen);
/* Sets one option by name as a config file line would. */
int opts_set(const struct opt_def *defs, size_t n, void *cfg, const char *name, const char *value,
	     char *err, size_t errlen);
/* The value of --NAME/--NAME=V in argv (e.g. "config"), or NULL; for reading the file first. */
const char *opts_find(const struct opt_def *defs, size_t n, int argc, char *const argv[], const char *name);
/*
 * The usual load: the file named by --config (if any), then argv over it.
 * The caller sets defaults in cfg first. Returns as opts_parse_argv, or the
 * file's error.
 */
int opts_load(const struct opt_def *defs, size_t n, void *cfg, int argc, char *const argv[],
	      char *err, size_t errlen);
void opts_usage(const struct opt_def *defs, size_t n, FILE *out, const char *prog);

/* Typed parsers, also usable on their own. */
int opt_parse_int(const char *s, long long min, long long max, long long *out);
int opt_parse_bool(const char *s, bool *out);
int opt_parse_port_range(const char *s, struct opt_port_range *out);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockaddr.h"

int opt_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opt_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int opt_parse_port_range(const char *s, struct opt_port_range *out)
{
	char low[8];
	const char *dash = strchr(s, '-');
	long long a, b;

	if (!dash || (size_t)(dash - s) >= sizeof(low))
		return -EINVAL;
	memcpy(low, s, (size_t)(dash - s));
	low[dash - s] = '\0';
	if (opt_parse_int(low, 1, 65535, &a) || opt_parse_int(dash + 1, 1, 65535, &b) || a > b)
		return -EINVAL;
	out->min = (uint16_t)a;
	out->max = (uint16_t)b;
	return 0;
}

static const struct opt_def *find_long(const struct opt_def *defs, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(defs[i].name) == len && !strncmp(defs[i].name, name, len))
			return &defs[i];
	return NULL;
}

static const struct opt_def *find_short(const struct opt_def *defs, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (defs[i].short_name && defs[i].short_name == c)
			return &defs[i];
	return NULL;
}

/* Converts value into dest; on failure writes the reason (no option name) into why. */
static int convert(const struct opt_def *d, const char *value, void *dest, char *why, size_t whylen)
{
	int err = 0;

	switch (d->type) {
	case OPT_STRING:
		if (strlen(value) >= d->size) {
			snprintf(why, whylen, "'%.40s...' is longer than %zu characters", value, d->size - 1);
			return -E2BIG;
		}
		strcpy(dest, value);
		return 0;
	case OPT_INT:
		err = opt_parse_int(value, d->min, d->max, dest);
		if (err == -ERANGE)
			snprintf(why, whylen, "%s is out of range %lld..%lld", value, d->min, d->max);
		else if (err)
			snprintf(why, whylen, "'%s' is not an integer", value);
		return err;
	case OPT_BOOL:
		err = opt_parse_bool(value, dest);
		if (err)
			snprintf(why, whylen, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", value);
		return err;
	case OPT_HOSTPORT:
		err = sa_parse_hostport(value, d->default_port, dest);
		if (err)
			snprintf(why, whylen, "'%s' is not an IP address with %sport (a.b.c.d:port or [v6]:port)",
				 value, d->default_port ? "an optional " : "a ");
		return err;
	case OPT_PORTRANGE:
		err = opt_parse_port_range(value, dest);
		if (err)
			snprintf(why, whylen, "'%s' is not a port range LOW-HIGH within 1-65535", value);
		return err;
	case OPT_CUSTOM:
		why[0] = '\0';
		err = d->parse(value, dest, why, whylen);
		if (err && !why[0])
			snprintf(why, whylen, "invalid value '%s'", value);
		return err;
	}
	snprintf(why, whylen, "unknown option type");
	return -EINVAL;
}

static size_t elem_size(const struct opt_def *d)
{
	switch (d->type) {
	case OPT_STRING: return d->size;
	case OPT_INT: return sizeof(long long);
	case OPT_BOOL: return sizeof(bool);
	case OPT_HOSTPORT: return sizeof(struct sockaddr_storage);
	case OPT_PORTRANGE: return sizeof(struct opt_port_range);
	case OPT_CUSTOM: return d->size;
	}
	return 0;
}

/* touched: per-definition "already set in this source", so that a
 * repeatable option from a new source replaces the old list; NULL appends. */
static int set_value(const struct opt_def *defs, const struct opt_def *d, void *cfg, const char *value,
		     bool *touched, char *why, size_t whylen)
{
	char *base = (char *)cfg + d->offset;
	unsigned *count;

	if (!d->max_count)
		return convert(d, value, base, why, whylen);
	count = (unsigned *)((char *)cfg + d->count_offset);
	if (touched && !touched[d - defs]) {
		touched[d - defs] = true;
		*count = 0;
	}
	if (*count >= d->max_count) {
		snprintf(why, whylen, "given more than %u times", d->max_count);
		return -E2BIG;
	}
	int err = convert(d, value, base + *count * elem_size(d), why, whylen);
	if (!err)
		(*count)++;
	return err;
}

static int too_many_defs(size_t n, char *err, size_t errlen)
{
	if (n <= OPTS_MAX_DEFS)
		return 0;
	snprintf(err, errlen, "option table has more than %d entries", OPTS_MAX_DEFS);
	return -E2BIG;
}

/*
 * Walks argv. With find set, nothing is stored: the value of --find is
 * returned through *found (the last one wins, as when setting).
 */
static int walk_argv(const struct opt_def *defs, size_t n, void *cfg, int argc, char *const argv[],
		     char *err, size_t errlen, const char *find, const char **found)
{
	bool touched[OPTS_MAX_DEFS] = { false };
	char why[OPTS_ERR_MAX];
	int rc = too_many_defs(n, err, errlen);

	for (int i = 1; i < argc && !rc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct opt_def *d;
		bool negated = false;
		char shown[64];

		if (!strcmp(arg, "--"))  {
			if (i + 1 < argc) {
				snprintf(err, errlen, "unexpected argument '%s'", argv[i + 1]);
				return -EINVAL;
			}
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
			return find ? 0 : OPTS_HELP;
		if (arg[0] == '-' && arg[1] == '-') {
			const char *name = arg + 2;
			size_t len;

			eq = strchr(name, '=');
			len = eq ? (size_t)(eq - name) : strlen(name);
			d = find_long(defs, n, name, len);
			if (!d && len > 3 && !strncmp(name, "no-", 3)) {
				d = find_long(defs, n, name + 3, len - 3);
				if (d && d->type != OPT_BOOL)
					d = NULL;
				negated = d != NULL;
			}
			if (!d) {
				snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
				return -EINVAL;
			}
			if (eq)
				value = eq + 1;
			snprintf(shown, sizeof(shown), "--%s", d->name);
		} else if (arg[0] == '-' && arg[1]) {
			d = find_short(defs, n, arg[1]);
			if (!d) {
				snprintf(err, errlen, "unknown option '-%c' (see --help)", arg[1]);
				return -EINVAL;
			}
			if (arg[2])
				value = arg + 2;
			snprintf(shown, sizeof(shown), "-%c", d->short_name);
		} else {
			snprintf(err, errlen, "unexpected argument '%s'", arg);
			return -EINVAL;
		}
		if (d->type == OPT_BOOL && !value) {
			value = negated ? "false" : "true";
		} else if (negated) {
			snprintf(err, errlen, "--no-%s takes no value", d->name);
			return -EINVAL;
		} else if (!value) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s: missing value (%s)", shown, d->metavar ? d->metavar : "VALUE");
				return -EINVAL;
			}
			value = argv[++i];
		}
		if (find) {
			if (!strcmp(d->name, find))
				*found = value;
			continue;
		}
		rc = set_value(defs, d, cfg, value, touched, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s: %.200s", shown, why);
	}
	return rc;
}

int opts_parse_argv(const struct opt_def *defs, size_t n, void *cfg, int argc, char *const argv[],
		    char *err, size_t errlen)
{
	return walk_argv(defs, n, cfg, argc, argv, err, errlen, NULL, NULL);
}

const char *opts_find(const struct opt_def *defs, size_t n, int argc, char *const argv[], const char *name)
{
	const char *found = NULL;
	char err[OPTS_ERR_MAX];

	walk_argv(defs, n, NULL, argc, argv, err, sizeof(err), name, &found);
	return found;
}

int opts_load(const struct opt_def *defs, size_t n, void *cfg, int argc, char *const argv[],
	      char *err, size_t errlen)
{
	const char *file = opts_find(defs, n, argc, argv, "config");

	if (file) {
		int rc = opts_parse_file(defs, n, cfg, file, err, errlen);

		if (rc)
			return rc;
	}
	return opts_parse_argv(defs, n, cfg, argc, argv, err, errlen);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A '#' starts a comment at the start of a line or after whitespace, so
 * values such as "a#b" survive. */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static int parse_line(const struct opt_def *defs, size_t n, void *cfg, char *line, bool *touched,
		      char *why, size_t whylen)
{
	char *eq, *key, *value;
	const struct opt_def *d;

	strip_comment(line);
	key = trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (eq) {
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
	} else {
		value = NULL;
	}
	d = find_long(defs, n, key, strlen(key));
	if (!d || d->cli_only) {
		snprintf(why, whylen, "unknown key '%.64s'", key);
		return -EINVAL;
	}
	if (!value) {
		if (d->type != OPT_BOOL) {
			snprintf(why, whylen, "expected '%s = %s'", d->name, d->metavar ? d->metavar : "VALUE");
			return -EINVAL;
		}
		value = "true";
	}
	if (!*value) {
		snprintf(why, whylen, "%s: empty value", d->name);
		return -EINVAL;
	}
	char what[OPTS_ERR_MAX];
	int err = set_value(defs, d, cfg, value, touched, what, sizeof(what));

	if (err)
		snprintf(why, whylen, "%s: %.200s", d->name, what);
	return err;
}

int opts_parse_file(const struct opt_def *defs, size_t n, void *cfg, const char *path, char *err, size_t errlen)
{
	bool touched[OPTS_MAX_DEFS] = { false };
	char line[OPTS_LINE_MAX + 2], why[OPTS_ERR_MAX];
	unsigned lineno = 0;
	FILE *f = NULL;
	int rc = too_many_defs(n, err, errlen);

	if (rc)
		goto out;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len > OPTS_LINE_MAX && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", path, lineno, OPTS_LINE_MAX);
			rc = -E2BIG;
			goto out;
		}
		rc = parse_line(defs, n, cfg, line, touched, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "%s:%u: %.200s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	if (f)
		fclose(f);
	return rc;
}

int opts_set(const struct opt_def *defs, size_t n, void *cfg, const char *name, const char *value,
	     char *err, size_t errlen)
{
	const struct opt_def *d = find_long(defs, n, name, strlen(name));
	char why[OPTS_ERR_MAX];
	int rc;

	if (!d) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return -EINVAL;
	}
	rc = set_value(defs, d, cfg, value, NULL, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "%s: %.200s", name, why);
	return rc;
}

void opts_usage(const struct opt_def *defs, size_t n, FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [options]\n", prog);
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *d = &defs[i];
		char left[80];
		int len = 0;

		if (d->short_name)
			len = snprintf(left, sizeof(left), "-%c, ", d->short_name);
		snprintf(left + len, sizeof(left) - (size_t)len, "--%s%s%s", d->name,
			 d->type == OPT_BOOL ? "" : " ", d->type == OPT_BOOL ? "" : (d->metavar ? d->metavar : "VALUE"));
		fprintf(out, "  %-32s %s%s\n", left, d->help ? d->help : "", d->max_count ? " (repeatable)" : "");
	}
	fprintf(out, "  %-32s %s\n", "-h, --help", "show this help");
	fprintf(out, "A config file takes the same names as `name = value` lines; `#` starts a comment.\n");
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "sockaddr.h"

struct cfg {
	char ifaces[4][16];
	unsigned n_ifaces;
	long long timeout;
	bool syslog;
	bool verbose;
	struct sockaddr_storage ng;
	struct opt_port_range ports;
	int level;
	char config[256];
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
	{ .name = "timeout", .type = OPT_INT, .offset = offsetof(struct cfg, timeout), .min = 1, .max = 3600 },
	{ .name = "syslog", .type = OPT_BOOL, .offset = offsetof(struct cfg, syslog) },
	{ .name = "verbose", .short_name = 'v', .type = OPT_BOOL, .offset = offsetof(struct cfg, verbose) },
	{ .name = "ng", .type = OPT_HOSTPORT, .offset = offsetof(struct cfg, ng), .default_port = 2223 },
	{ .name = "ports", .type = OPT_PORTRANGE, .offset = offsetof(struct cfg, ports) },
	{ .name = "level", .type = OPT_CUSTOM, .offset = offsetof(struct cfg, level), .size = sizeof(int),
	  .parse = parse_level },
	{ .name = "config", .type = OPT_STRING, .offset = offsetof(struct cfg, config), .size = 256, .cli_only = true },
};
#define N (sizeof(defs) / sizeof(defs[0]))

static int argv_parse(struct cfg *c, char *err, const char *a0, ...)
{
	char *argv[32] = { "prog" };
	int argc = 1;
	va_list ap;

	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return opts_parse_argv(defs, N, c, argc, argv, err, OPTS_ERR_MAX);
}

static void test_argv_types(void **state)
{
	struct cfg c = { .timeout = 60 };
	char err[OPTS_ERR_MAX], buf[SA_STR_MAX];

	assert_int_equal(argv_parse(&c, err, "--interface", "eth0", "-i", "eth1", "-ieth2", "--timeout=30",
				    "--syslog", "-v", "--ng", "[::1]:9000", "--ports", "30000-40000",
				    "--level", "high", NULL), 0);
	assert_int_equal(c.n_ifaces, 3);
	assert_string_equal(c.ifaces[0], "eth0");
	assert_string_equal(c.ifaces[2], "eth2");
	assert_int_equal(c.timeout, 30);
	assert_true(c.syslog);
	assert_true(c.verbose);
	assert_string_equal(sa_format(&c.ng, buf, sizeof(buf)), "[::1]:9000");
	assert_int_equal(c.ports.min, 30000);
	assert_int_equal(c.ports.max, 40000);
	assert_int_equal(c.level, 2);
	assert_int_equal(argv_parse(&c, err, "--no-syslog", "--ng", "127.0.0.1", NULL), 0);
	assert_false(c.syslog);
	assert_int_equal(sa_port(&c.ng), 2223);
	assert_int_equal(argv_parse(&c, err, "--syslog=no", NULL), 0);
	assert_false(c.syslog);
	assert_int_equal(argv_parse(&c, err, "--help", NULL), OPTS_HELP);
}

static void test_argv_errors(void **state)
{
	struct cfg c = { 0 };
	char err[OPTS_ERR_MAX];

	assert_int_equal(argv_parse(&c, err, "--timeout", "abc", NULL), -EINVAL);
	assert_string_equal(err, "--timeout: 'abc' is not an integer");
	assert_int_equal(argv_parse(&c, err, "--timeout", "0", NULL), -ERANGE);
	assert_string_equal(err, "--timeout: 0 is out of range 1..3600");
	assert_int_equal(argv_parse(&c, err, "--bogus", NULL), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus' (see --help)");
	assert_int_equal(argv_parse(&c, err, "--timeout", NULL), -EINVAL);
	assert_string_equal(err, "--timeout: missing value (VALUE)");
	assert_int_equal(argv_parse(&c, err, "--ports", "40000-30000", NULL), -EINVAL);
	assert_non_null(strstr(err, "--ports: '40000-30000' is not a port range"));
	assert_int_equal(argv_parse(&c, err, "--ng", "host:5", NULL), -EINVAL);
	assert_non_null(strstr(err, "--ng: 'host:5'"));
	assert_int_equal(argv_parse(&c, err, "--level", "mid", NULL), -EINVAL);
	assert_string_equal(err, "--level: 'mid' is neither low nor high");
	assert_int_equal(argv_parse(&c, err, "--interface", "a-name-that-is-too-long", NULL), -E2BIG);
	assert_int_equal(argv_parse(&c, err, "-i", "a", "-i", "b", "-i", "c", "-i", "d", "-i", "e", NULL), -E2BIG);
	assert_string_equal(err, "-i: given more than 4 times");
	assert_int_equal(argv_parse(&c, err, "stray", NULL), -EINVAL);
	assert_string_equal(err, "unexpected argument 'stray'");
	assert_int_equal(argv_parse(&c, err, "--no-timeout", NULL), -EINVAL);
	assert_int_equal(argv_parse(&c, err, "--syslog=maybe", NULL), -EINVAL);
	assert_int_equal(argv_parse(&c, err, "-x", NULL), -EINVAL);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/pierce-opts-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_file_then_argv(void **state)
{
	struct cfg c = { .timeout = 60 };
	char err[OPTS_ERR_MAX];
	char *path = write_tmp("# relay config\n"
			       "interface = eth0\n"
			       "  interface=eth1   # second one\n"
			       "\n"
			       "timeout = 120\n"
			       "syslog\n"
			       "ports = 10000-10099\n");
	char *argv[] = { "prog", "--config", path, "--interface", "veth9", NULL };

	assert_string_equal(opts_find(defs, N, 5, argv, "config"), path);
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), 0);
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[1], "eth1");
	assert_int_equal(c.timeout, 120);
	assert_true(c.syslog);
	assert_int_equal(c.ports.min, 10000);
	/* the command line replaces the file's interface list */
	assert_int_equal(opts_parse_argv(defs, N, &c, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(c.n_ifaces, 1);
	assert_string_equal(c.ifaces[0], "veth9");
	assert_int_equal(c.timeout, 120);
	/* opts_load does both steps: the file, then argv over it */
	struct cfg loaded = { .timeout = 60 };
	assert_int_equal(opts_load(defs, N, &loaded, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(loaded.n_ifaces, 1);
	assert_string_equal(loaded.ifaces[0], "veth9");
	assert_int_equal(loaded.timeout, 120);
	assert_true(loaded.syslog);
	unlink(path);
	/* a --config file that is gone is an error, not an empty config */
	assert_int_equal(opts_load(defs, N, &loaded, 5, argv, err, sizeof(err)), -ENOENT);
}

static void test_file_errors(void **state)
{
	struct cfg c = { 0 };
	char err[OPTS_ERR_MAX], want[OPTS_ERR_MAX];
	char *path;

	path = write_tmp("timeout = 5\nfoo = bar\n");
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown key 'foo'", path);
	assert_string_equal(err, want);
	unlink(path);

	path = write_tmp("timeout = 99999\n");
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -ERANGE);
	snprintf(want, sizeof(want), "%s:1: timeout: 99999 is out of range 1..3600", path);
	assert_string_equal(err, want);
	unlink(path);

	path = write_tmp("config = /etc/other\n");
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -EINVAL);
	unlink(path);

	path = write_tmp("timeout\n");
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: expected 'timeout = VALUE'"));
	unlink(path);

	path = write_tmp("timeout =\n");
	assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -EINVAL);
	unlink(path);

	{
		char *big = malloc(OPTS_LINE_MAX + 100);

		memset(big, 'x', OPTS_LINE_MAX + 50);
		big[OPTS_LINE_MAX + 50] = '\0';
		path = write_tmp(big);
		free(big);
		assert_int_equal(opts_parse_file(defs, N, &c, path, err, sizeof(err)), -E2BIG);
		unlink(path);
	}
	{
		char dir[] = "/tmp/pierce-opts-dir-XXXXXX", missing[64];

		assert_non_null(mkdtemp(dir));
		snprintf(missing, sizeof(missing), "%s/none.conf", dir);
		assert_int_equal(opts_parse_file(defs, N, &c, missing, err, sizeof(err)), -ENOENT);
		snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing);
		assert_string_equal(err, want);
		rmdir(dir);
	}
}

static void test_usage_and_set(void **state)
{
	struct cfg c = { 0 };
	char err[OPTS_ERR_MAX], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	opts_usage(defs, N, f, "prog");
	fclose(f);
	assert_non_null(strstr(text, "-i, --interface IFNAME"));
	assert_non_null(strstr(text, "(repeatable)"));
	free(text);
	assert_int_equal(opts_set(defs, N, &c, "timeout", "7", err, sizeof(err)), 0);
	assert_int_equal(c.timeout, 7);
	assert_int_equal(opts_set(defs, N, &c, "nope", "7", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_types),
		cmocka_unit_test(test_argv_errors),
		cmocka_unit_test(test_file_then_argv),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_usage_and_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

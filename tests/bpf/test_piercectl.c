// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * piercectl (the binary next to this test in the build directory) against
 * a data plane it pins in this test's namespaces: exit statuses and
 * messages for bad command lines, attach without --address, leg flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "harness.h"

static char ctl[PATH_MAX + 64];
static char pin_dir[64];
static char out[4096];

/* Runs piercectl with args; its exit status, stdout+stderr in out. */
static int run(const char *args)
{
	char cmd[PATH_MAX + 512];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s --pin-dir %s %s 2>&1", ctl, pin_dir, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct pierce_leg leg_at(uint16_t port)
{
	struct pierce_dp_opts o = { .pin_dir = pin_dir, .adopt_only = true };
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct pierce_leg l = {};
	struct pierce_dp *dp = NULL;
	struct pierce_cfg c;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, T_RELAY4, &s4->sin_addr);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), 0);
	assert_int_equal(pierce_dp_cfg_get(dp, &c), 0);
	assert_int_equal(pierce_dp_leg_get(dp, (uint32_t)pierce_dp_leg_index(&c, &ss), &l), 0);
	pierce_dp_close(dp);
	return l;
}

/* Review item 13 */
static void test_leg_add_refusals(void **state)
{
	struct pierce_leg l;

	/* an IPv6 destination sent from an IPv4 relay address */
	assert_int_equal(run("leg add --relay 10.9.0.1:30000 --dst [fd00::2]:5000 --src 10.9.0.1:30001 "
			     "--allow 10.9.0.9"), 2);
	assert_non_null(strstr(out, "different families"));
	assert_false(leg_at(30000).flags & PIERCE_LEG_ACTIVE);
	/* no --allow: an open leg must be asked for */
	assert_int_equal(run("leg add --relay 10.9.0.1:30002 --dst 10.9.0.2:5000 --src 10.9.0.1:30003"), 2);
	assert_non_null(strstr(out, "--any-src"));
	assert_false(leg_at(30002).flags & PIERCE_LEG_ACTIVE);
	assert_int_equal(run("leg add --relay 10.9.0.1:30002 --dst 10.9.0.2:5000 --src 10.9.0.1:30003 "
			     "--any-src --rtcp-next"), 0);
	l = leg_at(30002);
	assert_true(l.flags & PIERCE_LEG_ACTIVE);
	assert_true(l.flags & PIERCE_LEG_ANY_SRC);
	assert_true(l.flags & PIERCE_LEG_RTCP_NEXT);
	assert_int_equal(run("leg add --relay 10.9.0.1:30004 --src 10.9.0.1:30005 --allow 10.9.0.9 --any-src"), 2);
	/* ports outside the range are a bad command line */
	assert_int_equal(run("leg add --relay 10.9.0.1:40000 --src 10.9.0.1:30005 --allow 10.9.0.9"), 2);
	assert_int_equal(run("leg add --relay 10.9.0.1:30004 --peer 10.9.0.1:50000 --allow 10.9.0.9"), 2);
	assert_int_equal(run("leg del --relay 10.9.0.1:40000"), 2);
	assert_false(leg_at(30004).flags & PIERCE_LEG_ACTIVE);
	/* an address this data plane does not serve is a failed lookup */
	assert_int_equal(run("leg add --relay 203.0.113.11:30004 --peer 10.9.0.1:30005 --allow 10.9.0.9"), 1);
	/* a good one */
	assert_int_equal(run("leg add --relay 10.9.0.1:30004 --peer 10.9.0.1:30005 --allow 10.9.0.9"), 0);
	assert_true(leg_at(30004).flags & PIERCE_LEG_ACTIVE);
}

static void test_grouped_short_options_named(void **state)
{
	assert_int_equal(run("-xj stats"), 2);
	assert_non_null(strstr(out, "'-x'"));
	assert_int_equal(run("-jx stats"), 2);
	assert_non_null(strstr(out, "'-x'"));
	assert_int_equal(run("--bogus stats"), 2);
	assert_non_null(strstr(out, "'--bogus'"));
	assert_int_equal(run("attach pd0 -q"), 2);
	assert_non_null(strstr(out, "'-q'"));
}

/* Review item 4: the documented way to add an interface. */
static void test_attach_without_address(void **state)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(run("attach pe0"), 0);
	assert_non_null(strstr(out, "adopted"));
	assert_int_equal(bpf_xdp_query(T.if_pe0, 0, &q), 0);
	assert_int_not_equal(q.prog_id, 0);
	assert_int_equal(run("attach pe0 --ports 30000-30009"), 2);
	assert_int_equal(run("detach pe0"), 0);
}

static int setup(void **state)
{
	char exe[PATH_MAX];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	/* BUILD/tests/bpf/test_piercectl -> BUILD/piercectl */
	snprintf(ctl, sizeof(ctl), "%s/../../piercectl", dirname(exe));
	if (access(ctl, X_OK)) {
		fprintf(stderr, "FAIL: no piercectl at %s (make builds it)\n", ctl);
		return -1;
	}
	if (t_netns_setup())
		return -1;
	snprintf(pin_dir, sizeof(pin_dir), "/tmp/pierce-ctl-%d", (int)getpid());
	if (run("attach pd0 --address 10.9.0.1 --ports 30000-30009")) {
		fprintf(stderr, "FAIL: piercectl attach: %s\n", out);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	run("unload");
	umount2(pin_dir, MNT_DETACH);
	rmdir(pin_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leg_add_refusals),
		cmocka_unit_test(test_grouped_short_options_named),
		cmocka_unit_test(test_attach_without_address),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

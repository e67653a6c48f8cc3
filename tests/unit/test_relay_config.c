// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pierce-relay's option table: defaults, required flags, custom values, --ng-allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "relay/relay_config.h"
#include "sockaddr.h"

static int load(struct relay_config *c, char *err, int argc, char **argv)
{
	return relay_config_load(c, argc, argv, err, OPTS_ERR_MAX);
}

static void test_defaults_and_values(void **state)
{
	char *argv[] = { "pierce-relay", "--interface", "eth0", "--address", "10.0.0.1!203.0.113.1",
			 "--address", "2001:db8::1", "--ng-allow", "192.0.2.0/24", "--xdp-mode", "generic",
			 "--log-level", "debug" };
	struct relay_config c;
	char err[OPTS_ERR_MAX], buf[SA_STR_MAX];
	struct sockaddr_storage ss;

	assert_int_equal(load(&c, err, 13, argv), 0);
	assert_int_equal(c.n_addrs, 2);
	assert_string_equal(sa_format_ip(&c.addrs[0].advertised, buf, sizeof(buf)), "203.0.113.1");
	assert_string_equal(sa_format_ip(&c.addrs[1].advertised, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(c.ports.min, 30000);
	assert_int_equal(c.ports.max, 40000);
	assert_int_equal(c.timeout, 60);
	assert_int_equal(c.tos, 184);
	assert_string_equal(sa_format(&c.ng, buf, sizeof(buf)), "127.0.0.1:2223");
	assert_string_equal(c.xdp_mode, "generic");
	assert_int_equal(c.n_ng_allow, 1);
	sa_parse_ip("192.0.2.77", 0, &ss);
	assert_true(cidr_contains(&c.ng_allow[0], &ss));
	sa_parse_ip("192.0.3.1", 0, &ss);
	assert_false(cidr_contains(&c.ng_allow[0], &ss));
}

static void test_default_allow_is_loopback(void **state)
{
	char *argv[] = { "pierce-relay", "-i", "eth0", "-a", "10.0.0.1" };
	struct relay_config c;
	char err[OPTS_ERR_MAX];
	struct sockaddr_storage ss;
	bool any = false;

	assert_int_equal(load(&c, err, 5, argv), 0);
	sa_parse_ip("127.0.0.1", 0, &ss);
	for (unsigned i = 0; i < c.n_ng_allow; i++)
		any |= cidr_contains(&c.ng_allow[i], &ss);
	assert_true(any);
	sa_parse_ip("10.0.0.2", 0, &ss);
	for (unsigned i = 0; i < c.n_ng_allow; i++)
		assert_false(cidr_contains(&c.ng_allow[i], &ss));
}

static void test_errors(void **state)
{
	struct relay_config c;
	char err[OPTS_ERR_MAX];
	char *no_iface[] = { "pierce-relay", "--address", "10.0.0.1" };
	char *no_addr[] = { "pierce-relay", "--interface", "eth0" };
	char *bad_adv[] = { "pierce-relay", "-i", "e", "--address", "10.0.0.1!nope" };
	char *bad_cidr[] = { "pierce-relay", "-i", "e", "-a", "10.0.0.1", "--ng-allow", "10.0.0.0/33" };
	char *bad_mode[] = { "pierce-relay", "-i", "e", "-a", "10.0.0.1", "--xdp-mode", "fast" };
	char *dup[] = { "pierce-relay", "-i", "e", "-a", "10.0.0.1", "-a", "10.0.0.1" };
	char *tiny[] = { "pierce-relay", "-i", "e", "-a", "10.0.0.1", "--ports", "30000-30001" };

	assert_int_not_equal(load(&c, err, 3, no_iface), 0);
	assert_string_equal(err, "--interface is required");
	assert_int_not_equal(load(&c, err, 3, no_addr), 0);
	assert_string_equal(err, "--address is required");
	assert_int_not_equal(load(&c, err, 5, bad_adv), 0);
	assert_non_null(strstr(err, "nope"));
	assert_int_not_equal(load(&c, err, 7, bad_cidr), 0);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	assert_int_not_equal(load(&c, err, 7, bad_mode), 0);
	assert_non_null(strstr(err, "fast"));
	assert_int_not_equal(load(&c, err, 7, dup), 0);
	assert_int_not_equal(load(&c, err, 7, tiny), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_default_allow_is_loopback),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

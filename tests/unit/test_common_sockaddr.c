// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sockaddr.h"

static void test_parse_v4(void **state)
{
	struct sockaddr_storage ss;
	char buf[SA_STR_MAX];

	assert_int_equal(sa_parse_hostport("192.0.2.1:5060", 0, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sa_port(&ss), 5060);
	assert_string_equal(sa_format(&ss, buf, sizeof(buf)), "192.0.2.1:5060");
	assert_int_equal(sa_parse_hostport("192.0.2.1", 2223, &ss), 0);
	assert_int_equal(sa_port(&ss), 2223);
}

static void test_parse_v6(void **state)
{
	struct sockaddr_storage ss;
	char buf[SA_STR_MAX];

	assert_int_equal(sa_parse_hostport("[2001:db8::1]:5060", 0, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_string_equal(sa_format(&ss, buf, sizeof(buf)), "[2001:db8::1]:5060");
	assert_int_equal(sa_parse_hostport("2001:db8::1", 7, &ss), 0);
	assert_int_equal(sa_port(&ss), 7);
}

static void test_parse_bad(void **state)
{
	struct sockaddr_storage ss;
	static const char *const bad[] = { "", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:5x",
					   "[::1", "[::1]x", "host.example:5060", "1.2.3.4", "999.1.1.1:1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(sa_parse_hostport(bad[i], 0, &ss), 0);
}

static void test_equal(void **state)
{
	struct sockaddr_storage a, b;

	sa_parse_hostport("10.0.0.1:1000", 0, &a);
	sa_parse_hostport("10.0.0.1:2000", 0, &b);
	assert_true(sa_equal_ip(&a, &b));
	assert_false(sa_equal(&a, &b));
	sa_set_port(&b, 1000);
	assert_true(sa_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

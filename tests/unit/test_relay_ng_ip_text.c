// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ip_text writes IPv4 by hand: the same text as inet_ntop for every octet
 * width, and IPv6 or a short buffer go the usual way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "relay/ip_text.h"
#include "sockaddr.h"

static void test_ipv4_as_inet_ntop(void **state)
{
	static const unsigned char octets[] = { 0, 1, 9, 10, 42, 99, 100, 101, 199, 200, 250, 255 };
	const unsigned n = sizeof(octets);
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	char want[INET_ADDRSTRLEN], got[64];

	for (unsigned i = 0; i < n * n * n * n; i++) {
		unsigned char *b = (unsigned char *)&sin->sin_addr;

		memset(&ss, 0, sizeof(ss));
		ss.ss_family = AF_INET;
		b[0] = octets[i % n];
		b[1] = octets[i / n % n];
		b[2] = octets[i / n / n % n];
		b[3] = octets[i / n / n / n];
		assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, want, sizeof(want)));
		memset(got, 'x', sizeof(got));
		assert_ptr_equal(ip_text(&ss, got, sizeof(got)), got);
		assert_string_equal(got, want);
	}
}

static void test_ipv6_and_short_buffer(void **state)
{
	struct sockaddr_storage ss;
	char buf[64], small[8];

	assert_int_equal(sa_parse_ip("2001:db8::1", 0, &ss), 0);
	assert_string_equal(ip_text(&ss, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(sa_parse_ip("255.255.255.255", 0, &ss), 0);
	assert_string_equal(ip_text(&ss, buf, 16), "255.255.255.255"); /* exactly fits */
	ip_text(&ss, small, sizeof(small));                             /* no overrun (ASan) */
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_as_inet_ntop),
		cmocka_unit_test(test_ipv6_and_short_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relay/cookie_cache.h"
#include "sockaddr.h"

#define SEC 1000000000ULL

static void test_hit_miss_expiry(void **state)
{
	struct cookie_cache c;
	struct sockaddr_storage a, b;
	const char *r;
	size_t len;

	sa_parse_hostport("127.0.0.1:5000", 0, &a);
	sa_parse_hostport("127.0.0.1:5001", 0, &b);
	assert_int_equal(cookie_cache_init(&c, 8, 30 * SEC), 0);
	assert_null(cookie_cache_get(&c, &a, "1_1", 0, &len));
	assert_int_equal(cookie_cache_put(&c, &a, "1_1", "1_1 d6:result4:ponge", 20, 1 * SEC), 0);
	r = cookie_cache_get(&c, &a, "1_1", 2 * SEC, &len);
	assert_non_null(r);
	assert_int_equal(len, 20);
	assert_memory_equal(r, "1_1 d6:result4:ponge", 20);
	assert_null(cookie_cache_get(&c, &b, "1_1", 2 * SEC, &len)); /* another proxy, same cookie */
	assert_null(cookie_cache_get(&c, &a, "1_2", 2 * SEC, &len));
	assert_null(cookie_cache_get(&c, &a, "1_1", 40 * SEC, &len)); /* expired */
	cookie_cache_free(&c);
}

static void test_bounded_eviction(void **state)
{
	struct cookie_cache c;
	struct sockaddr_storage a;
	char cookie[16];
	size_t len;
	char big[COOKIE_MAX + 2];

	sa_parse_hostport("[::1]:5000", 0, &a);
	assert_int_equal(cookie_cache_init(&c, 4, 30 * SEC), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(cookie, sizeof(cookie), "c%d", i);
		assert_int_equal(cookie_cache_put(&c, &a, cookie, cookie, strlen(cookie), 0), 0);
	}
	for (int i = 0; i < 6; i++) {
		snprintf(cookie, sizeof(cookie), "c%d", i);
		assert_null(cookie_cache_get(&c, &a, cookie, 0, &len));
	}
	for (int i = 6; i < 10; i++) {
		snprintf(cookie, sizeof(cookie), "c%d", i);
		assert_non_null(cookie_cache_get(&c, &a, cookie, 0, &len));
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(cookie_cache_put(&c, &a, big, "x", 1, 0), -EINVAL);
	cookie_cache_free(&c);
}

/* The sender is kept compactly: IPv6 senders, with scope, still tell apart;
 * a sender that is no IP address is not cached. */
static void test_sender_families(void **state)
{
	struct cookie_cache c;
	struct sockaddr_storage a, b, u;
	size_t len;

	sa_parse_hostport("[2001:db8::1]:5000", 0, &a);
	sa_parse_hostport("[2001:db8::2]:5000", 0, &b);
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_int_equal(cookie_cache_init(&c, 8, 30 * SEC), 0);
	assert_int_equal(cookie_cache_put(&c, &a, "7_1", "7_1 x", 5, 1 * SEC), 0);
	assert_non_null(cookie_cache_get(&c, &a, "7_1", 2 * SEC, &len));
	assert_null(cookie_cache_get(&c, &b, "7_1", 2 * SEC, &len));
	((struct sockaddr_in6 *)&a)->sin6_port = htons(5002);
	assert_null(cookie_cache_get(&c, &a, "7_1", 2 * SEC, &len));
	assert_int_equal(cookie_cache_put(&c, &u, "7_2", "7_2 x", 5, 1 * SEC), -EAFNOSUPPORT);
	assert_null(cookie_cache_get(&c, &u, "7_2", 2 * SEC, &len));
	cookie_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss_expiry),
		cmocka_unit_test(test_bounded_eviction),
		cmocka_unit_test(test_sender_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

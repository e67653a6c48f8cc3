// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "relay/ports.h"

static void test_exhaustion_no_duplicates(void **state)
{
	struct port_pool p;
	static uint8_t seen[65536];
	int port;

	memset(seen, 0, sizeof(seen));
	assert_int_equal(port_pool_init(&p, 30001, 30100, 42), 0); /* odd min: starts at 30002 */
	assert_int_equal(p.n_pairs, 49);                           /* 30002..30099 */
	for (int i = 0; i < 49; i++) {
		port = port_pool_alloc(&p);
		assert_true(port >= 30002 && port <= 30098);
		assert_int_equal(port & 1, 0);
		assert_int_equal(seen[port], 0);
		seen[port] = 1;
	}
	assert_int_equal(port_pool_alloc(&p), -ENOSPC);
	assert_int_equal(port_pool_used(&p), 49);
	port_pool_free(&p);
}

static void test_reuse_and_errors(void **state)
{
	struct port_pool p;
	int a, b;

	assert_int_equal(port_pool_init(&p, 40000, 40003, 7), 0);
	a = port_pool_alloc(&p);
	b = port_pool_alloc(&p);
	assert_int_not_equal(a, b);
	assert_int_equal(port_pool_alloc(&p), -ENOSPC);
	assert_int_equal(port_pool_release(&p, (uint16_t)a), 0);
	assert_int_equal(port_pool_release(&p, (uint16_t)a), -EALREADY);
	assert_int_equal(port_pool_release(&p, (uint16_t)(a + 1)), -EINVAL); /* odd */
	assert_int_equal(port_pool_release(&p, 50000), -EINVAL);
	assert_false(port_pool_in_use(&p, (uint16_t)a));
	assert_true(port_pool_in_use(&p, (uint16_t)b));
	assert_int_equal(port_pool_alloc(&p), a);
	port_pool_free(&p);
	assert_int_equal(port_pool_init(&p, 40000, 40000, 1), -EINVAL); /* no pair fits */
}

static void test_claim(void **state)
{
	struct port_pool p;

	assert_int_equal(port_pool_init(&p, 10000, 10009, 3), 0);
	assert_int_equal(port_pool_claim(&p, 10004), 0);
	assert_int_equal(port_pool_claim(&p, 10004), -EBUSY);
	for (int i = 0; i < 4; i++)
		assert_int_not_equal(port_pool_alloc(&p), 10004);
	assert_int_equal(port_pool_alloc(&p), -ENOSPC);
	assert_int_equal(port_pool_release(&p, 10004), 0);
	assert_int_equal(port_pool_alloc(&p), 10004);
	port_pool_free(&p);
}

static void test_randomized(void **state)
{
	struct port_pool p1, p2;
	int same = 0;

	assert_int_equal(port_pool_init(&p1, 20000, 29999, 1), 0);
	assert_int_equal(port_pool_init(&p2, 20000, 29999, 2), 0);
	for (int i = 0; i < 100; i++)
		same += port_pool_alloc(&p1) == port_pool_alloc(&p2);
	assert_true(same < 10);
	port_pool_free(&p1);
	port_pool_free(&p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustion_no_duplicates),
		cmocka_unit_test(test_reuse_and_errors),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_randomized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

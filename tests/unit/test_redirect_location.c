// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "redirect/location.h"

#define S 1000ULL /* ms per second */

static int setup(void **state)
{
	struct location *loc;

	if (location_open("memory", 4, &loc))
		return -1;
	*state = loc;
	return 0;
}

static int teardown(void **state)
{
	location_close(*state);
	return 0;
}

static void test_put_get(void **state)
{
	struct location *loc = *state;
	struct loc_binding b[LOC_CONTACTS_PER_AOR];

	assert_int_equal(loc->ops->get(loc, "bob@b.test", 0, b, LOC_CONTACTS_PER_AOR), 0);
	assert_int_equal(loc->ops->put(loc, "bob@b.test", "sip:192.0.2.2:5060", 60, 0), 0);
	assert_int_equal(loc->ops->get(loc, "bob@b.test", 1 * S, b, LOC_CONTACTS_PER_AOR), 1);
	assert_string_equal(b[0].contact, "sip:192.0.2.2:5060");
	assert_int_equal(b[0].expires_at_ms, 60 * S);
	/* keys are exact: normalisation is the caller's job */
	assert_int_equal(loc->ops->get(loc, "Bob@b.test", 1 * S, b, LOC_CONTACTS_PER_AOR), 0);
	assert_int_equal(loc->ops->count(loc), 1);
}

static void test_refresh_orders_newest_first(void **state)
{
	struct location *loc = *state;
	struct loc_binding b[LOC_CONTACTS_PER_AOR];

	assert_int_equal(loc->ops->put(loc, "bob@b.test", "sip:192.0.2.2", 60, 0), 0);
	assert_int_equal(loc->ops->put(loc, "bob@b.test", "sip:192.0.2.3", 60, 1 * S), 0);
	assert_int_equal(loc->ops->get(loc, "bob@b.test", 2 * S, b, LOC_CONTACTS_PER_AOR), 2);
	assert_string_equal(b[0].contact, "sip:192.0.2.3");
	/* refreshing the first moves it to the front and extends it, without a new binding */
	assert_int_equal(loc->ops->put(loc, "bob@b.test", "sip:192.0.2.2", 100, 3 * S), 0);
	assert_int_equal(loc->ops->count(loc), 2);
	assert_int_equal(loc->ops->get(loc, "bob@b.test", 4 * S, b, LOC_CONTACTS_PER_AOR), 2);
	assert_string_equal(b[0].contact, "sip:192.0.2.2");
	assert_int_equal(b[0].expires_at_ms, 103 * S);
	/* get honours max */
	assert_int_equal(loc->ops->get(loc, "bob@b.test", 4 * S, b, 1), 1);
}

static void test_expiry(void **state)
{
	struct location *loc = *state;
	struct loc_binding b[LOC_CONTACTS_PER_AOR];

	assert_int_equal(loc->ops->put(loc, "a@x", "sip:192.0.2.2", 10, 0), 0);
	assert_int_equal(loc->ops->put(loc, "b@x", "sip:192.0.2.2", 20, 0), 0);
	/* nothing due yet */
	assert_int_equal(loc->ops->expire(loc, 9 * S), 0);
	/* a dead binding is invisible at once, even before the reaper runs */
	assert_int_equal(loc->ops->get(loc, "a@x", 10 * S, b, LOC_CONTACTS_PER_AOR), 0);
	assert_int_equal(loc->ops->count(loc), 2);
	assert_int_equal(loc->ops->expire(loc, 10 * S), 1);
	assert_int_equal(loc->ops->count(loc), 1);
	assert_int_equal(loc->ops->get(loc, "b@x", 10 * S, b, LOC_CONTACTS_PER_AOR), 1);
	assert_int_equal(loc->ops->expire(loc, 25 * S), 1);
	assert_int_equal(loc->ops->count(loc), 0);
	assert_int_equal(loc->ops->expire(loc, 100 * S), 0);
}

static void test_refresh_defers_expiry(void **state)
{
	struct location *loc = *state;
	struct loc_binding b[LOC_CONTACTS_PER_AOR];

	assert_int_equal(loc->ops->put(loc, "a@x", "sip:192.0.2.2", 10, 0), 0);
	assert_int_equal(loc->ops->put(loc, "a@x", "sip:192.0.2.2", 10, 8 * S), 0);
	assert_int_equal(loc->ops->expire(loc, 12 * S), 0);
	assert_int_equal(loc->ops->get(loc, "a@x", 12 * S, b, LOC_CONTACTS_PER_AOR), 1);
	assert_int_equal(loc->ops->expire(loc, 18 * S), 1);
}

static void test_limits(void **state)
{
	struct location *loc = *state; /* at most 4 bindings */
	struct location *big;
	char aor[LOC_AOR_MAX + 8], contact[32];

	for (int i = 0; i < 4; i++) {
		snprintf(aor, sizeof(aor), "u%d@x", i);
		assert_int_equal(loc->ops->put(loc, aor, "sip:192.0.2.2", 10, 0), 0);
	}
	assert_int_equal(loc->ops->put(loc, "u9@x", "sip:192.0.2.2", 10, 0), -ENOSPC);
	/* a refresh needs no room */
	assert_int_equal(loc->ops->put(loc, "u0@x", "sip:192.0.2.2", 10, 1 * S), 0);
	/* dead bindings make room for new ones even before the timer reaps them */
	assert_int_equal(loc->ops->put(loc, "u9@x", "sip:192.0.2.2", 10, 10 * S), 0);
	assert_int_equal(loc->ops->count(loc), 2); /* u0 (till 11 s) and u9 */

	/* per-AOR cap */
	assert_int_equal(location_open("memory", 100, &big), 0);
	for (int i = 0; i < LOC_CONTACTS_PER_AOR; i++) {
		snprintf(contact, sizeof(contact), "sip:192.0.2.%d", i + 1);
		assert_int_equal(big->ops->put(big, "bob@x", contact, 10, 0), 0);
	}
	assert_int_equal(big->ops->put(big, "bob@x", "sip:198.51.100.1", 10, 0), -ENOSPC);
	/* bad input */
	memset(aor, 'a', sizeof(aor) - 1);
	aor[sizeof(aor) - 1] = '\0';
	assert_int_equal(big->ops->put(big, aor, "sip:192.0.2.2", 10, 0), -EINVAL);
	assert_int_equal(big->ops->put(big, "", "sip:192.0.2.2", 10, 0), -EINVAL);
	assert_int_equal(big->ops->put(big, "c@x", "sip:192.0.2.2", 0, 0), -EINVAL);
	assert_int_equal(big->ops->put(big, "c@x", NULL, 10, 0), -EINVAL);
	location_close(big);
}

static void test_del(void **state)
{
	struct location *loc = *state;
	struct loc_binding b[LOC_CONTACTS_PER_AOR];

	assert_int_equal(loc->ops->del(loc, "bob@x", NULL), -ENOENT);
	assert_int_equal(loc->ops->put(loc, "bob@x", "sip:192.0.2.2", 10, 0), 0);
	assert_int_equal(loc->ops->put(loc, "bob@x", "sip:192.0.2.3", 10, 0), 0);
	assert_int_equal(loc->ops->del(loc, "bob@x", "sip:192.0.2.9"), -ENOENT);
	assert_int_equal(loc->ops->del(loc, "bob@x", "sip:192.0.2.2"), 0);
	assert_int_equal(loc->ops->get(loc, "bob@x", 0, b, LOC_CONTACTS_PER_AOR), 1);
	assert_string_equal(b[0].contact, "sip:192.0.2.3");
	assert_int_equal(loc->ops->del(loc, "bob@x", NULL), 0);
	assert_int_equal(loc->ops->get(loc, "bob@x", 0, b, LOC_CONTACTS_PER_AOR), 0);
	assert_int_equal(loc->ops->count(loc), 0);
}

struct seen {
	int n;
	int stop_at;
};

static int count_cb(const char *aor, const struct loc_binding *b, void *arg)
{
	struct seen *s = arg;

	assert_non_null(strchr(aor, '@'));
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

static void test_iterate(void **state)
{
	struct location *loc = *state;
	struct seen s = { 0, 0 };

	assert_int_equal(loc->ops->put(loc, "a@x", "sip:192.0.2.2", 10, 0), 0);
	assert_int_equal(loc->ops->put(loc, "b@x", "sip:192.0.2.2", 20, 0), 0);
	assert_int_equal(loc->ops->put(loc, "b@x", "sip:192.0.2.3", 20, 0), 0);
	assert_int_equal(loc->ops->iterate(loc, 0, count_cb, &s), 0);
	assert_int_equal(s.n, 3);
	s.n = 0;
	assert_int_equal(loc->ops->iterate(loc, 15 * S, count_cb, &s), 0); /* a@x is dead */
	assert_int_equal(s.n, 2);
	s = (struct seen){ 0, 1 };
	assert_int_equal(loc->ops->iterate(loc, 0, count_cb, &s), 42);
	assert_int_equal(s.n, 1);
}

static void test_backends(void **state)
{
	struct location *loc = NULL;

	assert_int_equal(location_open("redis://127.0.0.1:6379", 10, &loc), -EPROTONOSUPPORT);
	assert_int_equal(location_open("memory", 0, &loc), -EINVAL);
	assert_int_equal(location_open(NULL, 10, &loc), 0);
	assert_string_equal(loc->ops->name, "memory");
	location_close(loc);
}

static void test_many(void **state)
{
	struct location *loc;
	struct loc_binding b[1];
	char aor[32];

	assert_int_equal(location_open("memory", 20000, &loc), 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(aor, sizeof(aor), "user%d@x", i);
		assert_int_equal(loc->ops->put(loc, aor, "sip:192.0.2.2", (uint32_t)(1 + i % 100), 0), 0);
	}
	assert_int_equal(loc->ops->put(loc, "one-more@x", "sip:192.0.2.2", 10, 0), -ENOSPC);
	assert_int_equal(loc->ops->get(loc, "user19999@x", 0, b, 1), 1);
	assert_int_equal(loc->ops->expire(loc, 50 * S), 10000);
	assert_int_equal(loc->ops->count(loc), 10000);
	location_close(loc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_orders_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_defers_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterate, setup, teardown),
		cmocka_unit_test(test_backends),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

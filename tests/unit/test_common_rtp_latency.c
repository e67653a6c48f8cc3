// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtp_latency.h"

static void test_empty(void **state)
{
	struct rtp_latency l;

	rtp_latency_init(&l);
	assert_int_equal(rtp_latency_percentile(&l, 50), 0);
	assert_int_equal(rtp_latency_percentile(&l, 99), 0);
}

/* Below 64 ns every value has its own bucket: percentiles are exact. */
static void test_exact_small_values(void **state)
{
	struct rtp_latency l;

	rtp_latency_init(&l);
	for (uint64_t v = 60; v >= 1; v--)
		rtp_latency_add(&l, v);
	assert_int_equal(l.count, 60);
	assert_int_equal(l.min_ns, 1);
	assert_int_equal(l.max_ns, 60);
	assert_int_equal(rtp_latency_percentile(&l, 50), 30);
	assert_int_equal(rtp_latency_percentile(&l, 99), 60); /* rank ceil(59.4) = 60 */
	assert_int_equal(rtp_latency_percentile(&l, 100), 60);
	assert_int_equal(rtp_latency_percentile(&l, 0.1), 1);
}

static void test_buckets(void **state)
{
	/* every value lies at or below its bucket's upper bound, above the previous */
	for (uint64_t v = 0; v < (1ull << 36); v = v * 3 / 2 + 1) {
		unsigned b = rtp_latency_bucket(v);

		assert_true(b < RTP_LAT_BUCKETS);
		assert_true(v <= rtp_latency_bucket_upper(b));
		if (b)
			assert_true(v > rtp_latency_bucket_upper(b - 1));
	}
	assert_int_equal(rtp_latency_bucket(64), 64);
	assert_int_equal(rtp_latency_bucket_upper(64), 65);
	assert_int_equal(rtp_latency_bucket(1ull << 50), RTP_LAT_BUCKETS - 1);
}

/* 1..1000 us: p50 = 500 us, p99 = 990 us, within one bucket (1/32). */
static void test_relative_error(void **state)
{
	struct rtp_latency l;
	uint64_t p50, p99;

	rtp_latency_init(&l);
	for (uint64_t us = 1; us <= 1000; us++)
		rtp_latency_add(&l, us * 1000);
	p50 = rtp_latency_percentile(&l, 50);
	p99 = rtp_latency_percentile(&l, 99);
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 32);
	assert_true(p99 >= 990000 && p99 <= 990000 + 990000 / 32);
	assert_int_equal(rtp_latency_percentile(&l, 100), 1000000);
	assert_float_equal(l.sum_ns / (double)l.count, 500500.0, 1e-6);
}

/* A value beyond the range is reported as the true maximum, not the range end. */
static void test_out_of_range(void **state)
{
	struct rtp_latency l;

	rtp_latency_init(&l);
	rtp_latency_add(&l, 10);
	rtp_latency_add(&l, 1ull << 45);
	assert_int_equal(rtp_latency_percentile(&l, 100), 1ull << 45);
	assert_int_equal(rtp_latency_percentile(&l, 50), 10);
}

static void test_merge(void **state)
{
	struct rtp_latency a, b;

	rtp_latency_init(&a);
	rtp_latency_init(&b);
	for (uint64_t v = 1; v <= 30; v++)
		rtp_latency_add(&a, v);
	for (uint64_t v = 31; v <= 60; v++)
		rtp_latency_add(&b, v);
	rtp_latency_merge(&a, &b);
	assert_int_equal(a.count, 60);
	assert_int_equal(a.min_ns, 1);
	assert_int_equal(a.max_ns, 60);
	assert_int_equal(rtp_latency_percentile(&a, 50), 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),          cmocka_unit_test(test_exact_small_values),
		cmocka_unit_test(test_buckets),        cmocka_unit_test(test_relative_error),
		cmocka_unit_test(test_out_of_range),   cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

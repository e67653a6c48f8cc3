// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtp_jitter.h"

#define MS 1000000ull

static void test_steady_stream_has_no_jitter(void **state)
{
	struct rtp_jitter j;

	rtp_jitter_init(&j);
	for (uint32_t i = 0; i < 100; i++)
		rtp_jitter_update(&j, 5 * MS + i * 20 * MS, 1234 + i * 160, 8000);
	assert_true(rtp_jitter_ms(&j, 8000) < 1e-9);
}

/*
 * Hand computation, 8 kHz, 20 ms packets (160 units):
 *   arrivals 0, 20, 45, 60 ms  ->  D = 0, +40, -40 units
 *   J = 0;  J = 0 + (40 - 0)/16 = 2.5;  J = 2.5 + (40 - 2.5)/16 = 4.84375
 *   4.84375 units / 8 units per ms = 0.60546875 ms
 */
static void test_hand_computed(void **state)
{
	struct rtp_jitter j;

	rtp_jitter_init(&j);
	rtp_jitter_update(&j, 0, 0, 8000);
	rtp_jitter_update(&j, 20 * MS, 160, 8000);
	assert_float_equal(j.jitter, 0.0, 1e-9);
	rtp_jitter_update(&j, 45 * MS, 320, 8000);
	assert_float_equal(j.jitter, 2.5, 1e-9);
	rtp_jitter_update(&j, 60 * MS, 480, 8000);
	assert_float_equal(j.jitter, 4.84375, 1e-9);
	assert_float_equal(rtp_jitter_ms(&j, 8000), 0.60546875, 1e-9);
	assert_float_equal(rtp_jitter_max_ms(&j, 8000), 0.60546875, 1e-9);
	/* it decays once arrivals are steady again; the maximum stays */
	rtp_jitter_update(&j, 80 * MS, 640, 8000);
	assert_float_equal(j.jitter, 4.84375 * 15 / 16, 1e-9);
	assert_float_equal(rtp_jitter_max_ms(&j, 8000), 0.60546875, 1e-9);
}

/* The RTP timestamp wraps at 2^32: the difference is still +160. */
static void test_timestamp_wrap(void **state)
{
	struct rtp_jitter j;

	rtp_jitter_init(&j);
	rtp_jitter_update(&j, 0, 0xffffff60u, 8000);
	rtp_jitter_update(&j, 20 * MS, 0, 8000);
	rtp_jitter_update(&j, 40 * MS, 160, 8000);
	assert_float_equal(j.jitter, 0.0, 1e-9);
}

/* 48 kHz: 2 ms late on a 20 ms packet is 96 units, J = 96/16 = 6 = 0.125 ms. */
static void test_other_clock_rate(void **state)
{
	struct rtp_jitter j;

	rtp_jitter_init(&j);
	rtp_jitter_update(&j, 0, 0, 48000);
	rtp_jitter_update(&j, 22 * MS, 960, 48000);
	assert_float_equal(j.jitter, 6.0, 1e-9);
	assert_float_equal(rtp_jitter_ms(&j, 48000), 0.125, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_stream_has_no_jitter),
		cmocka_unit_test(test_hand_computed),
		cmocka_unit_test(test_timestamp_wrap),
		cmocka_unit_test(test_other_clock_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

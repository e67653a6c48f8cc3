// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The timeout schedule: heap order under random moves and removals, and a
 * tick over 100k calls that reads only the legs of the calls that are due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "relay/call.h"
#include "relay/call_sched.h"
#include "relay/relay.h"
#include "sockaddr.h"

#define SEC NS_PER_SEC
#define N_CALLS 100000

static uint64_t min_due(struct call *calls, size_t n, const bool *in)
{
	uint64_t m = UINT64_MAX;

	for (size_t i = 0; i < n; i++)
		if (in[i] && calls[i].check_at_ns < m)
			m = calls[i].check_at_ns;
	return m;
}

static void test_heap_order(void **state)
{
	enum { N = 500 };
	static struct call calls[N];
	static bool in[N];
	struct call_sched s = { 0 };
	uint64_t rng = 88172645463325252ULL;

	for (int i = 0; i < N; i++)
		calls[i].sched_pos = CALL_SCHED_NONE;
	for (int step = 0; step < 20000; step++) {
		unsigned i, op;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		i = (unsigned)(rng % N);
		op = (unsigned)(rng >> 32) % 4;
		if (op == 3) {
			call_sched_remove(&s, &calls[i]);
			in[i] = false;
		} else if (op == 2) {
			assert_int_equal(call_sched_sooner(&s, &calls[i], (rng >> 20) % 1000), 0);
			in[i] = true;
		} else {
			assert_int_equal(call_sched_set(&s, &calls[i], (rng >> 20) % 1000), 0);
			in[i] = true;
		}
		if (s.n)
			assert_int_equal(s.heap[0]->check_at_ns, min_due(calls, N, in));
	}
	/* draining in order */
	for (uint64_t last = 0; s.n;) {
		struct call *c = call_sched_due(&s, UINT64_MAX);

		assert_non_null(c);
		assert_true(c->check_at_ns >= last);
		last = c->check_at_ns;
		call_sched_remove(&s, c);
	}
	assert_null(call_sched_due(&s, UINT64_MAX));
	call_sched_free(&s);
}

/* A data plane whose every leg saw its last packet at media_last_ns. */
static uint64_t leg_reads, media_last_ns;

static int fake_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	return 0;
}

static int fake_clear(void *ctx, uint32_t i)
{
	return 0;
}

static int fake_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	leg_reads++;
	memset(out, 0, sizeof(*out));
	out->flags = PIERCE_LEG_ACTIVE;
	out->packets = media_last_ns ? 1 : 0;
	out->last_seen_ns = media_last_ns;
	return 0;
}

static double tick_ms(struct relay *r, uint64_t now)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	relay_tick(r, now);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void test_tick_reads_only_due_calls(void **state)
{
	static struct relay r;
	struct relay_addr addr = { .slot = 0 };
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .delete_delay_s = 0, .tos = -1 };
	struct relay_dp_ops dp = { .leg_set = fake_set, .leg_clear = fake_clear, .leg_get = fake_get };
	double full_ms, idle_ms = 0;
	char id[32];

	log_set_level(LOG_LVL_WARN); /* 100k timeouts */
	sa_parse_ip("10.9.0.1", 0, &addr.local);
	addr.advertised = addr.local;
	assert_int_equal(relay_init(&r, &addr, 1, 30000, 20000, &set, &dp, 100 * SEC), 0);
	for (int i = 0; i < N_CALLS; i++) {
		struct call *c;

		snprintf(id, sizeof(id), "call-%d", i);
		assert_int_equal(call_add(&r.calls, id, 100 * SEC, &c), 0);
		assert_int_equal(call_media_reserve(c, 1), 0);
		c->n_media = 1; /* legs read back through fake_get only */
		c->media[0].port[0] = 30000;
		c->media[0].port[1] = 30002;
	}
	/* every new call is looked at once: 4 legs each */
	leg_reads = 0;
	full_ms = tick_ms(&r, 100 * SEC);
	assert_int_equal(leg_reads, 4ULL * N_CALLS);
	assert_int_equal(r.cnt.timeout_checks, N_CALLS);
	/* then nothing is due until the media timeout: no leg is read */
	leg_reads = 0;
	for (uint64_t t = 101; t < 160; t++)
		idle_ms += tick_ms(&r, t * SEC);
	assert_int_equal(leg_reads, 0);
	print_message("tick over %d calls: %.2f ms when all are due, %.4f ms on average when none is\n", N_CALLS,
		      full_ms, idle_ms / 59);
	/* media started at 150: the calls are due again at 160 and then at 210 */
	media_last_ns = 150 * SEC;
	relay_tick(&r, 160 * SEC);
	assert_int_equal(r.calls.active, N_CALLS);
	leg_reads = 0;
	relay_tick(&r, 209 * SEC);
	assert_int_equal(leg_reads, 0);
	relay_tick(&r, 210 * SEC);
	assert_int_equal(r.cnt.ended[CALL_END_TIMEOUT], N_CALLS);
	assert_int_equal(r.calls.active, 0);
	relay_tick(&r, 211 * SEC); /* delete delay 0: the records go */
	assert_int_equal(r.calls.count, 0);
	relay_free(&r);
	log_set_level(LOG_LVL_INFO);
}

static void test_recheck_and_delete_delay(void **state)
{
	static struct relay r;
	struct relay_addr addr = { .slot = 0 };
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .delete_delay_s = 30, .tos = -1 };
	struct relay_dp_ops dp = { .leg_set = fake_set, .leg_clear = fake_clear, .leg_get = fake_get };
	struct call *a, *b;

	media_last_ns = 0;
	sa_parse_ip("10.9.0.1", 0, &addr.local);
	addr.advertised = addr.local;
	assert_int_equal(relay_init(&r, &addr, 1, 30000, 100, &set, &dp, 100 * SEC), 0);
	assert_int_equal(call_add(&r.calls, "a", 100 * SEC, &a), 0);
	assert_int_equal(call_add(&r.calls, "b", 100 * SEC, &b), 0);
	relay_tick(&r, 100 * SEC);
	assert_true(a->check_at_ns == 160 * SEC); /* silent: looked at again after the media timeout */
	/* a shorter silent timeout after a reload applies at the next tick */
	r.set.silent_timeout_s = 10;
	relay_recheck_all(&r, 111 * SEC);
	relay_tick(&r, 111 * SEC);
	assert_int_equal(r.cnt.ended[CALL_END_SILENT_TIMEOUT], 2);
	assert_int_equal(r.calls.count, 2); /* kept for the delete delay */
	relay_tick(&r, 140 * SEC);
	assert_int_equal(r.calls.count, 2);
	relay_tick(&r, 141 * SEC);
	assert_int_equal(r.calls.count, 0);
	relay_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order),
		cmocka_unit_test(test_tick_reads_only_due_calls),
		cmocka_unit_test(test_recheck_and_delete_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

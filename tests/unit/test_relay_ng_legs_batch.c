// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Leg writes of one ng batch go to the map in one call at its end; until
 * then every read sees them (the latest wins); a counter-keeping write
 * flushes first so the map sees writes in order; a refused batch is
 * retried leg by leg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "relay/ng_legs_batch.h"
#include "relay/relay.h"
#include "sockaddr.h"

#define N_LEGS 64

static struct pierce_leg map[N_LEGS];
static unsigned writes, sets, refuse_index = UINT32_MAX;
static uint32_t log_index[4 * N_LEGS];
static unsigned log_n;

static int f_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	assert_true(i < N_LEGS);
	sets++;
	map[i] = *l;
	log_index[log_n++] = i;
	return 0;
}

static int f_clear(void *ctx, uint32_t i)
{
	assert_true(i < N_LEGS);
	memset(&map[i], 0, sizeof(map[i]));
	log_index[log_n++] = i;
	return 0;
}

static int f_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	if (i >= N_LEGS)
		return -ENOENT;
	*out = map[i];
	return 0;
}

static int f_write(void *ctx, const uint32_t *index, const struct pierce_leg *l, unsigned n)
{
	writes++;
	for (unsigned k = 0; k < n; k++) {
		if (index[k] >= N_LEGS || index[k] == refuse_index)
			return -EINVAL; /* stops there, as the kernel's batch does */
		map[index[k]] = l[k];
		log_index[log_n++] = index[k];
	}
	return 0;
}

static struct relay R;
static struct ng_legs_batch B;

static int setup(void **state)
{
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600 };
	struct relay_dp_ops dp = { .leg_set = f_set, .leg_clear = f_clear, .leg_get = f_get, .legs_write = f_write };
	struct relay_addr addr;

	memset(map, 0, sizeof(map));
	writes = sets = log_n = 0;
	refuse_index = UINT32_MAX;
	memset(&addr, 0, sizeof(addr));
	sa_parse_ip("192.0.2.1", 0, &addr.local);
	addr.advertised = addr.local;
	return relay_init(&R, &addr, 1, 30000, N_LEGS, &set, &dp, 0);
}

static int teardown(void **state)
{
	relay_free(&R);
	return 0;
}

static struct pierce_leg leg_with(uint64_t packets)
{
	struct pierce_leg l;

	memset(&l, 0, sizeof(l));
	l.flags = PIERCE_LEG_ACTIVE;
	l.packets = packets;
	return l;
}

static void test_deferred_reads_through_one_write(void **state)
{
	struct pierce_leg a[2] = { leg_with(1), leg_with(2) }, b = leg_with(3), got[2];
	uint32_t ia[2] = { 4, 5 }, ib = 5;

	ng_legs_batch_begin(&B, &R);
	assert_int_equal(R.dp.legs_write(R.dp.ctx, ia, a, 2), 0);
	assert_int_equal(R.dp.legs_write(R.dp.ctx, &ib, &b, 1), 0);
	assert_int_equal(writes, 0);          /* nothing in the map yet */
	assert_int_equal(map[4].packets, 0);
	assert_int_equal(R.dp.leg_get(R.dp.ctx, 5, &got[0]), 0);
	assert_int_equal(got[0].packets, 3);  /* the latest queued value */
	map[6] = leg_with(7);                 /* a leg nobody queued: from the map */
	assert_int_equal(R.dp.leg_get(R.dp.ctx, 6, &got[1]), 0);
	assert_int_equal(got[1].packets, 7);
	assert_int_equal(ng_legs_batch_end(&B, &R), 0);
	assert_int_equal(writes, 1);          /* one call for the batch */
	assert_int_equal(map[4].packets, 1);
	assert_int_equal(map[5].packets, 3);  /* in order: the later write wins */
	assert_ptr_equal(R.dp.legs_write, f_write); /* the data plane's own ops are back */
}

static void test_counter_keeping_write_flushes_first(void **state)
{
	struct pierce_leg a = leg_with(1), b = leg_with(9);
	uint32_t i = 8;

	ng_legs_batch_begin(&B, &R);
	assert_int_equal(R.dp.legs_write(R.dp.ctx, &i, &a, 1), 0);
	assert_int_equal(R.dp.leg_set(R.dp.ctx, 8, &b, false), 0);
	assert_int_equal(writes, 1);
	assert_int_equal(sets, 1);
	assert_int_equal(map[8].packets, 9);
	assert_int_equal(ng_legs_batch_end(&B, &R), 0);
	assert_int_equal(writes, 1);          /* nothing left to write */
	assert_int_equal(map[8].packets, 9);
}

static void test_refused_batch_retried_leg_by_leg(void **state)
{
	struct pierce_leg l[3] = { leg_with(1), leg_with(2), leg_with(3) };
	uint32_t idx[3] = { 10, 11, 12 };

	refuse_index = 11;
	ng_legs_batch_begin(&B, &R);
	assert_int_equal(R.dp.legs_write(R.dp.ctx, idx, l, 3), 0);
	assert_int_equal(ng_legs_batch_end(&B, &R), -EINVAL);
	assert_int_equal(map[10].packets, 1);
	assert_int_equal(map[11].packets, 0);
	assert_int_equal(map[12].packets, 3); /* the leg after the refused one still went */
	assert_int_equal(B.failed, 1);
	ng_legs_batch_begin(&B, &R); /* each batch counts its own */
	assert_int_equal(B.failed, 0);
	assert_int_equal(ng_legs_batch_end(&B, &R), 0);
}

/* Whole calls through ng in one batch: offer, answer and delete of three
 * calls make one map write, and leave the map as it was (every leg clear). */
static void test_calls_in_one_batch(void **state)
{
	static const char sdp[] = "v=0\r\no=a 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n"
				  "m=audio 4000 RTP/AVP 0\r\n";
	struct sockaddr_storage from;
	static char msg[4096];
	char *reply;
	size_t len;
	static const struct pierce_leg zero;

	sa_parse_hostport("127.0.0.1:5060", 0, &from);
	ng_legs_batch_begin(&B, &R);
	for (int c = 0; c < 3; c++) {
		static const char *const cmd[] = { "offer", "answer", "delete" };

		for (int k = 0; k < 3; k++) {
			int n = snprintf(msg, sizeof(msg),
					 "c%d%d d7:command%zu:%s7:call-id2:c%d8:from-tag1:a6:to-tag1:b3:sdp%zu:%se", c, k,
					 strlen(cmd[k]), cmd[k], c, strlen(sdp), sdp);

			assert_int_equal(ng_process(&R, msg, (size_t)n, &from, 0, &reply, &len), 0);
			assert_non_null(strstr(reply, "6:result2:ok"));
			free(reply);
		}
	}
	assert_int_equal(writes, 0);
	assert_int_equal(ng_legs_batch_end(&B, &R), 0);
	assert_int_equal(writes, 1);
	assert_int_equal(log_n, 3 * 3 * 4); /* offer, answer, delete: four legs each */
	for (int i = 0; i < N_LEGS; i++)
		assert_memory_equal(&map[i], &zero, sizeof(zero));
	assert_int_equal(R.calls.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_reads_through_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_keeping_write_flushes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_batch_retried_leg_by_leg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_in_one_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

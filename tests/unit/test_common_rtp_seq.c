// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtp_seq.h"

static void feed(struct rtp_seq *s, const uint16_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rtp_seq_update(s, seqs[i]);
}

#define FEED(s, ...)                                                                  \
	do {                                                                          \
		static const uint16_t seqs_[] = { __VA_ARGS__ };                      \
		feed(s, seqs_, sizeof(seqs_) / sizeof(seqs_[0]));                     \
	} while (0)

static void test_in_order(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	assert_int_equal(rtp_seq_expected(&s), 0);
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(rtp_seq_update(&s, i), RTP_SEQ_IN_ORDER);
	assert_int_equal(s.received, 10);
	assert_int_equal(rtp_seq_expected(&s), 10);
	assert_int_equal(rtp_seq_lost(&s), 0);
	assert_int_equal(s.reordered + s.duplicates + s.stray, 0);
}

static void test_wraparound(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	FEED(&s, 65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5);
	assert_int_equal(s.received, 12);
	assert_int_equal(rtp_seq_expected(&s), 12);
	assert_int_equal(rtp_seq_lost(&s), 0);
	assert_int_equal(s.stray, 0);
	/* a full cycle more: 65536 numbers later the count keeps growing */
	for (uint32_t i = 6; i < 6 + 65536; i++)
		rtp_seq_update(&s, (uint16_t)i);
	assert_int_equal(rtp_seq_expected(&s), 12 + 65536);
	assert_int_equal(rtp_seq_lost(&s), 0);
}

static void test_loss(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	FEED(&s, 1, 2, 4, 5, 8);
	assert_int_equal(rtp_seq_expected(&s), 8);
	assert_int_equal(s.received, 5);
	assert_int_equal(rtp_seq_lost(&s), 3);
	/* loss across the wrap: 65534, (65535, 0 lost), 1 */
	rtp_seq_init(&s);
	FEED(&s, 65534, 1);
	assert_int_equal(rtp_seq_expected(&s), 4);
	assert_int_equal(rtp_seq_lost(&s), 2);
	/* a long gap still inside the dropout bound is loss, not a restart */
	rtp_seq_init(&s);
	FEED(&s, 0, 2000);
	assert_int_equal(rtp_seq_lost(&s), 1999);
	assert_int_equal(s.stray, 0);
}

static void test_duplicates(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	rtp_seq_update(&s, 1);
	rtp_seq_update(&s, 2);
	assert_int_equal(rtp_seq_update(&s, 2), RTP_SEQ_DUPLICATE);
	rtp_seq_update(&s, 3);
	assert_int_equal(rtp_seq_update(&s, 1), RTP_SEQ_DUPLICATE);
	assert_int_equal(s.duplicates, 2);
	assert_int_equal(s.received, 3);
	assert_int_equal(rtp_seq_lost(&s), 0);
	/* a duplicate of a packet from before the wrap */
	rtp_seq_init(&s);
	FEED(&s, 65535, 0, 1);
	assert_int_equal(rtp_seq_update(&s, 65535), RTP_SEQ_DUPLICATE);
	assert_int_equal(s.received, 3);
}

static void test_reorder(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	rtp_seq_update(&s, 1);
	rtp_seq_update(&s, 3);
	assert_int_equal(rtp_seq_lost(&s), 1); /* 2 missing, so far */
	assert_int_equal(rtp_seq_update(&s, 2), RTP_SEQ_REORDERED);
	rtp_seq_update(&s, 4);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(rtp_seq_lost(&s), 0);
	assert_int_equal(s.duplicates, 0);
	/* across the wrap */
	rtp_seq_init(&s);
	FEED(&s, 65534, 0, 65535, 1);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(rtp_seq_expected(&s), 4);
	assert_int_equal(rtp_seq_lost(&s), 0);
	/* the very first packet overtaken: the run's base moves down */
	rtp_seq_init(&s);
	FEED(&s, 5, 4, 6);
	assert_int_equal(rtp_seq_expected(&s), 3);
	assert_int_equal(rtp_seq_lost(&s), 0);
	assert_int_equal(s.reordered, 1);
}

static void test_window_edges(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	for (uint16_t i = 0; i <= 2000; i += 2) /* only even numbers */
		rtp_seq_update(&s, i);
	/* inside the window: a late odd packet is new, an even one a duplicate */
	assert_int_equal(rtp_seq_update(&s, 2000 - RTP_SEQ_WINDOW + 1), RTP_SEQ_REORDERED);
	assert_int_equal(rtp_seq_update(&s, 2000 - RTP_SEQ_WINDOW + 2), RTP_SEQ_DUPLICATE);
	/* older than the window: cannot be told apart, so not counted */
	assert_int_equal(rtp_seq_update(&s, 2000 - RTP_SEQ_WINDOW), RTP_SEQ_STRAY);
	assert_int_equal(s.stray, 1);
	assert_int_equal(s.received, 1002);
}

static void test_restart(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	FEED(&s, 100, 101, 102);
	assert_int_equal(rtp_seq_update(&s, 30000), RTP_SEQ_STRAY);
	assert_int_equal(rtp_seq_update(&s, 30001), RTP_SEQ_RESYNC);
	rtp_seq_update(&s, 30002);
	assert_int_equal(s.resyncs, 1);
	assert_int_equal(s.stray, 0);
	assert_int_equal(s.received, 6);
	assert_int_equal(rtp_seq_expected(&s), 6);
	assert_int_equal(rtp_seq_lost(&s), 0);
	/* after the restart, loss is counted from the new numbers */
	rtp_seq_update(&s, 30004);
	assert_int_equal(rtp_seq_lost(&s), 1);
}

static void test_single_stray(void **state)
{
	struct rtp_seq s;

	rtp_seq_init(&s);
	FEED(&s, 100, 101, 30000, 102, 103);
	assert_int_equal(s.stray, 1);
	assert_int_equal(s.resyncs, 0);
	assert_int_equal(s.received, 4);
	assert_int_equal(rtp_seq_lost(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),     cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_loss),         cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_reorder),      cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_restart),      cmocka_unit_test(test_single_stray),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

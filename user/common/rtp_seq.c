// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rtp_seq.h"

#include <string.h>

#define NO_BAD_SEQ 0x10001u
/* Extended numbers start one cycle up, so a packet that arrives just before
 * the first one seen (reordered at the start) does not go below zero. */
#define FIRST_CYCLE 0x10000u

static uint64_t *slot_word(struct rtp_seq *s, uint64_t ext) { return &s->window[(ext % RTP_SEQ_WINDOW) / 64]; }
static uint64_t slot_bit(uint64_t ext) { return 1ull << (ext % 64); }

static int test_and_set(struct rtp_seq *s, uint64_t ext)
{
	uint64_t *w = slot_word(s, ext);
	int was = !!(*w & slot_bit(ext));

	*w |= slot_bit(ext);
	return was;
}

/* Forgets the slots that the numbers (max_ext, new_max] reuse. */
static void advance(struct rtp_seq *s, uint64_t new_max)
{
	if (new_max - s->max_ext >= RTP_SEQ_WINDOW)
		memset(s->window, 0, sizeof(s->window));
	else
		for (uint64_t e = s->max_ext + 1; e <= new_max; e++)
			*slot_word(s, e) &= ~slot_bit(e);
	s->max_ext = new_max;
}

static void start_run(struct rtp_seq *s, uint64_t ext)
{
	memset(s->window, 0, sizeof(s->window));
	s->base_ext = s->max_ext = ext;
	test_and_set(s, ext);
	s->bad_seq = NO_BAD_SEQ;
}

void rtp_seq_init(struct rtp_seq *s)
{
	memset(s, 0, sizeof(*s));
	s->bad_seq = NO_BAD_SEQ;
}

enum rtp_seq_verdict rtp_seq_update(struct rtp_seq *s, uint16_t seq)
{
	uint16_t ahead, behind;

	if (!s->started) {
		s->started = 1;
		start_run(s, FIRST_CYCLE + seq);
		s->received++;
		return RTP_SEQ_IN_ORDER;
	}
	ahead = (uint16_t)(seq - (uint16_t)s->max_ext);
	behind = (uint16_t)((uint16_t)s->max_ext - seq);
	if (ahead != 0 && ahead < RTP_SEQ_MAX_DROPOUT) {
		advance(s, s->max_ext + ahead);
		test_and_set(s, s->max_ext);
		s->received++;
		s->bad_seq = NO_BAD_SEQ;
		return RTP_SEQ_IN_ORDER;
	}
	if (behind < RTP_SEQ_WINDOW) {
		uint64_t ext = s->max_ext - behind;

		if (test_and_set(s, ext)) {
			s->duplicates++;
			return RTP_SEQ_DUPLICATE;
		}
		if (ext < s->base_ext)
			s->base_ext = ext;
		s->received++;
		s->reordered++;
		return RTP_SEQ_REORDERED;
	}
	if (seq == s->bad_seq) {
		/* Two packets in a row after a jump: the sender restarted. The
		 * first of the two was held back as stray; count both now. */
		uint64_t ext = (s->max_ext / 0x10000u + 2) * 0x10000u + seq;

		s->expected_prior += s->max_ext - s->base_ext + 1;
		start_run(s, ext - 1);
		advance(s, ext);
		test_and_set(s, ext);
		s->received += 2;
		s->stray--;
		s->resyncs++;
		return RTP_SEQ_RESYNC;
	}
	s->bad_seq = (uint16_t)(seq + 1);
	s->stray++;
	return RTP_SEQ_STRAY;
}

uint64_t rtp_seq_expected(const struct rtp_seq *s)
{
	if (!s->started)
		return 0;
	return s->expected_prior + (s->max_ext - s->base_ext + 1);
}

uint64_t rtp_seq_lost(const struct rtp_seq *s)
{
	uint64_t expected = rtp_seq_expected(s);

	return expected > s->received ? expected - s->received : 0;
}

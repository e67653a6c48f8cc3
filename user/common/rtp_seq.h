/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_RTP_SEQ_H
#define PIERCE_RTP_SEQ_H

#include <stdint.h>

/*
 * Sequence tracking of one received RTP stream, after RFC 3550 appendix A.1:
 * the 16-bit sequence number is extended across wraparounds, and loss is
 * "expected minus received" where expected spans the lowest to the highest
 * extended number seen. A bitmap over the last RTP_SEQ_WINDOW numbers tells
 * a late (reordered) packet from a duplicate. Loss at the very end of a
 * stream is invisible to the receiver alone, as in RFC 3550.
 */
#define RTP_SEQ_WINDOW 1024u     /* reorder/duplicate memory, in packets */
#define RTP_SEQ_MAX_DROPOUT 3000u /* a larger forward jump needs confirming */

enum rtp_seq_verdict {
	RTP_SEQ_IN_ORDER,  /* new, at or ahead of the highest so far */
	RTP_SEQ_REORDERED, /* new, but behind the highest so far */
	RTP_SEQ_DUPLICATE, /* seen before, not counted */
	RTP_SEQ_STRAY,     /* too far from the stream (a jump, or older than the
			    * window); not counted unless the next packet
			    * confirms a restart of the sequence */
	RTP_SEQ_RESYNC,    /* the sender restarted its sequence: counted */
};

struct rtp_seq {
	uint64_t base_ext; /* lowest extended number of the current run */
	uint64_t max_ext;  /* highest extended number seen */
	uint64_t expected_prior; /* expected packets of runs before a resync */
	uint64_t received;   /* distinct packets counted */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t stray;
	uint64_t resyncs;
	uint32_t bad_seq; /* the number that would confirm a jump, or > 0xffff */
	int started;
	uint64_t window[RTP_SEQ_WINDOW / 64];
};

void rtp_seq_init(struct rtp_seq *s);
enum rtp_seq_verdict rtp_seq_update(struct rtp_seq *s, uint16_t seq);
/* Packets the sender sent between the lowest and highest numbers seen. */
uint64_t rtp_seq_expected(const struct rtp_seq *s);
uint64_t rtp_seq_lost(const struct rtp_seq *s);

#endif

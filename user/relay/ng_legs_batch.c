// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ng_legs_batch.h"

#include <errno.h>
#include <string.h>

#include "log.h"

/* The latest queued value of leg i, or NULL. */
static const struct pierce_leg *queued(const struct ng_legs_batch *b, uint32_t i)
{
	for (uint32_t k = b->n; k-- > 0;)
		if (b->index[k] == i)
			return &b->legs[k];
	return NULL;
}

static int flush(struct ng_legs_batch *b)
{
	int err = 0;

	if (!b->n)
		return 0;
	if (b->orig.legs_write(b->orig.ctx, b->index, b->legs, b->n)) {
		/* one by one, in order, so one refused leg does not take the rest with it */
		for (uint32_t k = 0; k < b->n; k++) {
			int e = b->orig.legs_write(b->orig.ctx, &b->index[k], &b->legs[k], 1);

			if (e) {
				b->failed++;
				log_err("ng: writing leg %u failed: %s", b->index[k], strerror(-e));
				if (!err)
					err = e;
			}
		}
	}
	b->n = 0;
	return err;
}

static int q_legs_write(void *ctx, const uint32_t *index, const struct pierce_leg *legs, unsigned n)
{
	struct ng_legs_batch *b = ctx;
	int err;

	if (n > NG_LEGS_PENDING) {
		err = flush(b);
		return err ? err : b->orig.legs_write(b->orig.ctx, index, legs, n);
	}
	if (b->n + n > NG_LEGS_PENDING && (err = flush(b)))
		return err;
	memcpy(&b->index[b->n], index, n * sizeof(*index));
	memcpy(&b->legs[b->n], legs, n * sizeof(*legs));
	b->n += n;
	return 0;
}

static int q_leg_set(void *ctx, uint32_t i, const struct pierce_leg *leg, bool reset)
{
	struct ng_legs_batch *b = ctx;
	int err = flush(b);

	return err ? err : b->orig.leg_set(b->orig.ctx, i, leg, reset);
}

static int q_leg_clear(void *ctx, uint32_t i)
{
	struct ng_legs_batch *b = ctx;
	int err = flush(b);

	return err ? err : b->orig.leg_clear(b->orig.ctx, i);
}

static int q_leg_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	struct ng_legs_batch *b = ctx;
	const struct pierce_leg *l = queued(b, i);

	if (!l)
		return b->orig.leg_get(b->orig.ctx, i, out);
	*out = *l;
	return 0;
}

static int q_stats(void *ctx, struct pierce_stats *out)
{
	struct ng_legs_batch *b = ctx;

	return b->orig.stats(b->orig.ctx, out);
}

void ng_legs_batch_begin(struct ng_legs_batch *b, struct relay *r)
{
	b->open = false;
	b->n = 0;
	b->failed = 0;
	if (!r->dp.legs_write || !r->dp.leg_get || !r->dp.leg_set || !r->dp.leg_clear)
		return;
	b->orig = r->dp;
	r->dp = (struct relay_dp_ops){
		.ctx = b,
		.leg_set = q_leg_set,
		.leg_clear = q_leg_clear,
		.leg_get = q_leg_get,
		.stats = b->orig.stats ? q_stats : NULL,
		.legs_write = q_legs_write,
	};
	b->open = true;
}

int ng_legs_batch_end(struct ng_legs_batch *b, struct relay *r)
{
	int err;

	if (!b->open)
		return 0;
	err = flush(b);
	r->dp = b->orig;
	b->open = false;
	return err;
}

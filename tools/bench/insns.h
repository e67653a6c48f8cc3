/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The two one-line XDP programs the generator side needs ("return XDP_TX"
 * to send live frames, "return XDP_DROP" to absorb what the relay sends
 * back), loaded from instructions so they stay out of the measured path.
 */
#ifndef PIERCE_BENCH_INSNS_H
#define PIERCE_BENCH_INSNS_H

/* A program that returns verdict; an fd or a negative errno. */
int bench_const_xdp_prog(int verdict);

#endif

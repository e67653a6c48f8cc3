/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pierce-bench: the data-plane benchmark's C side. tools/bench/run.sh builds
 * the veth topology and calls these subcommands:
 *   fill     install a cycle of N legs into the pinned data plane
 *   touched  how many legs forwarded at least one packet
 *   gen      BPF_PROG_RUN live-frame generator, with relay CPU accounting
 *   testrun  BPF_PROG_TEST_RUN ns per packet (repeat mode) for a program
 *
 * The legs form one cycle in a random order: leg k forwards to the relay
 * address and port of leg k+1. A frame the relay rewrites is therefore
 * addressed to the next leg, so a frame that comes back (a recycled live
 * frame, or the same buffer in repeat mode) walks the whole table, and N
 * legs really means N different cache lines.
 */
#ifndef PIERCE_BENCH_H
#define PIERCE_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"

#define BENCH_N_ADDRS   16
#define BENCH_ADDR_BASE "10.200.0." /* relay addresses .1 ... .16, on no interface */
#define BENCH_PORT_MIN  0
#define BENCH_PORT_COUNT 65536      /* 16 * 65536 = 2^20 legs */
#define BENCH_SRC_PORT  9           /* the source every leg has latched */
#define BENCH_FRAME_LEN 214         /* Ethernet + IPv4 + UDP + RTP header + 20 ms G.711 */

extern const char *bench_pin_dir; /* --pin-dir: the pinned data plane, or NULL */

/* The relay addresses of the benchmark's data plane (slots assigned by open). */
int bench_addrs(struct pierce_local addrs[BENCH_N_ADDRS]);
/* Opens the benchmark geometry: pin_dir NULL/"" = private, unpinned. */
int bench_dp_open(const char *pin_dir, bool adopt_only, struct pierce_dp **dp);

/* Installs n legs (seeded random order); the first `flows` of them form a
 * cycle that a frame sent to *first from *src walks round, the others are
 * resident and never reached. flows == n: every leg carries traffic; flows
 * == 1: one flow among n resident legs. */
int bench_chain_fill(struct pierce_dp *dp, uint32_t n, uint32_t flows, uint32_t seed,
		     struct sockaddr_storage *first, struct sockaddr_storage *src);
/* Legs whose packet counter is non-zero. */
int bench_chain_touched(struct pierce_dp *dp, uint64_t *touched, uint64_t *packets);

/* An Ethernet/IPv4/UDP frame of BENCH_FRAME_LEN bytes with valid checksums. */
int bench_frame(uint8_t *buf, size_t len, const uint8_t smac[6], const uint8_t dmac[6],
		const struct sockaddr_storage *src, const struct sockaddr_storage *dst);

int cmd_fill(int argc, char **argv);
int cmd_touched(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_testrun(int argc, char **argv);

/* Shared argument helpers; they print what is wrong. */
int bench_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out);
int bench_parse_mac(const char *s, uint8_t mac[6]);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * testrun: BPF_PROG_TEST_RUN in repeat mode, ns per packet. The kernel does
 * not restore the buffer between repetitions, so each one sees what the
 * last wrote: the reflector swaps back and forth, pierce walks its cycle of
 * legs. Every call must return XDP_TX, or nothing was measured.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "log.h"
#include "reflector.skel.h"
#include "sockaddr.h"

#define TR_CALLS 5

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per repetition over TR_CALLS calls after one warm-up call. */
static int run(int prog_fd, uint8_t *frame, size_t len, int ifindex, int repeat, uint32_t *ns)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex };
	uint32_t d[TR_CALLS];

	for (int i = -1; i < TR_CALLS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len, .data_out = frame,
			    .data_size_out = (__u32)len, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		if (o.retval != XDP_TX) {
			log_err("bench: the program returned %u, not XDP_TX: nothing was measured", o.retval);
			return -EPROTO;
		}
		if (i >= 0)
			d[i] = o.duration;
	}
	qsort(d, TR_CALLS, sizeof(d[0]), cmp_u32);
	*ns = d[TR_CALLS / 2];
	return 0;
}

static int testrun_reflector(uint8_t *frame, int ifindex, int repeat, uint32_t *ns)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	struct reflector_bpf *skel = reflector_bpf__open();
	struct sockaddr_storage src, dst;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->port_min = 30000;
	skel->rodata->port_max = 39999;
	err = reflector_bpf__load(skel);
	if (!err)
		err = sa_parse_hostport("10.99.0.1:30000", 0, &src) ? -EINVAL : 0;
	if (!err)
		err = sa_parse_hostport("10.99.0.2:30001", 0, &dst) ? -EINVAL : 0;
	if (!err)
		err = bench_frame(frame, BENCH_FRAME_LEN, mac_a, mac_b, &src, &dst);
	if (!err)
		err = run(bpf_program__fd(skel->progs.xdp_reflect), frame, BENCH_FRAME_LEN, ifindex, repeat, ns);
	reflector_bpf__destroy(skel);
	return err;
}

static int testrun_pierce(uint8_t *frame, int ifindex, int repeat, uint32_t legs, uint32_t flows, uint64_t *touched,
			  uint32_t *ns)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	struct sockaddr_storage first, src;
	struct pierce_cfg cfg;
	struct pierce_dp *dp = NULL;
	uint64_t packets;
	int err;

	err = bench_dp_open(NULL, false, &dp);
	if (!err) /* the frame cycles in place: a decremented TTL would end it */
		err = pierce_dp_cfg_get(dp, &cfg);
	if (!err) {
		cfg.flags |= PIERCE_CFG_KEEP_TTL;
		err = pierce_dp_cfg_set(dp, &cfg);
	}
	if (!err)
		err = bench_chain_fill(dp, legs, flows, 1, &first, &src);
	if (!err)
		err = bench_frame(frame, BENCH_FRAME_LEN, mac_a, mac_b, &src, &first);
	/* one pass over the cycle first: every leg resolves its next hop once */
	if (!err && flows > 1)
		err = run(pierce_dp_prog_fd(dp), frame, BENCH_FRAME_LEN, ifindex, (int)(flows / TR_CALLS + 1), ns);
	if (!err)
		err = run(pierce_dp_prog_fd(dp), frame, BENCH_FRAME_LEN, ifindex, repeat, ns);
	if (!err)
		err = bench_chain_touched(dp, touched, &packets);
	pierce_dp_close(dp);
	return err;
}

int cmd_testrun(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prog", required_argument, NULL, 'p' }, { "legs", required_argument, NULL, 'l' },
		{ "repeat", required_argument, NULL, 'r' }, { "ifname", required_argument, NULL, 'i' },
		{ "flows", required_argument, NULL, 'f' }, { 0 },
	};
	uint8_t frame[BENCH_FRAME_LEN];
	const char *prog = NULL, *ifname = "lo";
	uint64_t legs = 1, flows = 0, repeat = 1000000, touched = 0;
	uint32_t ns = 0;
	int c, ifindex, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': prog = optarg; break;
		case 'i': ifname = optarg; break;
		case 'l':
			if (bench_parse_u64("--legs", optarg, (uint64_t)BENCH_N_ADDRS * BENCH_PORT_COUNT, &legs) || !legs)
				return 2;
			break;
		case 'f':
			if (bench_parse_u64("--flows", optarg, (uint64_t)BENCH_N_ADDRS * BENCH_PORT_COUNT, &flows) || !flows)
				return 2;
			break;
		case 'r':
			if (bench_parse_u64("--repeat", optarg, 1 << 30, &repeat) || !repeat)
				return 2;
			break;
		default:
			fprintf(stderr, "pierce-bench: testrun: unknown or incomplete option '%s'\n", argv[optind - 1]);
			return 2;
		}
	}
	if (!prog || (strcmp(prog, "reflector") && strcmp(prog, "pierce"))) {
		fprintf(stderr, "pierce-bench: testrun needs --prog reflector|pierce\n");
		return 2;
	}
	if (!flows)
		flows = legs;
	if (flows > legs) {
		fprintf(stderr, "pierce-bench: testrun: --flows %" PRIu64 " is more than --legs %" PRIu64 "\n", flows, legs);
		return 2;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "pierce-bench: testrun: no interface %s\n", ifname);
		return 1;
	}
	if (!strcmp(prog, "reflector"))
		err = testrun_reflector(frame, ifindex, (int)repeat, &ns);
	else
		err = testrun_pierce(frame, ifindex, (int)repeat, (uint32_t)legs, (uint32_t)flows, &touched, &ns);
	if (err) {
		log_err("bench: testrun %s: %s", prog, strerror(-err));
		return 1;
	}
	printf("{\"prog\":\"%s\",\"legs\":%" PRIu64 ",\"flows\":%" PRIu64 ",\"repeat\":%" PRIu64
	       ",\"ns_per_pkt\":%u,\"legs_touched\":%" PRIu64 "}\n",
	       prog, !strcmp(prog, "pierce") ? legs : 0, !strcmp(prog, "pierce") ? flows : 0, repeat, ns, touched);
	return 0;
}

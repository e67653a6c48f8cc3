// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pierce-bench: see bench.h; tools/bench/run.sh drives it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "log.h"
#include "sockaddr.h"

const char *bench_pin_dir;

int bench_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || errno || *end || v > max) {
		fprintf(stderr, "pierce-bench: %s '%s' is not a number in 0..%" PRIu64 "\n", opt, s, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int bench_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) {
		fprintf(stderr, "pierce-bench: '%s' is not a MAC address\n", s);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

int cmd_fill(int argc, char **argv)
{
	struct sockaddr_storage first, src;
	char fb[SA_STR_MAX], sb[SA_STR_MAX];
	struct pierce_dp *dp = NULL;
	uint64_t legs, flows = 0;
	int err;

	if (argc < 2 || argc > 3 ||
	    bench_parse_u64("legs", argv[1], (uint64_t)BENCH_N_ADDRS * BENCH_PORT_COUNT, &legs) || !legs ||
	    (argc == 3 && (bench_parse_u64("flows", argv[2], legs, &flows) || !flows))) {
		fprintf(stderr, "pierce-bench: usage: fill LEGS [FLOWS] (1..%u legs, 1..LEGS flows)\n",
			BENCH_N_ADDRS * BENCH_PORT_COUNT);
		return 2;
	}
	if (argc == 2)
		flows = legs;
	err = bench_dp_open(bench_pin_dir, true, &dp);
	if (!err)
		err = bench_chain_fill(dp, (uint32_t)legs, (uint32_t)flows, 1, &first, &src);
	pierce_dp_close(dp);
	if (err) {
		log_err("bench: fill: %s", strerror(-err));
		return 1;
	}
	printf("{\"legs\":%" PRIu64 ",\"flows\":%" PRIu64 ",\"first\":\"%s\",\"src\":\"%s\"}\n", legs, flows,
	       sa_format(&first, fb, sizeof(fb)), sa_format(&src, sb, sizeof(sb)));
	return 0;
}

int cmd_touched(int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	uint64_t touched = 0, packets = 0;
	int err;

	err = bench_dp_open(bench_pin_dir, true, &dp);
	if (!err)
		err = bench_chain_touched(dp, &touched, &packets);
	pierce_dp_close(dp);
	if (err) {
		log_err("bench: touched: %s", strerror(-err));
		return 1;
	}
	printf("{\"legs_touched\":%" PRIu64 ",\"leg_packets\":%" PRIu64 "}\n", touched, packets);
	return 0;
}

/* Loads (or adopts) the benchmark geometry under --pin-dir and attaches it:
 * its 16 x 65536 ports include port 0, which piercectl rightly refuses. */
static int cmd_attach(int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	int err;

	if (argc != 2 || !bench_pin_dir) {
		fprintf(stderr, "pierce-bench: usage: --pin-dir DIR attach IFNAME\n");
		return 2;
	}
	err = pierce_dp_ensure_bpffs(bench_pin_dir);
	if (!err)
		err = bench_dp_open(bench_pin_dir, false, &dp);
	if (!err)
		err = pierce_dp_attach(dp, argv[1], false);
	pierce_dp_close(dp);
	if (err) {
		log_err("bench: attach %s: %s", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pierce-bench [--pin-dir DIR] COMMAND\n"
		   "  attach IFNAME    load and pin the benchmark data plane, attach it natively\n"
		   "  fill LEGS [FLOWS] install LEGS legs, FLOWS of them (default all) in a random cycle\n"
		   "  touched          legs that forwarded packets\n"
		   "  gen --ifname IF --dmac MAC --src IP:PORT --dst IP:PORT [--seconds S] [--spray OBJ]\n"
		   "      [--relay-cpu N] [--relay-pid PID]   live-frame generator\n"
		   "  testrun --prog reflector|pierce [--legs N [--flows K]] [--repeat R] [--ifname IF]\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	log_init("pierce-bench", LOG_LVL_WARN, false);
	if (i + 1 < argc && !strcmp(argv[i], "--pin-dir")) {
		bench_pin_dir = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "attach"))
		return cmd_attach(argc - i, argv + i);
	if (!strcmp(argv[i], "fill"))
		return cmd_fill(argc - i, argv + i);
	if (!strcmp(argv[i], "touched"))
		return cmd_touched(argc - i, argv + i);
	if (!strcmp(argv[i], "gen"))
		return cmd_gen(argc - i, argv + i);
	if (!strcmp(argv[i], "testrun"))
		return cmd_testrun(argc - i, argv + i);
	if (!strcmp(argv[i], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "pierce-bench: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}

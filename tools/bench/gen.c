// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gen: the traffic generator. BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * runs "return XDP_TX" over 2^20 frames per call, sending each out of the
 * generator veth to the relay, whose XDP program is under test. Frames the
 * relay sends back are dropped by XDP on the generator veth. Each call has a
 * fixed cost of ~25 ms, hence the large calls.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "cpu.h"
#include "insns.h"
#include "log.h"
#include "sockaddr.h"
#include "spray.h"

#define GEN_REPEAT (1 << 20)
#define GEN_BATCH 256 /* the kernel's largest live-frame batch */

static int if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

struct gen_args {
	const char *ifname, *spray_obj;
	uint8_t dmac[6];
	struct sockaddr_storage src, dst;
	uint64_t seconds, relay_cpu, relay_pid;
	bool has_dmac, has_src, has_dst;
};

static int parse_gen(int argc, char **argv, struct gen_args *a)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' }, { "dmac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },    { "dst", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' }, { "relay-cpu", required_argument, NULL, 'c' },
		{ "relay-pid", required_argument, NULL, 'p' }, { "spray", required_argument, NULL, 'S' }, { 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->seconds = 4;
	a->relay_cpu = 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->ifname = optarg; break;
		case 'S': a->spray_obj = optarg; break;
		case 'm':
			if (bench_parse_mac(optarg, a->dmac))
				return -EINVAL;
			a->has_dmac = true;
			break;
		case 's':
			if (sa_parse_hostport(optarg, 0, &a->src))
				return fprintf(stderr, "pierce-bench: --src '%s' is not IP:PORT\n", optarg), -EINVAL;
			a->has_src = true;
			break;
		case 'd':
			if (sa_parse_hostport(optarg, 0, &a->dst))
				return fprintf(stderr, "pierce-bench: --dst '%s' is not IP:PORT\n", optarg), -EINVAL;
			a->has_dst = true;
			break;
		case 't':
			if (bench_parse_u64("--seconds", optarg, 600, &a->seconds) || !a->seconds)
				return -EINVAL;
			break;
		case 'c':
			if (bench_parse_u64("--relay-cpu", optarg, 4095, &a->relay_cpu))
				return -EINVAL;
			break;
		case 'p':
			if (bench_parse_u64("--relay-pid", optarg, 1 << 30, &a->relay_pid))
				return -EINVAL;
			break;
		default:
			fprintf(stderr, "pierce-bench: gen: unknown or incomplete option '%s'\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (!a->ifname || !a->has_dmac || !a->has_src || !a->has_dst) {
		fprintf(stderr, "pierce-bench: gen needs --ifname, --dmac, --src and --dst\n");
		return -EINVAL;
	}
	if (a->spray_obj && !bench_pin_dir) {
		fprintf(stderr, "pierce-bench: gen --spray needs --pin-dir (the data plane whose legs it targets)\n");
		return -EINVAL;
	}
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_args a;
	struct cpu_sample s0, s1;
	uint8_t frame[BENCH_FRAME_LEN], smac[6];
	struct xdp_md ctx = { .data_end = sizeof(frame) };
	int tx_fd = -1, drop_fd = -1, ifindex, err;
	struct pierce_dp *dp = NULL;
	struct spray *spray = NULL;
	uint32_t n_targets = 0;
	uint64_t calls = 0, end_ns;

	if (parse_gen(argc, argv, &a))
		return 2;
	ifindex = (int)if_nametoindex(a.ifname);
	if (!ifindex) {
		fprintf(stderr, "pierce-bench: gen: no interface %s\n", a.ifname);
		return 1;
	}
	err = if_mac(a.ifname, smac);
	if (!err)
		err = bench_frame(frame, sizeof(frame), smac, a.dmac, &a.src, &a.dst);
	if (err) {
		log_err("bench: cannot build the frame (MAC of %s, IPv4 addresses): %s", a.ifname, strerror(-err));
		goto out;
	}
	ctx.ingress_ifindex = (__u32)ifindex;
	if (a.spray_obj) {
		err = bench_dp_open(bench_pin_dir, true, &dp);
		if (!err)
			err = spray_open(a.spray_obj, dp, frame, &a.dst, &spray, &tx_fd, &n_targets);
		if (err) {
			log_err("bench: cannot load the sprayer %s: %s", a.spray_obj, strerror(-err));
			goto out;
		}
		tx_fd = dup(tx_fd); /* closed below like the plain one */
	} else {
		tx_fd = bench_const_xdp_prog(XDP_TX);
	}
	drop_fd = bench_const_xdp_prog(XDP_DROP);
	if (tx_fd < 0 || drop_fd < 0) {
		err = tx_fd < 0 ? tx_fd : drop_fd;
		log_err("bench: cannot load the generator programs: %s", strerror(-err));
		goto out;
	}
	/* the relay's XDP_TX reaches this veth only if it runs XDP itself */
	err = bpf_xdp_attach(ifindex, drop_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		log_err("bench: cannot attach XDP_DROP to %s: %s", a.ifname, strerror(-err));
		goto out;
	}
	err = cpu_sample((int)a.relay_cpu, (pid_t)a.relay_pid, &s0);
	if (err) {
		log_err("bench: cannot sample CPU %" PRIu64 " / pid %" PRIu64 ": %s", a.relay_cpu, a.relay_pid,
			strerror(-err));
		goto out;
	}
	end_ns = s0.wall_ns + a.seconds * 1000000000ULL;
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame),
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = GEN_REPEAT,
			    .batch_size = GEN_BATCH, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		err = bpf_prog_test_run_opts(tx_fd, &o);
		if (err) {
			err = -errno;
			log_err("bench: live-frame run: %s", strerror(-err));
			goto out;
		}
		calls++;
		err = cpu_sample((int)a.relay_cpu, (pid_t)a.relay_pid, &s1);
		if (err) {
			log_err("bench: cannot sample CPU: %s", strerror(-err));
			goto out;
		}
	} while (s1.wall_ns < end_ns);
	printf("{\"frames_sent\":%" PRIu64 ",\"calls\":%" PRIu64 ",\"wall_ns\":%" PRIu64
	       ",\"relay_idle_ns\":%" PRIu64 ",\"relay_sched_ns\":%" PRIu64 ",\"relay_thread_ns\":%" PRIu64
	       ",\"spray_targets\":%u}\n",
	       calls * GEN_REPEAT, calls, s1.wall_ns - s0.wall_ns, s1.idle_ns - s0.idle_ns, s1.sched_ns - s0.sched_ns,
	       s1.thread_ns - s0.thread_ns, n_targets);
out:
	/* The drop program stays on: frames may still be in flight, and
	 * detaching would tear down the veth's NAPI thread that run.sh pinned.
	 * The interface is the benchmark's own and goes with its namespace. */
	if (tx_fd >= 0)
		close(tx_fd);
	if (drop_fd >= 0)
		close(drop_fd);
	spray_close(spray);
	pierce_dp_close(dp);
	return err ? 1 : 0;
}

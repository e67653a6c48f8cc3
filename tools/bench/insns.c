// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "insns.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>

int bench_const_xdp_prog(int verdict)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_const", "GPL", insns, 2, NULL);

	return fd < 0 ? -errno : fd;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_fib_lookup answers BPF_FIB_LKUP_RET_FWD_DISABLED unless forwarding is
 * on for the interface named in its params. pierce names lo there: a lookup
 * "arriving on lo" is the output route of a locally generated packet, which
 * is what the relay sends. Forwarding on lo alone routes nothing between the
 * external interfaces, so the host does not become a router.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dp_internal.h"
#include "log.h"

static int sysctl_set_one(const char *path)
{
	char cur = 0;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &cur, 1) == 1 && cur == '1')
		goto out;
	if (pwrite(fd, "1\n", 2, 0) != 2) {
		err = -errno;
		goto out;
	}
	log_info("dataplane: set %s = 1 (next-hop lookups through lo; no other interface forwards)", path);
out:
	close(fd);
	return err;
}

int dp_enable_lo_forwarding(void)
{
	int err = sysctl_set_one("/proc/sys/net/ipv4/conf/lo/forwarding");

	if (err) {
		log_err("dataplane: cannot enable IPv4 forwarding on lo: %s", strerror(-err));
		return err;
	}
	err = sysctl_set_one("/proc/sys/net/ipv6/conf/lo/forwarding");
	if (err == -ENOENT) {
		log_warn("dataplane: IPv6 is disabled: IPv6 legs will take the slow path");
		return 0;
	}
	if (err)
		log_err("dataplane: cannot enable IPv6 forwarding on lo: %s", strerror(-err));
	return err;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach, detach, unload and cfg: the life cycle of the pinned data plane. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "sockaddr.h"

#define PORTS_DEFAULT_MIN 30000
#define PORTS_DEFAULT_MAX 39999

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "A-B", both in 1..65535, A <= B. */
static int parse_port_range(const char *s, uint16_t *min, uint32_t *count)
{
	char buf[16];
	char *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse_u32(buf, 65535, &a) || parse_u32(dash + 1, 65535, &b) || a == 0 || a > b)
		return -EINVAL;
	*min = (uint16_t)a;
	*count = b - a + 1;
	return 0;
}

static int add_address(const char *s, struct pierce_local *addrs, uint32_t *n)
{
	struct sockaddr_storage ss;
	uint16_t port_be;

	if (*n >= PIERCE_MAX_ADDRS)
		return -E2BIG;
	if (sa_parse_ip(s, 0, &ss))
		return -EINVAL;
	memset(&addrs[*n], 0, sizeof(addrs[*n]));
	if (pierce_addr_from_sockaddr(&ss, &addrs[*n].addr, &addrs[*n].family, &port_be))
		return -EINVAL;
	(*n)++;
	return 0;
}

int cmd_attach(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "generic", no_argument, NULL, 'g' },
		{ "address", required_argument, NULL, 'a' },
		{ "ports", required_argument, NULL, 'P' },
		{ "fib-ifindex", required_argument, NULL, 'f' },
		{ "nh-ttl-ms", required_argument, NULL, 't' },
		{ 0 },
	};
	struct pierce_local addrs[PIERCE_MAX_ADDRS];
	struct pierce_dp_opts o = { .pin_dir = ctl->pin_dir, .addrs = addrs };
	struct pierce_dp *dp = NULL;
	const char *ifname;
	bool generic = false, adopted = false;
	uint32_t ttl_ms;
	char bad[3];
	int c, err, ret = CTL_FAIL;

	optind = 0; /* a fresh getopt over this subcommand */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			generic = true;
			break;
		case 'a':
			err = add_address(optarg, addrs, &o.n_addrs);
			if (err == -E2BIG)
				return ctl_usage_error("attach: at most %d --address", PIERCE_MAX_ADDRS);
			if (err)
				return ctl_usage_error("attach: --address '%s' is not an IPv4 or IPv6 address", optarg);
			break;
		case 'P':
			if (parse_port_range(optarg, &o.port_min, &o.port_count))
				return ctl_usage_error("attach: --ports '%s' is not A-B with 1 <= A <= B <= 65535", optarg);
			break;
		case 'f':
			if (parse_u32(optarg, UINT32_MAX, &o.fib_ifindex))
				return ctl_usage_error("attach: --fib-ifindex '%s' is not an ifindex", optarg);
			break;
		case 't':
			if (parse_u32(optarg, 3600000, &ttl_ms) || ttl_ms == 0)
				return ctl_usage_error("attach: --nh-ttl-ms '%s' is not 1..3600000", optarg);
			o.nh_ttl_ns = (uint64_t)ttl_ms * 1000000ULL;
			break;
		default:
			return ctl_usage_error("attach: unknown or incomplete option '%s'", ctl_bad_option(argv, bad));
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error("attach: needs exactly one interface name");
	ifname = argv[optind];
	if (strlen(ifname) >= IF_NAMESIZE || !if_nametoindex(ifname)) {
		fprintf(stderr, "piercectl: attach: no interface '%s' here\n", ifname);
		return CTL_FAIL;
	}
	/* without addresses only an already pinned data plane can be attached:
	 * its geometry is taken as pinned, the program loaded on its maps */
	if (o.n_addrs == 0 && o.port_count)
		return ctl_usage_error("attach: --ports needs --address (a pinned data plane keeps its ports)");
	if (o.n_addrs && !o.port_count) {
		o.port_min = PORTS_DEFAULT_MIN;
		o.port_count = PORTS_DEFAULT_MAX - PORTS_DEFAULT_MIN + 1;
	}
	err = pierce_dp_ensure_bpffs(ctl->pin_dir);
	if (err)
		return ctl_fail(err, "attach: no bpffs at %s and cannot mount one", ctl->pin_dir);
	if (pierce_dp_pin_private()) {
		/* the XDP link would be unpinned, so detached, the moment we exit */
		fprintf(stderr, "piercectl: attach: %s is not on a bpffs this mount namespace shares (inside "
				"`ip netns exec` /sys is private): use --pin-dir on a bpffs mounted outside /sys, "
				"e.g. mount -t bpf bpf /run/pierce-bpf\n", ctl->pin_dir);
		return CTL_FAIL;
	}
	err = pierce_dp_open(&o, &dp, &adopted);
	if (err == -ENOENT && o.n_addrs == 0)
		return ctl_usage_error("attach: nothing pinned under %s yet: give --address", ctl->pin_dir);
	if (err == -EEXIST) {
		fprintf(stderr, "piercectl: attach: the data plane pinned under %s has other addresses or ports; "
				"piercectl unload first\n", ctl->pin_dir);
		goto out;
	}
	if (err == -ESTALE) {
		fprintf(stderr, "piercectl: attach: %s holds links but an incomplete set of maps; "
				"piercectl unload first\n", ctl->pin_dir);
		goto out;
	}
	if (err == -EPROTO) {
		fprintf(stderr, "piercectl: attach: the data plane pinned under %s has another ABI version\n",
			ctl->pin_dir);
		goto out;
	}
	if (err) {
		ctl_fail(err, "attach: cannot load the data plane");
		goto out;
	}
	err = pierce_dp_attach(dp, ifname, generic);
	if (err) {
		ctl_fail(err, "attach: cannot attach to %s (%s mode)", ifname, generic ? "generic" : "native");
		goto out;
	}
	if (ctl->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "ifname", ifname);
		json_str(&j, "mode", generic ? "generic" : "native");
		json_bool(&j, "adopted", adopted);
		json_str(&j, "pin_dir", ctl->pin_dir);
		json_obj_end(&j);
		json_done(&j);
	} else {
		printf("%s data plane under %s, attached to %s (%s)\n", adopted ? "adopted" : "loaded",
		       ctl->pin_dir, ifname, generic ? "generic" : "native");
	}
	ret = CTL_OK;
out:
	pierce_dp_close(dp);
	return ret;
}

static int one_ifname(const char *cmd, int argc, char **argv, const char **ifname)
{
	if (argc != 2 || argv[1][0] == '-')
		return ctl_usage_error("%s: needs exactly one interface name", cmd);
	*ifname = argv[1];
	return CTL_OK;
}

int cmd_detach(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	const char *ifname = NULL;
	int err, ret;

	ret = one_ifname("detach", argc, argv, &ifname);
	if (ret)
		return ret;
	if (ctl_adopt(ctl, &dp))
		return CTL_FAIL;
	err = pierce_dp_detach(dp, ifname);
	if (err == -ENOENT) {
		fprintf(stderr, "piercectl: detach: pierce is not attached to %s\n", ifname);
		ret = CTL_FAIL;
	} else if (err) {
		ret = ctl_fail(err, "detach: %s", ifname);
	} else if (!ctl->json) {
		printf("detached from %s\n", ifname);
	} else {
		printf("{\"detached\":true}\n");
	}
	pierce_dp_close(dp);
	return ret;
}

int cmd_unload(const struct ctl *ctl, int argc, char **argv)
{
	int err;

	if (argc != 1)
		return ctl_usage_error("unload: takes no arguments");
	err = pierce_dp_unpin_all(ctl->pin_dir);
	if (err)
		return ctl_fail(err, "unload: cannot unpin under %s", ctl->pin_dir);
	if (ctl->json)
		printf("{\"unloaded\":true}\n");
	else
		printf("unpinned the data plane under %s\n", ctl->pin_dir);
	return CTL_OK;
}

int cmd_cfg(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	struct pierce_cfg cfg;
	struct sockaddr_storage ss;
	char buf[SA_STR_MAX];
	struct json j;
	int err, ret = CTL_FAIL;

	if (argc != 1)
		return ctl_usage_error("cfg: takes no arguments");
	if (ctl_adopt(ctl, &dp))
		return CTL_FAIL;
	err = pierce_dp_cfg_get(dp, &cfg);
	if (err) {
		ctl_fail(err, "cfg: cannot read the cfg map");
		goto out;
	}
	json_init(&j, stdout);
	if (ctl->json) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "abi_version", cfg.abi_version);
		json_u64(&j, "port_min", cfg.port_min);
		json_u64(&j, "port_count", cfg.port_count);
		json_u64(&j, "fib_ifindex", cfg.fib_ifindex);
		json_u64(&j, "nh_ttl_ns", cfg.nh_ttl_ns);
		json_u64(&j, "flags", cfg.flags);
		json_bool(&j, "slowpath", cfg.flags & PIERCE_CFG_SLOWPATH);
		json_u64(&j, "slow_alive_ns", cfg.slow_alive_ns);
		json_u64(&j, "legs", pierce_dp_leg_count(dp));
		json_arr_begin(&j, "addresses");
	} else {
		printf("abi %u, ports %u-%u, %" PRIu32 " legs, fib ifindex %u, next-hop ttl %" PRIu64 " ms\n",
		       cfg.abi_version, cfg.port_min, cfg.port_min + cfg.port_count - 1,
		       pierce_dp_leg_count(dp), cfg.fib_ifindex, (uint64_t)(cfg.nh_ttl_ns / 1000000));
		printf("slow path %s%s%s\n", (cfg.flags & PIERCE_CFG_SLOWPATH) ? "on" : "off",
		       cfg.slow_alive_ns ? " with heartbeat" : "", (cfg.flags & PIERCE_CFG_KEEP_TTL) ? ", keep ttl" : "");
	}
	for (uint32_t i = 0; i < cfg.n_addrs && i < PIERCE_MAX_ADDRS; i++) {
		const struct pierce_local *l = &cfg.addrs[i];

		if (pierce_addr_to_sockaddr(&l->addr, l->family, 0, &ss))
			continue;
		sa_format_ip(&ss, buf, sizeof(buf));
		if (ctl->json)
			json_str(&j, NULL, buf);
		else
			printf("address %s slot %u\n", buf, l->slot);
	}
	if (ctl->json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_done(&j);
	}
	ret = CTL_OK;
out:
	pierce_dp_close(dp);
	return ret;
}

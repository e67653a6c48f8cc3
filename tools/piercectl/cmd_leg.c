// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* leg add / del: install and remove one forwarding entry by relay ip:port. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sockaddr.h"

static const char *const policy_names[] = {
	[PIERCE_SRC_STRICT] = "strict",
	[PIERCE_SRC_TRUST] = "trust",
	[PIERCE_SRC_RELATCH] = "relatch",
};

const char *ctl_policy_name(unsigned policy)
{
	if (policy < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[policy];
	return "?";
}

static int parse_policy(const char *s, uint8_t *out)
{
	for (unsigned i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(s, policy_names[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "IP" (any port) or "IP:PORT" / "[IP6]:PORT". */
static int parse_ip_opt_port(const char *s, struct sockaddr_storage *ss)
{
	if (!sa_parse_ip(s, 0, ss))
		return 0;
	return sa_parse_hostport(s, 0, ss);
}

int ctl_leg_relay(const struct pierce_cfg *cfg, uint32_t index, struct sockaddr_storage *out)
{
	uint32_t slot;

	if (!cfg->port_count)
		return -ENOENT;
	slot = index / cfg->port_count;
	for (uint32_t i = 0; i < cfg->n_addrs && i < PIERCE_MAX_ADDRS; i++) {
		const struct pierce_local *l = &cfg->addrs[i];

		if (l->family && l->slot == slot)
			return pierce_addr_to_sockaddr(&l->addr, l->family,
						       htons((uint16_t)(cfg->port_min + index % cfg->port_count)), out);
	}
	return -ENOENT;
}

/* Relay ip:port to a legs[] index, with a message when it is not one. */
static int relay_index(const struct pierce_cfg *cfg, const char *what, const struct sockaddr_storage *ss,
		       uint32_t *index)
{
	char buf[SA_STR_MAX];
	int64_t idx = pierce_dp_leg_index(cfg, ss);

	if (idx < 0) {
		uint16_t port = sa_port(ss);

		fprintf(stderr, "piercectl: leg: %s %s is not a relay address and port of this data plane "
				"(ports %u-%u)\n", what, sa_format(ss, buf, sizeof(buf)), cfg->port_min,
			cfg->port_min + cfg->port_count - 1);
		/* a port outside the range is a bad command line; an address
		 * this data plane does not serve is a failed lookup */
		return port < cfg->port_min || (uint32_t)(port - cfg->port_min) >= cfg->port_count ? -ERANGE : -ENOENT;
	}
	*index = (uint32_t)idx;
	return 0;
}

struct leg_args {
	struct sockaddr_storage relay, dst, src, allow, peer;
	bool has_relay, has_dst, has_src, has_allow, has_peer, replace, any_src, rtcp_next;
	uint8_t policy;
	int dscp; /* -1: leave DSCP alone */
};

static int parse_leg_args(int argc, char **argv, struct leg_args *a)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "allow", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },
		{ "dscp", required_argument, NULL, 'D' },
		{ "peer", required_argument, NULL, 'e' },
		{ "replace", no_argument, NULL, 'R' },
		{ "any-src", no_argument, NULL, 'A' },
		{ "rtcp-next", no_argument, NULL, 'N' },
		{ 0 },
	};
	char *end, bad[3];
	long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->dscp = -1;
	optind = 0; /* a fresh getopt over this subcommand */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (sa_parse_hostport(optarg, 0, &a->relay))
				return ctl_usage_error("leg: --relay '%s' is not IP:PORT", optarg);
			a->has_relay = true;
			break;
		case 'd':
			if (sa_parse_hostport(optarg, 0, &a->dst))
				return ctl_usage_error("leg: --dst '%s' is not IP:PORT", optarg);
			a->has_dst = true;
			break;
		case 's':
			if (sa_parse_hostport(optarg, 0, &a->src))
				return ctl_usage_error("leg: --src '%s' is not IP:PORT", optarg);
			a->has_src = true;
			break;
		case 'a':
			if (parse_ip_opt_port(optarg, &a->allow))
				return ctl_usage_error("leg: --allow '%s' is not IP or IP:PORT", optarg);
			a->has_allow = true;
			break;
		case 'p':
			if (parse_policy(optarg, &a->policy))
				return ctl_usage_error("leg: --policy '%s' is not strict, trust or relatch", optarg);
			break;
		case 'D':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || !*optarg || *end || v < 0 || v > 63)
				return ctl_usage_error("leg: --dscp '%s' is not 0..63", optarg);
			a->dscp = (int)v;
			break;
		case 'e':
			if (sa_parse_hostport(optarg, 0, &a->peer))
				return ctl_usage_error("leg: --peer '%s' is not IP:PORT (the opposite leg's relay address)",
						       optarg);
			a->has_peer = true;
			break;
		case 'R':
			a->replace = true;
			break;
		case 'A':
			a->any_src = true;
			break;
		case 'N':
			a->rtcp_next = true;
			break;
		default:
			return ctl_usage_error("leg: unknown or incomplete option '%s'", ctl_bad_option(argv, bad));
		}
	}
	if (optind != argc)
		return ctl_usage_error("leg: unexpected argument '%s'", argv[optind]);
	if (!a->has_relay)
		return ctl_usage_error("leg: --relay IP:PORT is required");
	if (a->has_allow && a->any_src)
		return ctl_usage_error("leg: --allow and --any-src exclude each other");
	if (a->has_dst && (a->has_src || a->has_peer) &&
	    a->dst.ss_family != (a->has_src ? a->src.ss_family : a->peer.ss_family))
		return ctl_usage_error("leg: --dst and the address the relay sends from (--src, else --peer) "
				       "are of different families");
	return CTL_OK;
}

static int build_leg(const struct pierce_cfg *cfg, const struct leg_args *a, struct pierce_leg *leg)
{
	uint16_t port_be;
	uint8_t family;
	uint32_t peer;

	memset(leg, 0, sizeof(*leg));
	leg->flags = PIERCE_LEG_ACTIVE;
	leg->policy = a->policy;
	if (a->has_dst) {
		if (pierce_addr_from_sockaddr(&a->dst, &leg->dst, &leg->dst_family, &leg->dst_port_be))
			return -EINVAL;
		leg->flags |= PIERCE_LEG_HAS_DEST;
	}
	/* the relay sends from the opposite leg's address unless told otherwise */
	if (a->has_src || a->has_peer) {
		if (pierce_addr_from_sockaddr(a->has_src ? &a->src : &a->peer, &leg->src, &family,
					      &leg->src_port_be))
			return -EINVAL;
	}
	if (a->has_allow) {
		if (pierce_addr_from_sockaddr(&a->allow, &leg->allow, &leg->allow_family, &port_be))
			return -EINVAL;
		leg->allow_port_be = port_be;
		if (port_be) /* an exact source is already what latching would learn */
			leg->flags |= PIERCE_LEG_LATCHED;
	} else {
		leg->flags |= PIERCE_LEG_ANY_SRC;
	}
	if (a->dscp >= 0) {
		leg->dscp = (uint8_t)a->dscp;
		leg->flags |= PIERCE_LEG_SET_DSCP;
	}
	if (a->has_peer) {
		int err = relay_index(cfg, "--peer", &a->peer, &peer);

		if (err)
			return err;
		leg->peer_index = peer;
		leg->flags |= PIERCE_LEG_HAS_PEER;
	}
	if (a->rtcp_next)
		leg->flags |= PIERCE_LEG_RTCP_NEXT;
	return 0;
}

static int leg_add(const struct ctl *ctl, struct pierce_dp *dp, const struct pierce_cfg *cfg,
		   const struct leg_args *a)
{
	struct pierce_leg leg, old;
	char buf[SA_STR_MAX];
	uint32_t index;
	int err;

	if (!a->has_src && !a->has_peer)
		return ctl_usage_error("leg add: give --src IP:PORT or --peer IP:PORT (where the relay sends from)");
	err = relay_index(cfg, "--relay", &a->relay, &index);
	if (err)
		return err == -ERANGE ? CTL_USAGE : CTL_FAIL;
	if (!a->has_allow && !a->any_src) /* an open leg is a choice, never a default */
		return ctl_usage_error("leg add: give --allow IP[:PORT], or --any-src to latch the first "
				       "RTP-shaped packet from anyone");
	err = build_leg(cfg, a, &leg);
	if (err)
		return err == -ERANGE ? CTL_USAGE : CTL_FAIL;
	err = pierce_dp_leg_get(dp, index, &old);
	if (err)
		return ctl_fail(err, "leg add: cannot read leg %u", index);
	if ((old.flags & PIERCE_LEG_ACTIVE) && !a->replace) {
		fprintf(stderr, "piercectl: leg add: %s already has a leg (--replace overwrites it)\n",
			sa_format(&a->relay, buf, sizeof(buf)));
		return CTL_FAIL;
	}
	err = pierce_dp_leg_set(dp, index, &leg, true);
	if (err)
		return ctl_fail(err, "leg add: cannot write leg %u", index);
	if (ctl->json)
		printf("{\"index\":%u}\n", index);
	else
		printf("leg %u: %s\n", index, sa_format(&a->relay, buf, sizeof(buf)));
	return CTL_OK;
}

static int leg_del(const struct ctl *ctl, struct pierce_dp *dp, const struct pierce_cfg *cfg,
		   const struct leg_args *a)
{
	char buf[SA_STR_MAX];
	uint32_t index;
	int err;

	if (a->has_dst || a->has_src || a->has_allow || a->has_peer || a->dscp >= 0 || a->any_src || a->rtcp_next)
		return ctl_usage_error("leg del: takes only --relay IP:PORT");
	err = relay_index(cfg, "--relay", &a->relay, &index);
	if (err)
		return err == -ERANGE ? CTL_USAGE : CTL_FAIL;
	err = pierce_dp_leg_clear(dp, index);
	if (err)
		return ctl_fail(err, "leg del: cannot clear leg %u", index);
	if (ctl->json)
		printf("{\"index\":%u}\n", index);
	else
		printf("deleted leg %u: %s\n", index, sa_format(&a->relay, buf, sizeof(buf)));
	return CTL_OK;
}

int cmd_leg(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	struct pierce_cfg cfg;
	struct leg_args a;
	int err, ret;

	if (argc < 2)
		return ctl_usage_error("leg: needs add, del or list");
	if (!strcmp(argv[1], "list"))
		return cmd_legs(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "add") && strcmp(argv[1], "del"))
		return ctl_usage_error("leg: unknown subcommand '%s' (add, del, list)", argv[1]);
	ret = parse_leg_args(argc - 1, argv + 1, &a);
	if (ret)
		return ret;
	if (ctl_adopt(ctl, &dp))
		return CTL_FAIL;
	err = pierce_dp_cfg_get(dp, &cfg);
	if (err) {
		ret = ctl_fail(err, "leg: cannot read the cfg map");
		goto out;
	}
	if (!strcmp(argv[1], "add"))
		ret = leg_add(ctl, dp, &cfg, &a);
	else
		ret = leg_del(ctl, dp, &cfg, &a);
out:
	pierce_dp_close(dp);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeping the neighbours of active legs fresh. bpf_fib_lookup reads the
 * neighbour table but never tells it the entry is in use, so a STALE entry
 * is never re-probed and a peer whose MAC changed stays unreachable as long
 * as its media flows through XDP. What the kernel's own output path does
 * per packet is done here per next hop, every few seconds: RTM_NEWNEIGH with
 * NTF_USE (neigh_event_send: STALE -> DELAY -> probe).
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp_internal.h"
#include "log.h"

#define NH_SEEN_MAX 4096 /* distinct next hops handled per call */
#define NH_SEEN_SLOTS (2 * NH_SEEN_MAX)

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct rtmsg rt;
		struct ndmsg nd;
	};
	char attrs[64];
};

/* A next hop as the leg knows it: its cached (MAC, ifindex), or, with no
 * usable cache (the lookup failed: FAILED or no entry), its destination. */
struct nh_key {
	uint8_t used;     /* 0 marks a free slot */
	uint8_t by_dst;
	uint8_t addr[16]; /* MAC in the first 6 bytes, or the destination */
	uint32_t ifindex;
};

struct neigh_walk {
	int fd;
	uint32_t seq;
	uint64_t since_ns;
	struct nh_key *seen;
	unsigned n_seen, n_used;
};

static void add_attr(struct nl_req *r, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends r and reads the answer into buf; its length or -errno. */
static ssize_t nl_talk(struct neigh_walk *w, struct nl_req *r, char *buf, size_t len)
{
	ssize_t n;

	r->nh.nlmsg_seq = ++w->seq;
	if (send(w->fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	do {
		n = recv(w->fd, buf, len, 0);
		if (n < 0)
			return -errno;
	} while ((size_t)n >= sizeof(struct nlmsghdr) && ((struct nlmsghdr *)buf)->nlmsg_seq != w->seq);
	if ((size_t)n < sizeof(struct nlmsghdr))
		return -EPROTO;
	if (((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(buf);

		return (size_t)n >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EPROTO;
	}
	return n;
}

/* The next hop towards dst: the gateway of its route, or dst itself. */
static int next_hop_of(struct neigh_walk *w, const struct pierce_leg *leg, int af, uint8_t *nh, uint32_t *oif)
{
	size_t alen = af == AF_INET ? 4 : 16;
	struct nl_req r = {};
	char buf[4096];
	struct rtattr *a;
	int len, found = 0;
	ssize_t n;

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.nh.nlmsg_type = RTM_GETROUTE;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.rt.rtm_family = (unsigned char)af;
	r.rt.rtm_dst_len = (unsigned char)(alen * 8);
	add_attr(&r, RTA_DST, leg->dst.addr_be, (unsigned short)alen);
	n = nl_talk(w, &r, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (((struct nlmsghdr *)buf)->nlmsg_type != RTM_NEWROUTE)
		return -EPROTO;
	memcpy(nh, leg->dst.addr_be, alen);
	len = (int)RTM_PAYLOAD((struct nlmsghdr *)buf);
	for (a = RTM_RTA(NLMSG_DATA(buf)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == alen)
			memcpy(nh, RTA_DATA(a), alen);
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == sizeof(uint32_t))
			found = (memcpy(oif, RTA_DATA(a), sizeof(*oif)), 1);
	}
	return found ? 0 : -ENOENT;
}

static int neigh_use(struct neigh_walk *w, int af, const uint8_t *nh, uint32_t oif)
{
	struct nl_req r = {};
	char buf[512];
	ssize_t n;

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	r.nh.nlmsg_type = RTM_NEWNEIGH;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	r.nd.ndm_family = (unsigned char)af;
	r.nd.ndm_ifindex = (int)oif;
	r.nd.ndm_flags = NTF_USE;
	add_attr(&r, NDA_DST, nh, af == AF_INET ? 4 : 16);
	n = nl_talk(w, &r, buf, sizeof(buf));
	return n < 0 ? (int)n : 0;
}

/* true the first time this (MAC, ifindex) is seen in this walk: an open
 * addressing set of NH_SEEN_SLOTS, at most half full. */
static bool first_sight(struct neigh_walk *w, const struct pierce_leg *leg)
{
	struct nh_key k = {};
	uint32_t h = 2166136261u;

	k.used = 1;
	k.by_dst = !leg->nh_stamp_ns;
	if (k.by_dst) {
		memcpy(k.addr, leg->dst.addr_be, sizeof(k.addr));
	} else {
		memcpy(k.addr, leg->nh_dmac, sizeof(leg->nh_dmac));
		k.ifindex = leg->nh_ifindex;
	}
	for (size_t i = 0; i < sizeof(k); i++)
		h = (h ^ ((const uint8_t *)&k)[i]) * 16777619u;
	for (uint32_t i = h % NH_SEEN_SLOTS;; i = (i + 1) % NH_SEEN_SLOTS) {
		if (!w->seen[i].used) {
			if (w->n_seen >= NH_SEEN_MAX)
				return false;
			w->seen[i] = k;
			w->n_seen++;
			return true;
		}
		if (!memcmp(&w->seen[i], &k, sizeof(k)))
			return false;
	}
}

static int confirm_leg(uint32_t index, const struct pierce_leg *leg, void *arg)
{
	struct neigh_walk *w = arg;
	int af = leg->dst_family == PIERCE_AF_INET ? AF_INET : AF_INET6;
	uint8_t nh[16];
	uint32_t oif = 0;
	int err;

	(void)index;
	if (!(leg->flags & PIERCE_LEG_HAS_DEST) || leg->last_seen_ns < w->since_ns ||
	    (leg->dst_family != PIERCE_AF_INET && leg->dst_family != PIERCE_AF_INET6) || !first_sight(w, leg))
		return 0;
	err = next_hop_of(w, leg, af, nh, &oif);
	if (!err)
		err = neigh_use(w, af, nh, oif);
	if (err)
		log_debug("dataplane: next hop of leg %u not confirmed: %s", index, strerror(-err));
	else
		w->n_used++;
	return 0; /* one unroutable leg does not stop the others */
}

int pierce_dp_neigh_confirm(struct pierce_dp *dp, uint64_t active_within_ns)
{
	struct neigh_walk w = {};
	struct timespec ts;
	uint64_t now;
	int err;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return -errno;
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	w.since_ns = now > active_within_ns ? now - active_within_ns : 1;
	w.seen = calloc(NH_SEEN_SLOTS, sizeof(*w.seen));
	if (!w.seen)
		return -ENOMEM;
	w.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w.fd < 0) {
		err = -errno;
		goto out;
	}
	err = pierce_dp_leg_foreach(dp, confirm_leg, &w);
	if (!err)
		err = (int)w.n_used;
out:
	if (w.fd >= 0)
		close(w.fd);
	free(w.seen);
	return err;
}

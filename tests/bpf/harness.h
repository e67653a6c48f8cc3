/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the BPF_PROG_TEST_RUN tests: a private network namespace with
 * veth pairs, routes and permanent neighbours (so bpf_fib_lookup has real
 * answers), frame builders that compute every checksum from scratch, and a
 * runner. Header-only because each tests/bpf/test_*.c is one binary.
 */
#ifndef PIERCE_TEST_HARNESS_H
#define PIERCE_TEST_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/dataplane.h"

/* Topology inside the test's own namespace:
 *   pd0 (10.9.0.1, fd00:9::1) <-> pd1      peer 10.9.0.2 / fd00:9::2, static neighbour
 *   pe0 (10.8.0.1, fd00:8::1) <-> pe1      peer 10.8.0.2 / fd00:8::2, static neighbour */
#define T_RELAY4   "10.9.0.1"
#define T_PEER4    "10.9.0.2"
#define T_OTHER4   "10.9.0.3"
#define T_NONEIGH4 "10.9.0.99"
#define T_FAR4     "10.8.0.2"
#define T_RELAY6   "fd00:9::1"
#define T_PEER6    "fd00:9::2"
#define T_PEER_MAC "02:00:00:00:09:02"
#define T_FAR_MAC  "02:00:00:00:08:02"
#define T_PORT_MIN 20000
#define T_PORTS    100

static const uint8_t t_peer_mac[6] = { 2, 0, 0, 0, 9, 2 };
static const uint8_t t_far_mac[6] = { 2, 0, 0, 0, 8, 2 };
static const uint8_t t_in_mac[6] = { 2, 0, 0, 0, 0x77, 1 };

struct t_env {
	struct pierce_dp *dp;
	int prog_fd;
	int if_pd0, if_pe0;
	uint8_t pd0_mac[6], pe0_mac[6];
};
static struct t_env T;

static inline int t_sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "harness: '%s' failed (%d)\n", cmd, rc);
	return rc == 0 ? 0 : -1;
}

static inline int t_read_mac(const char *ifname, uint8_t mac[6])
{
	char path[128];
	unsigned m[6];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	fclose(f);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return n == 6 ? 0 : -1;
}

/* New network and mount namespaces for this process: nothing leaks to the
 * host and everything vanishes when the test exits. Fails loudly. */
static inline int t_netns_setup(void)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add pd0 type veth peer name pd1",
		"ip link add pe0 type veth peer name pe1",
		"ip link set pd0 up", "ip link set pd1 up", "ip link set pe0 up", "ip link set pe1 up",
		"ip addr add 10.9.0.1/24 dev pd0", "ip addr add 10.8.0.1/24 dev pe0",
		"ip addr add fd00:9::1/64 dev pd0 nodad", "ip addr add fd00:8::1/64 dev pe0 nodad",
		"ip neigh add 10.9.0.2 lladdr " T_PEER_MAC " dev pd0 nud permanent",
		"ip neigh add 10.9.0.3 lladdr " T_PEER_MAC " dev pd0 nud permanent",
		"ip neigh add 10.8.0.2 lladdr " T_FAR_MAC " dev pe0 nud permanent",
		"ip neigh add fd00:9::2 lladdr " T_PEER_MAC " dev pd0 nud permanent",
		"ip neigh add fd00:8::2 lladdr " T_FAR_MAC " dev pe0 nud permanent",
	};

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: the BPF tests need root (BPF_PROG_TEST_RUN, network namespaces)\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		perror("FAIL: unshare(CLONE_NEWNET|CLONE_NEWNS)");
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) { /* sysfs of this namespace */
		perror("FAIL: private mounts");
		return -1;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (t_sh(cmds[i]))
			return -1;
	T.if_pd0 = (int)if_nametoindex("pd0");
	T.if_pe0 = (int)if_nametoindex("pe0");
	if (!T.if_pd0 || !T.if_pe0 || t_read_mac("pd0", T.pd0_mac) || t_read_mac("pe0", T.pe0_mac))
		return -1;
	return 0;
}

static inline void t_local(struct pierce_local *l, const char *ip)
{
	memset(l, 0, sizeof(*l));
	if (inet_pton(AF_INET, ip, l->addr.addr_be) == 1)
		l->family = PIERCE_AF_INET;
	else if (inet_pton(AF_INET6, ip, l->addr.addr_be) == 1)
		l->family = PIERCE_AF_INET6;
}

/* The real program through the skeleton, nothing pinned, serving the n
 * relay addresses ips (slot = position). */
static inline int t_dp_open_addrs(const char *const *ips, uint32_t n)
{
	struct pierce_local addrs[PIERCE_MAX_ADDRS];
	struct pierce_dp_opts o = {
		.pin_dir = "", .addrs = addrs, .n_addrs = n, .port_min = T_PORT_MIN, .port_count = T_PORTS,
	};
	int err;

	if (n > PIERCE_MAX_ADDRS)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		t_local(&addrs[i], ips[i]);
	err = pierce_dp_open(&o, &T.dp, NULL);
	if (err) {
		fprintf(stderr, "FAIL: pierce_dp_open: %s\n", strerror(-err));
		return -1;
	}
	T.prog_fd = pierce_dp_prog_fd(T.dp);
	return 0;
}

static inline int t_dp_open(void)
{
	static const char *const ips[] = { T_RELAY4, T_RELAY6 };

	return t_dp_open_addrs(ips, 2);
}

static inline int t_group_setup(void **state)
{
	(void)state;
	return t_netns_setup() || t_dp_open() ? -1 : 0;
}

static inline int t_group_teardown(void **state)
{
	(void)state;
	pierce_dp_close(T.dp);
	return 0;
}

/* ---- frames ------------------------------------------------------------ */

struct t_frame_spec {
	const char *src, *dst;   /* v4 or v6 literal; both the same family */
	uint16_t sport, dport;
	uint16_t payload;        /* bytes of payload after the UDP header */
	int vlans;               /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
	uint8_t tos;             /* v4 TOS / v6 traffic class */
	uint8_t ttl;             /* v4 TTL / v6 hop limit; 0 = 64 */
	bool zero_csum;          /* v4: send without UDP checksum */
	uint8_t v4_opt_words;    /* IPv4 option words (ihl = 5 + n) */
	uint16_t v4_frag;        /* frag_off field, host order */
	uint8_t ip_proto;        /* 0 = UDP */
	uint8_t v6_ext;          /* 0, or an extension header put before UDP */
	const uint8_t *dmac, *smac;
};

static inline uint32_t t_sum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline uint16_t t_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Checksum of the UDP datagram at udp (len bytes) with its pseudo header. */
static inline uint16_t t_udp_csum(int af, const void *src, const void *dst, const void *udp, uint16_t len)
{
	uint32_t sum = 0;
	size_t alen = af == AF_INET ? 4 : 16;

	sum = t_sum(src, alen, sum);
	sum = t_sum(dst, alen, sum);
	sum += IPPROTO_UDP + len;
	sum = t_sum(udp, len, sum);
	return t_fold(sum);
}

/* Builds a frame per spec into buf; returns its length. Checksums are
 * computed from scratch here, so comparing a rewritten frame with a built
 * one checks the program's incremental updates. */
static inline size_t t_build(uint8_t *buf, size_t cap, const struct t_frame_spec *s)
{
	uint8_t saddr[16], daddr[16];
	int af = strchr(s->src, ':') ? AF_INET6 : AF_INET;
	uint16_t ulen = (uint16_t)(sizeof(struct udphdr) + s->payload);
	size_t off = 12, l3;
	struct udphdr *udp;

	memset(buf, 0, cap);
	inet_pton(af, s->src, saddr);
	inet_pton(af, s->dst, daddr);
	memcpy(buf, s->dmac ? s->dmac : T.pd0_mac, 6);
	memcpy(buf + 6, s->smac ? s->smac : t_in_mac, 6);
	for (int v = 0; v < s->vlans; v++) {
		uint16_t tpid = (s->vlans == 2 && v == 0) ? 0x88a8 : 0x8100;

		buf[off] = (uint8_t)(tpid >> 8);
		buf[off + 1] = (uint8_t)tpid;
		buf[off + 2] = 0;
		buf[off + 3] = (uint8_t)(100 + v);
		off += 4;
	}
	buf[off] = af == AF_INET ? 0x08 : 0x86;
	buf[off + 1] = af == AF_INET ? 0x00 : 0xdd;
	l3 = off + 2;
	if (af == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(buf + l3);
		size_t hl = 20 + 4u * s->v4_opt_words;

		ip->version = 4;
		ip->ihl = (uint8_t)(5 + s->v4_opt_words);
		ip->tos = s->tos;
		ip->tot_len = htons((uint16_t)(hl + ulen));
		ip->id = htons(0x1234);
		ip->frag_off = htons(s->v4_frag);
		ip->ttl = s->ttl ? s->ttl : 64;
		ip->protocol = s->ip_proto ? s->ip_proto : IPPROTO_UDP;
		memcpy(&ip->saddr, saddr, 4);
		memcpy(&ip->daddr, daddr, 4);
		for (size_t i = 20; i < hl; i++)
			buf[l3 + i] = 1; /* NOP options */
		ip->check = htons(t_fold(t_sum(ip, hl, 0)));
		udp = (struct udphdr *)(buf + l3 + hl);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + l3);
		size_t ext = s->v6_ext ? 8 : 0;
		uint8_t *e = buf + l3 + 40;

		ip6->version = 6;
		ip6->priority = s->tos >> 4;
		ip6->flow_lbl[0] = (uint8_t)((s->tos & 0xf) << 4);
		ip6->flow_lbl[2] = 0x42;
		ip6->payload_len = htons((uint16_t)(ext + ulen));
		ip6->nexthdr = s->v6_ext ? s->v6_ext : (s->ip_proto ? s->ip_proto : IPPROTO_UDP);
		ip6->hop_limit = s->ttl ? s->ttl : 64;
		memcpy(&ip6->saddr, saddr, 16);
		memcpy(&ip6->daddr, daddr, 16);
		if (ext) {
			e[0] = IPPROTO_UDP; /* next header; hdrlen 0 = 8 bytes; for a fragment: offset 0, M set */
			if (s->v6_ext == IPPROTO_FRAGMENT)
				e[3] = 1;
		}
		udp = (struct udphdr *)(buf + l3 + 40 + ext);
	}
	udp->source = htons(s->sport);
	udp->dest = htons(s->dport);
	udp->len = htons(ulen);
	for (size_t i = 0; i < s->payload; i++)
		((uint8_t *)(udp + 1))[i] = (uint8_t)(0x80 + i);
	if (!(af == AF_INET && s->zero_csum))
		udp->check = htons(t_udp_csum(af, saddr, daddr, udp, ulen));
	if (udp->check == 0 && !(af == AF_INET && s->zero_csum))
		udp->check = 0xffff;
	return (size_t)((uint8_t *)(udp + 1) - buf) + s->payload;
}

static inline uint64_t t_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- running ----------------------------------------------------------- */

struct t_run {
	int action;
	uint8_t out[4096];
	uint32_t out_len;
	uint32_t duration_ns;
};

static inline int t_run_n(const void *frame, size_t len, int ifindex, uint32_t repeat, struct t_run *r)
{
	struct xdp_md ctx = { .data = 0, .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int err = bpf_prog_test_run_opts(T.prog_fd, &o);

	if (err) {
		fprintf(stderr, "bpf_prog_test_run_opts: %s\n", strerror(errno));
		return -errno;
	}
	r->action = (int)o.retval;
	r->out_len = o.data_size_out;
	r->duration_ns = o.duration;
	return 0;
}

static inline int t_run(const void *frame, size_t len, struct t_run *r)
{
	return t_run_n(frame, len, T.if_pd0, 1, r);
}

static inline int t_slow_record(void *ctx, void *data, size_t size)
{
	const struct pierce_slow_hdr *h = data;

	*(int *)ctx = size >= sizeof(*h) ? (int)h->reason : -2;
	return 0;
}

static inline int t_slowpath_flag(bool on)
{
	struct pierce_cfg c;

	if (pierce_dp_cfg_get(T.dp, &c))
		return -1;
	c.flags = on ? (c.flags | PIERCE_CFG_SLOWPATH) : (c.flags & ~(uint32_t)PIERCE_CFG_SLOWPATH);
	return pierce_dp_cfg_set(T.dp, &c) ? -1 : 0;
}

/* Runs frame with a slow-path ring consumer: the reason of the one record
 * it queued, -1 when none (r says what happened), -2 on a harness failure. */
static inline int t_run_slow(const void *frame, size_t len, struct t_run *r)
{
	struct ring_buffer *rb;
	int reason = -1, n;

	rb = ring_buffer__new(pierce_dp_slowpath_fd(T.dp), t_slow_record, &reason, NULL);
	if (!rb)
		return -2;
	ring_buffer__consume(rb); /* what earlier runs left */
	reason = -1;
	if (t_slowpath_flag(true) || t_run(frame, len, r) || t_slowpath_flag(false))
		reason = -2;
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n > 1 ? -2 : reason;
}

static inline uint64_t t_count(enum pierce_reason reason)
{
	struct pierce_stats s;

	if (pierce_dp_stats(T.dp, &s))
		return UINT64_MAX;
	return s.packets[reason];
}

static inline uint64_t t_count_all(void)
{
	struct pierce_stats s;
	uint64_t n = 0;

	if (pierce_dp_stats(T.dp, &s))
		return UINT64_MAX;
	for (int i = 0; i < PIERCE_R__COUNT; i++)
		n += s.packets[i];
	return n;
}

/* legs[] index of relay ip:port */
static inline uint32_t t_index(const char *relay_ip, uint16_t port)
{
	struct sockaddr_storage ss = {};
	struct pierce_cfg c;

	if (strchr(relay_ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, relay_ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, relay_ip, &s4->sin_addr);
	}
	if (pierce_dp_cfg_get(T.dp, &c))
		return UINT32_MAX;
	return (uint32_t)pierce_dp_leg_index(&c, &ss);
}

/* A leg on relay_ip:port forwarding to dst:dport from relay_ip:src_port,
 * allowing allow_ip (NULL: ANY_SRC). */
static inline void t_leg(struct pierce_leg *l, const char *relay_ip, uint16_t src_port, const char *allow_ip,
			 const char *dst, uint16_t dport, uint8_t policy)
{
	int af = strchr(relay_ip, ':') ? AF_INET6 : AF_INET;

	memset(l, 0, sizeof(*l));
	l->flags = PIERCE_LEG_ACTIVE;
	l->policy = policy;
	inet_pton(af, relay_ip, l->src.addr_be);
	l->src_port_be = htons(src_port);
	if (allow_ip) {
		inet_pton(strchr(allow_ip, ':') ? AF_INET6 : AF_INET, allow_ip, l->allow.addr_be);
		l->allow_family = strchr(allow_ip, ':') ? PIERCE_AF_INET6 : PIERCE_AF_INET;
	} else {
		l->flags |= PIERCE_LEG_ANY_SRC;
	}
	if (dst) {
		int daf = strchr(dst, ':') ? AF_INET6 : AF_INET;

		inet_pton(daf, dst, l->dst.addr_be);
		l->dst_family = daf == AF_INET ? PIERCE_AF_INET : PIERCE_AF_INET6;
		l->dst_port_be = htons(dport);
		l->flags |= PIERCE_LEG_HAS_DEST;
	}
}

#endif

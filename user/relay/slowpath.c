// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slowpath.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "inet_csum.h"
#include "log.h"
#include "sockaddr.h"

#define VLAN_HLEN 4
#define IPV6_EXT_MAX 8 /* extension headers walked before giving up */

static void set_v4(struct sockaddr_storage *ss, const void *addr, uint16_t port_be)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, addr, 4);
	sin->sin_port = port_be;
}

static void set_v6(struct sockaddr_storage *ss, const void *addr, uint16_t port_be)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, 16);
	sin6->sin6_port = port_be;
}

static int parse_udp(const uint8_t *p, size_t len, struct slow_pkt *out, uint16_t *sport, uint16_t *dport)
{
	struct udphdr uh;
	uint16_t ulen;

	if (len < sizeof(uh))
		return -EBADMSG;
	memcpy(&uh, p, sizeof(uh));
	ulen = ntohs(uh.len);
	if (ulen < sizeof(uh) || ulen > len)
		return -EBADMSG;
	*sport = uh.source;
	*dport = uh.dest;
	out->payload = p + sizeof(uh);
	out->payload_len = ulen - sizeof(uh);
	return 0;
}

static int parse_v4(const uint8_t *p, size_t len, struct slow_pkt *out)
{
	struct iphdr ip;
	uint16_t sport, dport, frag;
	size_t ihl, tot;
	int err;

	if (len < sizeof(ip))
		return -EBADMSG;
	memcpy(&ip, p, sizeof(ip));
	ihl = (size_t)ip.ihl * 4;
	tot = ntohs(ip.tot_len);
	if (ip.version != 4 || ihl < sizeof(ip) || tot < ihl || tot > len || ip.protocol != IPPROTO_UDP)
		return -EBADMSG;
	frag = ntohs(ip.frag_off);
	if (frag & (IP_MF | IP_OFFMASK)) {
		out->fragment = true;
		set_v4(&out->src, &ip.saddr, 0);
		set_v4(&out->dst, &ip.daddr, 0);
		return 0;
	}
	err = parse_udp(p + ihl, tot - ihl, out, &sport, &dport);
	if (err)
		return err;
	set_v4(&out->src, &ip.saddr, sport);
	set_v4(&out->dst, &ip.daddr, dport);
	return 0;
}

static int parse_v6(const uint8_t *p, size_t len, struct slow_pkt *out)
{
	struct ip6_hdr ip6;
	uint16_t sport, dport;
	size_t off = sizeof(ip6), end;
	uint8_t next;
	int err;

	if (len < sizeof(ip6))
		return -EBADMSG;
	memcpy(&ip6, p, sizeof(ip6));
	end = sizeof(ip6) + ntohs(ip6.ip6_plen);
	if ((ip6.ip6_vfc >> 4) != 6 || end > len)
		return -EBADMSG;
	next = ip6.ip6_nxt;
	for (int i = 0; i < IPV6_EXT_MAX && next != IPPROTO_UDP; i++) {
		if (next == IPPROTO_FRAGMENT) {
			out->fragment = true;
			set_v6(&out->src, &ip6.ip6_src, 0);
			set_v6(&out->dst, &ip6.ip6_dst, 0);
			return 0;
		}
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
			return -EBADMSG;
		if (off + 2 > end)
			return -EBADMSG;
		next = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (next != IPPROTO_UDP || off > end)
		return -EBADMSG;
	err = parse_udp(p + off, end - off, out, &sport, &dport);
	if (err)
		return err;
	set_v6(&out->src, &ip6.ip6_src, sport);
	set_v6(&out->dst, &ip6.ip6_dst, dport);
	return 0;
}

int slow_parse(const uint8_t *frame, size_t len, struct slow_pkt *out)
{
	size_t off = ETH_HLEN;
	uint16_t proto;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN)
		return -EBADMSG;
	proto = (uint16_t)(frame[12] << 8 | frame[13]);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return -EBADMSG;
		proto = (uint16_t)(frame[16] << 8 | frame[17]);
		off += VLAN_HLEN;
	}
	if (proto == ETH_P_IP)
		return parse_v4(frame + off, len - off, out);
	if (proto == ETH_P_IPV6)
		return parse_v6(frame + off, len - off, out);
	return -EBADMSG;
}

int slow_build_ipv4(uint8_t *buf, size_t size, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, uint8_t tos, const uint8_t *payload, size_t len)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)src, *d = (const struct sockaddr_in *)dst;
	size_t total = sizeof(struct iphdr) + sizeof(struct udphdr) + len;
	struct iphdr ip = { 0 };
	struct udphdr uh = { 0 };
	uint32_t sum;
	uint16_t c;

	if (total > size || total > 65535)
		return -ENOSPC;
	ip.version = 4;
	ip.ihl = 5;
	ip.tos = tos;
	ip.tot_len = htons((uint16_t)total);
	ip.frag_off = htons(IP_DF);
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	ip.saddr = s->sin_addr.s_addr;
	ip.daddr = d->sin_addr.s_addr;
	ip.check = htons(inet_csum_fold(inet_csum_add(0, &ip, sizeof(ip))));
	uh.source = s->sin_port;
	uh.dest = d->sin_port;
	uh.len = htons((uint16_t)(sizeof(uh) + len));
	sum = inet_csum_add(0, &ip.saddr, 8) + IPPROTO_UDP + (uint32_t)(sizeof(uh) + len);
	sum = inet_csum_add(sum, &uh, sizeof(uh));
	sum = inet_csum_add(sum, payload, len);
	c = inet_csum_fold(sum);
	uh.check = htons(c ? c : 0xffff);
	memcpy(buf, &ip, sizeof(ip));
	memcpy(buf + sizeof(ip), &uh, sizeof(uh));
	memcpy(buf + sizeof(ip) + sizeof(uh), payload, len);
	return (int)total;
}

static int send_v6(int fd, const struct sockaddr_storage *src, const struct sockaddr_storage *dst, uint8_t tclass,
		   const uint8_t *payload, size_t len)
{
	const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)src;
	uint8_t pkt[sizeof(struct udphdr) + PIERCE_SLOW_MAX_FRAME];
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))] = { 0 };
	struct sockaddr_in6 to = *(const struct sockaddr_in6 *)dst;
	struct udphdr uh = { .source = s->sin6_port, .dest = to.sin6_port, .len = htons((uint16_t)(sizeof(uh) + len)) };
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(uh) + len };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct in6_pktinfo pi = { .ipi6_addr = s->sin6_addr };
	int tc = tclass;

	if (len > PIERCE_SLOW_MAX_FRAME)
		return -ENOSPC;
	memcpy(pkt, &uh, sizeof(uh));
	memcpy(pkt + sizeof(uh), payload, len);
	to.sin6_port = 0; /* raw sockets take the protocol, not a port */
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	cm = CMSG_NXTHDR(&msg, cm);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_TCLASS;
	cm->cmsg_len = CMSG_LEN(sizeof(tc));
	memcpy(CMSG_DATA(cm), &tc, sizeof(tc));
	return sendmsg(fd, &msg, 0) < 0 ? -errno : 0;
}

/* The source check of the XDP program (source_check in relay.bpf.c), for
 * frames it handed over. Any source only while an ANY_SRC leg has not
 * latched: once latched, allow holds the latched source. */
bool slowpath_source_allowed(const struct pierce_leg *leg, const struct sockaddr_storage *from)
{
	bool latched = leg->flags & PIERCE_LEG_LATCHED;
	struct pierce_addr a;
	uint16_t port_be;
	uint8_t fam;

	if (leg->policy == PIERCE_SRC_TRUST)
		return true;
	if (pierce_addr_from_sockaddr(from, &a, &fam, &port_be))
		return false;
	if ((!(leg->flags & PIERCE_LEG_ANY_SRC) || latched) &&
	    (fam != leg->allow_family || memcmp(&a, &leg->allow, sizeof(a))))
		return false;
	if (latched)
		return port_be == leg->allow_port_be || leg->policy == PIERCE_SRC_RELATCH;
	return !leg->allow_port_be || port_be == leg->allow_port_be;
}

static int forward(struct slowpath *s, const struct pierce_slow_hdr *h, const struct slow_pkt *pkt)
{
	struct relay *r = s->relay;
	struct sockaddr_storage src, dst;
	struct pierce_leg leg;
	uint8_t buf[sizeof(struct iphdr) + sizeof(struct udphdr) + PIERCE_SLOW_MAX_FRAME];
	uint8_t tos;
	int n;

	if (pkt->fragment || h->leg_index == ~0U || h->frame_len < h->orig_len)
		return -EMSGSIZE; /* fragments and truncated copies cannot be forwarded whole */
	if (r->dp.leg_get(r->dp.ctx, h->leg_index, &leg) || !(leg.flags & PIERCE_LEG_ACTIVE))
		return -ENOENT;
	if (!(leg.flags & PIERCE_LEG_HAS_DEST) || !slowpath_source_allowed(&leg, &pkt->src))
		return -EPERM;
	if (pierce_addr_to_sockaddr(&leg.dst, leg.dst_family, leg.dst_port_be, &dst) ||
	    pierce_addr_to_sockaddr(&leg.src, leg.dst_family, leg.src_port_be, &src))
		return -EINVAL;
	tos = (leg.flags & PIERCE_LEG_SET_DSCP) ? (uint8_t)(leg.dscp << 2) : 0;
	if (dst.ss_family == AF_INET6)
		return send_v6(s->raw6, &src, &dst, tos, pkt->payload, pkt->payload_len);
	n = slow_build_ipv4(buf, sizeof(buf), &src, &dst, tos, pkt->payload, pkt->payload_len);
	if (n < 0)
		return n;
	return sendto(s->raw4, buf, (size_t)n, 0, (const struct sockaddr *)&dst, sizeof(struct sockaddr_in)) < 0
		       ? -errno
		       : 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct slowpath *s = ctx;
	struct pierce_slow_hdr h;
	struct slow_pkt pkt;
	unsigned reason;
	int err;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	reason = h.reason < PIERCE_R__COUNT ? h.reason : PIERCE_R_DROP_MALFORMED;
	if ((size_t)h.frame_len > size - sizeof(h))
		err = -EBADMSG;
	else
		err = slow_parse((const uint8_t *)data + sizeof(h), h.frame_len, &pkt);
	if (!err)
		err = forward(s, &h, &pkt);
	if (err) {
		s->relay->cnt.slow_dropped[reason]++;
		log_debug("slow path: %s frame on leg %u dropped: %s", pierce_reason_name(reason), h.leg_index,
			  strerror(-err));
	} else {
		s->relay->cnt.slow_forwarded[reason]++;
	}
	return 0;
}

static void on_ring(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slowpath *s = (struct slowpath *)w;

	ring_buffer__consume(s->rb);
}

int slowpath_start(struct slowpath *s, struct ev_loop *loop, struct relay *r, int ringbuf_fd)
{
	int one = 1, err;

	memset(s, 0, sizeof(*s));
	s->relay = r;
	s->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	s->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->raw4 < 0 || s->raw6 < 0) {
		err = -errno;
		log_err("slow path: raw sockets: %s", strerror(errno));
		goto fail;
	}
	/* the kernel fills in the UDP checksum at offset 6 of what we send */
	{
		int off = 6;

		setsockopt(s->raw6, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	}
	setsockopt(s->raw6, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	/* a raw UDP socket would get a copy of every UDP datagram: it only sends */
	{
		struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
		struct sock_fprog prog = { .len = 1, .filter = &drop };

		setsockopt(s->raw6, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	}
	s->rb = ring_buffer__new(ringbuf_fd, on_record, s, NULL);
	if (!s->rb) {
		err = -errno;
		log_err("slow path: ring buffer: %s", strerror(errno));
		goto fail;
	}
	ev_io_init(&s->io, on_ring, ring_buffer__epoll_fd(s->rb), EV_READ);
	ev_io_start(loop, &s->io);
	return 0;
fail:
	if (s->raw4 >= 0)
		close(s->raw4);
	if (s->raw6 >= 0)
		close(s->raw6);
	s->raw4 = s->raw6 = -1;
	return err;
}

void slowpath_stop(struct slowpath *s, struct ev_loop *loop)
{
	if (!s->rb)
		return;
	ev_io_stop(loop, &s->io);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	close(s->raw4);
	close(s->raw6);
}

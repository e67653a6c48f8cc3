// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <string.h>

#include "bench.h"
#include "inet_csum.h"

int bench_frame(uint8_t *buf, size_t len, const uint8_t smac[6], const uint8_t dmac[6],
		const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	size_t ulen = len - sizeof(*eth) - sizeof(*ip);
	uint8_t *payload = (uint8_t *)(udp + 1);
	uint32_t sum;
	uint16_t c;

	if (src->ss_family != AF_INET || dst->ss_family != AF_INET || len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + 12)
		return -EINVAL;
	memset(buf, 0, len);
	memcpy(eth->h_dest, dmac, 6);
	memcpy(eth->h_source, smac, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(len - sizeof(*eth)));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = s->sin_addr.s_addr;
	ip->daddr = d->sin_addr.s_addr;
	ip->check = htons(inet_csum_fold(inet_csum_add(0, ip, sizeof(*ip))));
	udp->source = s->sin_port;
	udp->dest = d->sin_port;
	udp->len = htons((uint16_t)ulen);
	payload[0] = 0x80; /* RTP v2 */
	payload[1] = 0;    /* PT 0: PCMU */
	for (size_t i = 12; i < ulen - sizeof(*udp); i++)
		payload[i] = 0xff; /* mu-law silence */
	sum = inet_csum_add(0, &ip->saddr, 8);
	sum += IPPROTO_UDP + (uint32_t)ulen;
	sum = inet_csum_add(sum, udp, ulen);
	c = inet_csum_fold(sum);
	/* a computed 0 is sent as 0xffff: 0 means "no checksum" */
	udp->check = htons(c ? c : 0xffff);
	return 0;
}

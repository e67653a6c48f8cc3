// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The slow path's frame parser and the IPv4 datagram it sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "relay/slowpath.h"
#include "sockaddr.h"

static size_t eth(uint8_t *f, uint16_t proto)
{
	memset(f, 0, 12);
	f[12] = (uint8_t)(proto >> 8);
	f[13] = (uint8_t)proto;
	return 14;
}

static uint16_t fold(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_build_then_parse_v4(void **state)
{
	struct sockaddr_storage src, dst;
	struct slow_pkt pkt;
	uint8_t frame[256], pseudo[12];
	char buf[SA_STR_MAX];
	size_t off = eth(frame, 0x0800);
	int n;

	sa_parse_ip("203.0.113.10", 30002, &src);
	sa_parse_ip("198.51.100.20", 5000, &dst);
	n = slow_build_ipv4(frame + off, sizeof(frame) - off, &src, &dst, 184, (const uint8_t *)"hello", 5);
	assert_int_equal(n, 20 + 8 + 5);
	assert_int_equal(frame[off + 1], 184);                     /* TOS */
	assert_int_equal(fold(frame + off, 20, 0), 0xffff);        /* IP header checksum */
	memcpy(pseudo, frame + off + 12, 8);                       /* UDP checksum over the pseudo header */
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = 0;
	pseudo[11] = 13;
	assert_int_equal(fold(frame + off + 20, 13, fold(pseudo, 12, 0)), 0xffff);
	assert_int_equal(slow_parse(frame, off + (size_t)n, &pkt), 0);
	assert_false(pkt.fragment);
	assert_string_equal(sa_format(&pkt.src, buf, sizeof(buf)), "203.0.113.10:30002");
	assert_string_equal(sa_format(&pkt.dst, buf, sizeof(buf)), "198.51.100.20:5000");
	assert_int_equal(pkt.payload_len, 5);
	assert_memory_equal(pkt.payload, "hello", 5);
	assert_int_equal(slow_build_ipv4(frame, 20, &src, &dst, 0, (const uint8_t *)"hello", 5), -ENOSPC);
}

static void test_fragment_and_garbage(void **state)
{
	struct sockaddr_storage src, dst;
	struct slow_pkt pkt;
	uint8_t frame[256];
	size_t off = eth(frame, 0x0800);
	int n;

	sa_parse_ip("10.0.0.1", 1000, &src);
	sa_parse_ip("10.0.0.2", 2000, &dst);
	n = slow_build_ipv4(frame + off, sizeof(frame) - off, &src, &dst, 0, (const uint8_t *)"abc", 3);
	frame[off + 6] = 0x20; /* more fragments */
	assert_int_equal(slow_parse(frame, off + (size_t)n, &pkt), 0);
	assert_true(pkt.fragment);
	assert_int_not_equal(slow_parse(frame, 10, &pkt), 0);
	assert_int_not_equal(slow_parse(frame, off + 10, &pkt), 0);       /* truncated IP */
	frame[off + 6] = 0;
	frame[off + 9] = 6;                                               /* TCP */
	assert_int_not_equal(slow_parse(frame, off + (size_t)n, &pkt), 0);
	eth(frame, 0x0806);                                               /* ARP */
	assert_int_not_equal(slow_parse(frame, off + (size_t)n, &pkt), 0);
}

static void test_ipv6_with_extension_header(void **state)
{
	uint8_t f[256] = { 0 };
	size_t off = eth(f, 0x86dd);
	struct sockaddr_storage ss;
	struct slow_pkt pkt;
	char buf[SA_STR_MAX];
	uint8_t *ip = f + off, *ext = ip + 40, *udp = ext + 8;

	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = 8 + 8 + 4;  /* payload: ext + udp + data */
	ip[6] = 0;          /* hop-by-hop */
	ip[7] = 64;
	sa_parse_ip("2001:db8::1", 0, &ss);
	memcpy(ip + 8, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	sa_parse_ip("2001:db8::2", 0, &ss);
	memcpy(ip + 24, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	ext[0] = 17;        /* next: UDP */
	ext[1] = 0;         /* 8 bytes */
	udp[0] = 0x75;      /* 30000 */
	udp[1] = 0x30;
	udp[2] = 0x13;      /* 5000 */
	udp[3] = 0x88;
	udp[5] = 12;
	memcpy(udp + 8, "data", 4);
	assert_int_equal(slow_parse(f, off + 40 + 8 + 12, &pkt), 0);
	assert_string_equal(sa_format(&pkt.src, buf, sizeof(buf)), "[2001:db8::1]:30000");
	assert_string_equal(sa_format(&pkt.dst, buf, sizeof(buf)), "[2001:db8::2]:5000");
	assert_int_equal(pkt.payload_len, 4);
	ext[0] = 44;        /* a fragment header next */
	ext[8] = 17;
	assert_int_equal(slow_parse(f, off + 40 + 8 + 12, &pkt), 0);
	assert_true(pkt.fragment);
}

static struct sockaddr_storage src(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	assert_int_equal(sa_parse_ip(ip, port, &ss), 0);
	return ss;
}

/* The program's source policy: an ANY_SRC leg takes anyone only until it
 * latched; then only the latched source (RTP Bleed through the slow path). */
static void test_source_policy(void **state)
{
	struct pierce_leg leg = { .flags = PIERCE_LEG_ACTIVE | PIERCE_LEG_ANY_SRC, .policy = PIERCE_SRC_STRICT };
	struct sockaddr_storage a = src("198.51.100.9", 4000), x = src("203.0.113.66", 4000);
	struct sockaddr_storage a2 = src("198.51.100.9", 4002);
	uint8_t fam;

	assert_true(slowpath_source_allowed(&leg, &x));
	/* latched to a:4000 (the program keeps ANY_SRC set on the latched leg) */
	assert_int_equal(pierce_addr_from_sockaddr(&a, &leg.allow, &fam, &leg.allow_port_be), 0);
	leg.allow_family = fam;
	leg.flags |= PIERCE_LEG_LATCHED;
	assert_true(slowpath_source_allowed(&leg, &a));
	assert_false(slowpath_source_allowed(&leg, &x));
	assert_false(slowpath_source_allowed(&leg, &a2));
	leg.policy = PIERCE_SRC_RELATCH; /* NAT rebinding: same IP, new port */
	assert_true(slowpath_source_allowed(&leg, &a2));
	assert_false(slowpath_source_allowed(&leg, &x));
	/* a narrowed RTCP leg: the IP, any port, not latched */
	leg.policy = PIERCE_SRC_STRICT;
	leg.flags = PIERCE_LEG_ACTIVE;
	leg.allow_port_be = 0;
	assert_true(slowpath_source_allowed(&leg, &a2));
	assert_false(slowpath_source_allowed(&leg, &x));
	/* closed: no allowed family */
	leg.allow_family = PIERCE_AF_NONE;
	assert_false(slowpath_source_allowed(&leg, &a));
	leg.policy = PIERCE_SRC_TRUST;
	assert_true(slowpath_source_allowed(&leg, &x));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_then_parse_v4),
		cmocka_unit_test(test_fragment_and_garbage),
		cmocka_unit_test(test_ipv6_with_extension_header),
		cmocka_unit_test(test_source_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inet_csum.h"

/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 0x2ddf0, folded 0xddf2. */
static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

static void test_rfc1071_example(void **state)
{
	(void)state;
	assert_int_equal(inet_csum_add(0, rfc1071, sizeof(rfc1071)), 0x2ddf0);
	assert_int_equal(inet_csum_fold(0x2ddf0), (uint16_t)~0xddf2);
}

static void test_pieces_match_whole(void **state)
{
	uint32_t sum;

	(void)state;
	sum = inet_csum_add(0, rfc1071, 4);
	sum = inet_csum_add(sum, rfc1071 + 4, 4);
	assert_int_equal(inet_csum_fold(sum), (uint16_t)~0xddf2);
}

static void test_odd_length_pads_zero(void **state)
{
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(inet_csum_add(0, odd, sizeof(odd)), 0x1234 + 0x5600);
}

/* A header carrying its own checksum sums to 0xffff, so the fold gives 0. */
static void test_verifies_to_zero(void **state)
{
	/* A common worked IPv4 header example: 192.168.0.1 -> 192.168.0.199, UDP, checksum b861 */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c;

	(void)state;
	c = inet_csum_fold(inet_csum_add(0, ip, sizeof(ip)));
	assert_int_equal(c, 0xb861);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	assert_int_equal(inet_csum_fold(inet_csum_add(0, ip, sizeof(ip))), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_pieces_match_whole),
		cmocka_unit_test(test_odd_length_pads_zero),
		cmocka_unit_test(test_verifies_to_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

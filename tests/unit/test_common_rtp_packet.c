// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "rtp_packet.h"

static void test_roundtrip(void **state)
{
	uint8_t buf[RTP_HDR_LEN + RTP_PROBE_LEN + 4] = { 0 };
	struct rtp_hdr h = { .payload_type = 8, .marker = 1, .seq = 0xfffe, .timestamp = 0x89abcdef, .ssrc = 0x01020304 };
	struct rtp_hdr got;
	struct rtp_probe p = { .stream = 77, .sent_ns = 0x0123456789abcdefull }, gp;
	size_t off, len;

	rtp_hdr_write(buf, &h);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 0x88);
	rtp_probe_write(buf + RTP_HDR_LEN, &p);
	assert_int_equal(rtp_hdr_parse(buf, sizeof(buf), &got, &off, &len), 0);
	assert_int_equal(off, RTP_HDR_LEN);
	assert_int_equal(len, RTP_PROBE_LEN + 4);
	assert_memory_equal(&got, &h, sizeof(h));
	assert_int_equal(rtp_probe_parse(buf + off, len, &gp), 0);
	assert_int_equal(gp.stream, 77);
	assert_true(gp.sent_ns == p.sent_ns);
}

static void test_csrc_extension_padding(void **state)
{
	/* 2 CSRCs, a 1-word extension, 3 payload bytes, 2 bytes of padding */
	uint8_t buf[12 + 8 + 4 + 4 + 3 + 2] = { 0xb2, 0x00 };
	struct rtp_hdr h;
	size_t off, len;

	buf[12 + 8 + 3] = 1; /* extension length: one word */
	buf[sizeof(buf) - 1] = 2;
	assert_int_equal(rtp_hdr_parse(buf, sizeof(buf), &h, &off, &len), 0);
	assert_int_equal(off, 12 + 8 + 4 + 4);
	assert_int_equal(len, 3);
}

static void test_bad(void **state)
{
	uint8_t buf[64] = { 0x80 };
	struct rtp_hdr h;
	struct rtp_probe p;
	size_t off, len;

	assert_int_not_equal(rtp_hdr_parse(buf, 11, &h, &off, &len), 0); /* short */
	buf[0] = 0x40;
	assert_int_not_equal(rtp_hdr_parse(buf, 20, &h, &off, &len), 0); /* version 1 */
	buf[0] = 0x8f;
	assert_int_not_equal(rtp_hdr_parse(buf, 20, &h, &off, &len), 0); /* 15 CSRCs */
	buf[0] = 0x90;
	buf[12 + 3] = 10;
	assert_int_not_equal(rtp_hdr_parse(buf, 20, &h, &off, &len), 0); /* extension */
	buf[0] = 0xa0;
	buf[19] = 9;
	assert_int_not_equal(rtp_hdr_parse(buf, 20, &h, &off, &len), 0); /* padding */
	buf[19] = 0;
	assert_int_not_equal(rtp_hdr_parse(buf, 20, &h, &off, &len), 0); /* zero padding */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(rtp_probe_parse(buf, 16, &p), -ENOENT);
	assert_int_equal(rtp_probe_parse(buf, 15, &p), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_csrc_extension_padding),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

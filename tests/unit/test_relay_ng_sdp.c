// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An offer or answer parses its SDP once (rsdp_inspect_keep, then
 * rsdp_rewrite_parsed): the same result as inspecting and rewriting the
 * text separately, and nothing leaks on any path (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/relay_sdp.h"
#include "sockaddr.h"

static const char offer[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 10.0.1.10\r\n"
	"s=-\r\n"
	"c=IN IP4 10.0.1.10\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=ice-ufrag:F7gI\r\n"
	"a=sendonly\r\n"
	"m=video 51372 RTP/AVP 96\r\n"
	"c=IN IP6 2001:db8::7\r\n"
	"a=rtcp-mux\r\n";

static void test_parse_once_same_as_twice(void **state)
{
	struct rsdp_rewrite rw = { .remove_ice = true, .replace_origin = true, .loop_marker = "1" };
	struct rsdp_info once, twice;
	struct rsdp_parsed *p;
	char *a = NULL, *b = NULL;
	size_t alen, blen;

	sa_parse_ip("203.0.113.5", 0, &rw.relay[0]);
	sa_parse_ip("2001:db8::1", 0, &rw.relay[1]);
	rw.port[0] = 30000;
	rw.port[1] = 30010;
	assert_int_equal(rsdp_inspect_keep(offer, strlen(offer), &once, &p), 0);
	assert_non_null(p);
	assert_int_equal(rsdp_inspect(offer, strlen(offer), &twice), 0);
	assert_memory_equal(&once, &twice, sizeof(once));
	assert_int_equal(once.media[0].dir, RSDP_SENDONLY);
	assert_true(once.media[1].rtcp_mux);
	assert_int_equal(rsdp_rewrite_parsed(p, &rw, &a, &alen), 0);
	rsdp_parsed_free(p);
	assert_int_equal(rsdp_rewrite(offer, strlen(offer), &rw, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_non_null(strstr(a, "m=audio 30000 "));
	assert_non_null(strstr(a, "c=IN IP6 2001:db8::1\r\n"));
	assert_null(strstr(a, "ice-ufrag"));
	free(a);
	free(b);
}

static void test_bad_sdp_keeps_nothing(void **state)
{
	struct rsdp_parsed *p = (struct rsdp_parsed *)&p; /* must be reset */
	struct rsdp_info info;
	char many[4096];
	size_t n = 0;

	assert_int_equal(rsdp_inspect_keep("v=0\r\nbogus", 10, &info, &p), -EBADMSG);
	assert_null(p);
	n += (size_t)snprintf(many, sizeof(many), "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n");
	for (int i = 0; i <= RSDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
	p = (struct rsdp_parsed *)&p;
	assert_int_equal(rsdp_inspect_keep(many, n, &info, &p), -E2BIG);
	assert_null(p);
	rsdp_parsed_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_once_same_as_twice),
		cmocka_unit_test(test_bad_sdp_keeps_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

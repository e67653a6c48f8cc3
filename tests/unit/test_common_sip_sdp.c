// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "sip_sdp.h"
#include "sockaddr.h"

static const char offer[] = "v=0\r\n"
			    "o=- 1 1 IN IP4 10.0.1.10\r\n"
			    "s=-\r\n"
			    "c=IN IP4 10.0.1.10\r\n"
			    "t=0 0\r\n"
			    "m=audio 4000 RTP/AVP 0\r\n"
			    "m=video 4002 RTP/AVP 31\r\n"
			    "c=IN IP6 2001:db8::5\r\n";

static void test_parse_levels(void **state)
{
	struct sdp_info info;
	char buf[SA_STR_MAX];

	assert_int_equal(sdp_parse(offer, strlen(offer), &info), 0);
	assert_true(info.session.present && info.session.parsed);
	assert_string_equal(sa_format_ip(&info.session.addr, buf, sizeof(buf)), "10.0.1.10");
	assert_int_equal(info.n_media, 2);
	assert_int_equal(info.media[0].port, 4000);
	assert_int_equal(info.media[1].port, 4002);
	/* media 0 inherits the session address; media 1 has its own IPv6 one */
	assert_ptr_equal(sdp_media_conn(&info, 0), &info.session);
	assert_int_equal(sdp_media_conn(&info, 1)->addr.ss_family, AF_INET6);
	assert_string_equal(sa_format_ip(&sdp_media_conn(&info, 1)->addr, buf, sizeof(buf)), "2001:db8::5");
	assert_false(info.nortpproxy);
}

static void test_unparsable(void **state)
{
	struct sdp_info info;
	const char fqdn[] = "v=0\nc=IN IP4 host.example.com\nm=audio 1 RTP/AVP 0\n";
	const char mismatch[] = "v=0\nc=IN IP6 192.0.2.1\nm=audio 1 RTP/AVP 0\n";

	assert_int_equal(sdp_parse("hello", 5, &info), -EBADMSG);
	assert_int_equal(sdp_parse("", 0, &info), -EBADMSG);
	assert_int_equal(sdp_parse(fqdn, strlen(fqdn), &info), 0);
	assert_true(info.session.present);
	assert_false(info.session.parsed);
	assert_int_equal(sdp_parse(mismatch, strlen(mismatch), &info), 0);
	assert_false(info.session.parsed);
}

static void test_mark_relayed(void **state)
{
	char out[1024];
	size_t n;
	struct sdp_info info;

	assert_int_equal(sdp_mark_relayed(offer, strlen(offer), out, sizeof(out), &n), 0);
	assert_int_equal(n, strlen(out));
	assert_non_null(strstr(out, "t=0 0\r\na=nortpproxy:yes\r\nm=audio"));
	assert_int_equal(sdp_parse(out, n, &info), 0);
	assert_true(info.nortpproxy);
	assert_int_equal(info.n_media, 2);
	assert_int_equal(sdp_mark_relayed(offer, strlen(offer), out, 20, &n), -ENOSPC);
	/* no media and no final line end */
	assert_int_equal(sdp_mark_relayed("v=0", 3, out, sizeof(out), &n), 0);
	assert_string_equal(out, "v=0\r\na=nortpproxy:yes\r\n");
}

static void test_many_media_bounded(void **state)
{
	char sdp[4096] = "v=0\n";
	struct sdp_info info;

	for (int i = 0; i < 40; i++)
		strcat(sdp, "m=audio 1000 RTP/AVP 0\nc=IN IP4 192.0.2.9\n");
	assert_int_equal(sdp_parse(sdp, strlen(sdp), &info), 0);
	assert_int_equal(info.n_media, SDP_MAX_MEDIA);
	assert_true(info.media[SDP_MAX_MEDIA - 1].conn.parsed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_levels),
		cmocka_unit_test(test_unparsable),
		cmocka_unit_test(test_mark_relayed),
		cmocka_unit_test(test_many_media_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

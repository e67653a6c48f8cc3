// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip_frame.h"
#include "sip_msg.h"
#include "sockaddr.h"

static const char invite[] = "INVITE sip:Bob@Example.COM SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 10.0.1.10:5062;branch=z9hG4bKabc;rport\r\n"
			     "Via: SIP/2.0/UDP [2001:db8::7];branch=z9hG4bKdef\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "From: \"A\" <sip:alice@example.com>;tag=ft\r\n"
			     "Call-ID: c1\r\n"
			     "CSeq: 7 INVITE\r\n"
			     "Expires: 120\r\n"
			     "Content-Type: application/sdp\r\n"
			     "Content-Length: 5\r\n\r\n"
			     "v=0\r\n";

static osip_message_t *parse(const char *m)
{
	osip_message_t *msg = NULL;

	assert_int_equal(sip_parse(m, strlen(m), &msg), 0);
	return msg;
}

static void test_response_and_via(void **state)
{
	osip_message_t *req = parse(invite), *resp = NULL, *back = NULL;
	struct sockaddr_storage src, dst;
	char buf[SA_STR_MAX], *str = NULL;
	size_t len;

	assert_string_equal(sip_via_branch(sip_top_via(req)), "z9hG4bKabc");
	assert_int_equal(sa_parse_hostport("198.51.100.4:40000", 0, &src), 0);
	assert_int_equal(sip_via_fix_received(sip_top_via(req), &src, false), 0);
	assert_int_equal(sip_via_target(sip_top_via(req), &dst), 0);
	assert_string_equal(sa_format(&dst, buf, sizeof(buf)), "198.51.100.4:40000");

	assert_int_equal(sip_make_response(req, 486, NULL, "tt", &resp), 0);
	assert_int_equal(sip_serialize(resp, &str, &len), 0);
	assert_non_null(strstr(str, "SIP/2.0 486 Busy Here\r\n"));
	assert_non_null(strstr(str, "received=198.51.100.4"));
	assert_non_null(strstr(str, "tag=tt"));
	assert_int_equal(sip_parse(str, len, &back), 0);
	assert_int_equal(osip_list_size(&back->vias), 2);
	assert_string_equal(sip_tag(back->to), "tt");
	assert_string_equal(sip_tag(back->from), "ft");
	osip_free(str);
	osip_message_free(back);
	osip_message_free(resp);
	osip_message_free(req);
}

static void test_via_targets(void **state)
{
	osip_message_t *req = parse(invite);
	osip_via_t *second = osip_list_get(&req->vias, 1);
	struct sockaddr_storage dst, src;
	char buf[SA_STR_MAX];

	assert_int_equal(sip_via_target(second, &dst), 0);
	assert_string_equal(sa_format(&dst, buf, sizeof(buf)), "[2001:db8::7]:5060");
	/* received without rport keeps the sent-by port */
	sa_parse_hostport("192.0.2.8:999", 0, &src);
	assert_int_equal(sip_via_fix_received(second, &src, false), 0);
	assert_int_equal(sip_via_target(second, &dst), 0);
	assert_string_equal(sa_format(&dst, buf, sizeof(buf)), "192.0.2.8:5060");
	/* forced rport: the source port too */
	assert_int_equal(sip_via_fix_received(second, &src, true), 0);
	assert_int_equal(sip_via_target(second, &dst), 0);
	assert_string_equal(sa_format(&dst, buf, sizeof(buf)), "192.0.2.8:999");
	osip_message_free(req);
}

static void test_uri_and_body(void **state)
{
	osip_message_t *req = parse(invite);
	char aor[128], *str = NULL;
	const char *body;
	size_t len;
	long exp;
	struct sockaddr_storage dst;

	assert_int_equal(sip_uri_aor(req->req_uri, aor, sizeof(aor)), 0);
	assert_string_equal(aor, "Bob@example.com");
	assert_int_equal(sip_uri_target(req->req_uri, &dst), -EHOSTUNREACH);
	assert_int_equal(sip_expires(req, &exp), 0);
	assert_int_equal(exp, 120);
	assert_int_equal(sip_body(req, &body, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(sip_set_body(req, "v=0\r\nc=x\r\n", 10), 0);
	assert_int_equal(sip_serialize(req, &str, &len), 0);
	assert_non_null(strstr(str, "\r\n\r\nv=0\r\nc=x\r\n"));
	osip_message_free(req);
	req = NULL;
	/* libosip2 pads the number; what matters is that it parses back */
	assert_int_equal(sip_parse(str, len, &req), 0);
	assert_int_equal(sip_body(req, &body, &len), 0);
	assert_int_equal(len, 10);
	osip_free(str);
	osip_message_free(req);
}

static void test_frame(void **state)
{
	size_t skip, n;
	char two[2048];

	assert_int_equal(sip_frame(invite, strlen(invite), 4096, &skip, &n), 1);
	assert_int_equal(skip, 0);
	assert_int_equal(n, strlen(invite));
	/* partial, keep-alive prefix, two messages back to back */
	assert_int_equal(sip_frame(invite, strlen(invite) - 1, 4096, &skip, &n), 0);
	snprintf(two, sizeof(two), "\r\n\r\n%s%s", invite, invite);
	assert_int_equal(sip_frame(two, strlen(two), 4096, &skip, &n), 1);
	assert_int_equal(skip, 4);
	assert_int_equal(n, strlen(invite));
	assert_int_equal(sip_frame(invite, strlen(invite), 100, &skip, &n), -EMSGSIZE);
	assert_int_equal(sip_frame("OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n", 33, 4096, &skip, &n), -EBADMSG);
	assert_int_equal(sip_frame("X\r\nl: 1\r\nContent-Length: 1\r\n\r\nab", 31, 4096, &skip, &n), -EBADMSG);
}

static int setup(void **state)
{
	return sip_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_and_via),
		cmocka_unit_test(test_via_targets),
		cmocka_unit_test(test_uri_and_body),
		cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

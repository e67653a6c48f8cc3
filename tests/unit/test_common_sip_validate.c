// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "sip_validate.h"

#define HDRS(cseq_method)                                                                          \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"                                    \
	"To: <sip:bob@example.com>\r\n"                                                            \
	"From: \"Alice\" <sip:alice@example.com>;tag=1\r\n"                                        \
	"Call-ID: c1@192.0.2.1\r\n"                                                                \
	"CSeq: 1 " cseq_method "\r\n"                                                              \
	"Max-Forwards: 70\r\n"

static int check(const char *msg, struct sip_verdict *v)
{
	return sip_validate(msg, strlen(msg), v);
}

static void expect(const char *msg, int status)
{
	struct sip_verdict v;
	int ret = check(msg, &v);

	if (status == 0) {
		if (ret != 0)
			fail_msg("rejected (%d %s): %s", v.status, v.reason, msg);
	} else {
		assert_int_equal(ret, -EBADMSG);
		if (v.status != status)
			fail_msg("got %d %s, want %d: %s", v.status, v.reason, status, msg);
		assert_non_null(v.reason);
	}
}

static void test_valid_request(void **state)
{
	struct sip_verdict v;
	const char *m = "INVITE sip:bob@example.com SIP/2.0\r\n" HDRS("INVITE") "Content-Length: 4\r\n\r\n"
			"v=0\nEXTRA";

	assert_int_equal(check(m, &v), 0);
	assert_true(v.is_request);
	/* extra octets after Content-Length are not part of the message */
	assert_int_equal(v.msg_len, strlen(m) - strlen("EXTRA"));
}

static void test_request_line(void **state)
{
	expect("INVITE  sip:bob@example.com SIP/2.0\r\n" HDRS("INVITE") "\r\n", 400);
	expect("INVITE sip:bob@example.com SIP/2.0 \r\n" HDRS("INVITE") "\r\n", 400);
	expect("INVITE <sip:bob@example.com> SIP/2.0\r\n" HDRS("INVITE") "\r\n", 400);
	expect("INVITE sip:bob@example.com; lr SIP/2.0\r\n" HDRS("INVITE") "\r\n", 400);
	expect("INVITE sip:bob@example.com?Route=x SIP/2.0\r\n" HDRS("INVITE") "\r\n", 400);
	expect("INVITE sip:bob@example.com SIP/7.0\r\n" HDRS("INVITE") "\r\n", 505);
	expect("OPTIONS foo:opaque SIP/2.0\r\n" HDRS("OPTIONS") "\r\n", 416);
	/* a '?' in the user part is not a header separator */
	expect("OPTIONS sip:we?ird@example.com SIP/2.0\r\n" HDRS("OPTIONS") "\r\n", 0);
}

static void test_content_length(void **state)
{
	expect("INVITE sip:b@example.com SIP/2.0\r\n" HDRS("INVITE") "Content-Length: 99\r\n\r\nv=0\r\n", 400);
	expect("INVITE sip:b@example.com SIP/2.0\r\n" HDRS("INVITE") "Content-Length: -3\r\n\r\nv=0\r\n", 400);
	expect("INVITE sip:b@example.com SIP/2.0\r\n" HDRS("INVITE") "l: 3\r\nContent-Length: 3\r\n\r\nv=0", 400);
}

static void test_headers(void **state)
{
	/* CSeq method mismatch, huge CSeq, duplicate Call-ID, missing To */
	expect("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS("INVITE") "\r\n", 400);
	expect("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS("OPTIONS") "Call-ID: again\r\n\r\n", 400);
	expect("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	       "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	       400);
	expect("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:b@h>\r\n"
	       "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 2147483648 OPTIONS\r\n\r\n",
	       400);
	/* a folded header value is one header */
	expect("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS("OPTIONS") "Contact: <sip:a@h>\r\n ;expires=5\r\n\r\n", 0);
	expect("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS("OPTIONS") "Bad Header: x\r\n\r\n", 400);
}

static void test_addresses(void **state)
{
#define REQ(extra) "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS("OPTIONS") extra "\r\n"
	expect(REQ("Contact: \"Joe <sip:joe@example.org>\r\n"), 400);           /* unterminated quote */
	expect(REQ("Contact: <sip:joe@example.org>;;;\r\n"), 400);              /* empty params */
	expect(REQ("Contact: < sip:joe@example.org >\r\n"), 400);               /* LWS in addr-spec */
	expect(REQ("Contact: Bell, Alex <sip:joe@example.org>\r\n"), 400);      /* comma in display */
	expect(REQ("Contact: sip:joe@example.org?Route=x\r\n"), 400);           /* ? needs <> */
	expect(REQ("Contact: sip:bob@10.20.0.5:5060>\r\n"), 400);             /* stray > (fuzz) */
	expect(REQ("Contact: sip:bob@<10.20.0.5\r\n"), 400);
	expect(REQ("Contact: sip:bob@10.20.0.5;x=a>\r\n"), 400);               /* > in a param */
	expect("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	       "To: sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	       400);
	expect(REQ("Subject: a\r\xd8" "Accept: application/sdp\r\n"), 400);   /* bare CR (fuzz) */
	expect(REQ("Subject: a\r\n b\r\n"), 0);                               /* folded line */
	expect(REQ("Record-Route: <sip:p1.example.com;>\r\n"), 400);            /* empty URI param (fuzz) */
	expect(REQ("Route: <sip:p1.example.com;;lr>\r\n"), 400);
	expect(REQ("Contact: *\r\n"), 0);
	expect(REQ("Contact: joe<sip:joe@example.org>, \"J\" <sip:j@h>;q=0.5\r\n"), 0);
	expect(REQ("Route: <sip:p1;lr>,<sip:p2;lr>\r\n"), 0);
#undef REQ
}

static void test_via(void **state)
{
	expect("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\nTo: <sip:b@h>\r\n"
	       "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	       400);
	expect("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP / 2.0 / UDP h:5060 ; branch=z9hG4bK1, "
	       "SIP/2.0/TCP [2001:db8::1]:5061\r\nTo: <sip:b@h>\r\n"
	       "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	       0);
}

static void test_responses(void **state)
{
	struct sip_verdict v;

	assert_int_equal(check("SIP/2.0 200 OK\r\n" HDRS("INVITE") "\r\n", &v), 0);
	assert_false(v.is_request);
	assert_int_equal(check("SIP/2.0 100 \r\n" HDRS("INVITE") "\r\n", &v), 0);
	assert_int_equal(check("SIP/2.0 4294967301 Big\r\n" HDRS("INVITE") "\r\n", &v), -EBADMSG);
	assert_false(v.is_request);
	assert_int_equal(v.status, 0); /* never answered */
	assert_int_equal(check("SIP/2.0 200 OK\r\nTo: <sip:a@h>\r\n\r\n", &v), -EBADMSG);
}

static void test_content_type(void **state)
{
	struct sip_verdict v;

#define REQ(extra) "MESSAGE sip:b@example.com SIP/2.0\r\n" HDRS("MESSAGE") extra
	expect(REQ("Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n"), 0);
	expect(REQ("c: text/plain ; charset=\"utf-8\"\r\nContent-Length: 0\r\n\r\n"), 0);
	expect(REQ("Content-Type: application\r\n\r\n"), 400);
	expect(REQ("Content-Type: application/sd5060;branch=z9hG4bK-r1;rtent-Length: 0\r\n\r\n"), 400);
	/* a multipart part repeating Content-Type: libosip2 would leak the first */
	expect(REQ("Content-Type: multipart/mixed;boundary=XX\r\nContent-Length: 75\r\n\r\n"
		   "--XX\r\nContent-Type: text/plain\r\nContent-Type: text/plain\r\n\r\nHello\r\n--XX--\r\n"),
	       400);
	expect(REQ("Content-Type: multipart/mixed;boundary=XX\r\nContent-Length: 100\r\n\r\n"
		   "--XX\r\nContent-Type: text/plain\r\n\r\nHello\r\n--XX\r\nc: text/plain\r\n\r\n"
		   "Content-Type: not a header\r\n--XX--\r\n"),
	       0);
	/* a line that starts with the delimiter but goes on: libosip2 reads the rest
	 * as part headers ("--XX9Content-Type:" then a second Content-Type leaked) */
	expect(REQ("Content-Type: multipart/mixed;boundary=XX\r\nContent-Length: 57\r\n\r\n"
		   "--XX9content-Type: \r\nContent-Type: text/plain\r\n\r\n--XX--\r\n"),
	       400);
	/* a bare CR in a part header: libosip2 splits the line there */
	expect(REQ("Content-Type: multipart/mixed;boundary=XX\r\nContent-Length: 53\r\n\r\n"
		   "--XX\r\nContent-Type: a/b\rcontent-type: c/d\r\n\r\n--XX--\r\n"),
	       400);
	/* the boundary quoted; lines starting with another "--" are content */
	expect(REQ("Content-Type: multipart/mixed;boundary=\"a b\"\r\nContent-Length: 67\r\n\r\n"
		   "--a b\r\nContent-Type: text/plain\r\n\r\n--XX\r\nContent-Type: x\r\n--a b--\r\n"),
	       0);
	/* multipart without a boundary, or with one longer than RFC 2046's 70 */
	expect(REQ("Content-Type: multipart/mixed\r\nContent-Length: 0\r\n\r\n"), 400);
	expect(REQ("Content-Type: multipart/mixed;boundary="
		   "12345678901234567890123456789012345678901234567890123456789012345678901\r\n"
		   "Content-Length: 0\r\n\r\n"),
	       400);
#undef REQ
	/* a response with it is dropped, never answered */
	assert_int_equal(check("SIP/2.0 200 OK\r\n" HDRS("INVITE") "Content-Type: application/sd;x: 0\r\n\r\n", &v),
			 -EBADMSG);
	assert_int_equal(v.status, 0);
}

static void test_truncated(void **state)
{
	struct sip_verdict v;
	const char *m = "INVITE sip:bob@example.com SIP/2.0\r\n" HDRS("INVITE") "\r\n";

	/* every prefix is rejected or accepted without reading past it (ASan checks) */
	for (size_t n = 0; n < strlen(m); n++) {
		char *copy = malloc(n ? n : 1);

		memcpy(copy, m, n);
		sip_validate(copy, n, &v);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_request), cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_content_length), cmocka_unit_test(test_headers),
		cmocka_unit_test(test_addresses),     cmocka_unit_test(test_via),
		cmocka_unit_test(test_responses),     cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_content_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The redirect logic end to end, bytes in and bytes out, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redirect/redirect.h"
#include "sip_msg.h"
#include "sockaddr.h"

struct fixture {
	struct redirect r;
	struct sockaddr_storage src;
	uint64_t now_ms;
	char *out;
	size_t out_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || sip_init() || location_open("memory", 16, &f->r.loc))
		return -1;
	f->r.default_expires = 3600;
	f->r.max_expires = 600;
	sa_parse_hostport("198.51.100.7:40000", 0, &f->src);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	osip_free(f->out);
	route_table_clear(&f->r.routes);
	location_close(f->r.loc);
	free(f);
	return 0;
}

/* A request from a proxy at 10.0.0.1 (behind whatever 198.51.100.7 is). */
static char *request(const char *method, const char *ruri, const char *to, const char *extra, const char *branch)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "%s %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:proxy1@a.test>;tag=f00\r\n"
		 "To: %s\r\n"
		 "Call-ID: call-1@10.0.0.1\r\n"
		 "CSeq: 7 %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 method, ruri, branch ? branch : "z9hG4bK-1", to, method, extra ? extra : "");
	return buf;
}

/* Feeds bytes in; true when something was sent back (in f->out). */
static bool feed_raw(struct fixture *f, const char *msg)
{
	osip_free(f->out);
	f->out = NULL;
	assert_int_equal(redirect_handle(&f->r, msg, strlen(msg), &f->src, f->now_ms, &f->out, &f->out_len), 0);
	return f->out != NULL;
}

/* Feeds bytes in; returns the parsed response or NULL when none was sent. */
static osip_message_t *feed(struct fixture *f, const char *msg)
{
	osip_message_t *resp = NULL;

	if (!feed_raw(f, msg))
		return NULL;
	assert_int_equal(sip_parse(f->out, f->out_len, &resp), 0);
	assert_true(MSG_IS_RESPONSE(resp));
	return resp;
}

static const char *contact(const osip_message_t *m, int i, char *buf, size_t len)
{
	osip_contact_t *c = osip_list_get(&m->contacts, i);
	char *s = NULL;

	if (!c || osip_contact_to_str(c, &s))
		return NULL;
	snprintf(buf, len, "%s", s);
	osip_free(s);
	return buf;
}

static void reg(struct fixture *f, const char *aor, const char *extra, int want)
{
	char to[256];
	osip_message_t *m;

	snprintf(to, sizeof(to), "<%s>", aor);
	m = feed(f, request("REGISTER", "sip:b.test", to, extra, "z9hG4bK-reg"));
	assert_non_null(m);
	assert_int_equal(m->status_code, want);
	osip_message_free(m);
}

static void test_register_then_invite(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;
	char c[256];

	m = feed(f, request("REGISTER", "sip:b.test", "<sip:bob@b.test>",
			    "Contact: <sip:192.0.2.20:5070>\r\nExpires: 120\r\n", NULL));
	assert_non_null(m);
	assert_int_equal(m->status_code, 200);
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:192.0.2.20:5070>;expires=120");
	assert_non_null(sip_tag(m->to));
	/* Via records where the request came from (RFC 3581) */
	assert_non_null(strstr(f->out, "received=198.51.100.7"));
	assert_non_null(strstr(f->out, "rport=40000"));
	osip_message_free(m);
	assert_int_equal(f->r.metrics.registrations, 1);

	m = feed(f, request("INVITE", "sip:bob@B.test", "<sip:bob@b.test>", NULL, NULL));
	assert_non_null(m);
	assert_int_equal(m->status_code, 302);
	assert_string_equal(m->reason_phrase, "Moved Temporarily");
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:bob@192.0.2.20:5070>");
	assert_null(osip_list_get(&m->contacts, 1));
	assert_string_equal(m->cseq->method, "INVITE");
	assert_string_equal(m->call_id->number, "call-1");
	osip_message_free(m);
	assert_int_equal(f->r.metrics.replies_302, 1);
}

static void test_retransmission_same_answer(void **state)
{
	struct fixture *f = *state;
	char first[4096];
	osip_message_t *m;

	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>\r\n", 200);
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, "z9hG4bK-a"));
	osip_message_free(m);
	assert_true(f->out_len < sizeof(first));
	memcpy(first, f->out, f->out_len);
	first[f->out_len] = '\0';
	f->now_ms += 500;
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, "z9hG4bK-a"));
	osip_message_free(m);
	assert_string_equal(f->out, first);
	/* a new transaction gets a new tag */
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, "z9hG4bK-b"));
	osip_message_free(m);
	assert_string_not_equal(f->out, first);
}

static void test_unknown_404_and_options(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;

	m = feed(f, request("INVITE", "sip:nobody@b.test", "<sip:nobody@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	assert_null(osip_list_get(&m->contacts, 0));
	osip_message_free(m);
	m = feed(f, request("OPTIONS", "sip:192.0.2.1:5060", "<sip:192.0.2.1:5060>", NULL, NULL));
	assert_int_equal(m->status_code, 200);
	assert_non_null(strstr(f->out, "Allow: INVITE"));
	osip_message_free(m);
	/* OPTIONS for a user is routed like an INVITE */
	m = feed(f, request("OPTIONS", "sip:nobody@b.test", "<sip:nobody@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	osip_message_free(m);
	m = feed(f, request("MESSAGE", "tel:+4930123", "<tel:+4930123>", NULL, NULL));
	assert_int_equal(m->status_code, 416);
	osip_message_free(m);
	assert_int_equal(f->r.metrics.replies_404, 2);
	assert_int_equal(f->r.metrics.replies_200, 1);
}

static void test_ack_absorbed_and_in_dialog(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;

	assert_null(feed(f, request("ACK", "sip:bob@b.test", "<sip:bob@b.test>;tag=abc", NULL, NULL)));
	assert_int_equal(f->r.metrics.acks_absorbed, 1);
	m = feed(f, request("BYE", "sip:bob@b.test", "<sip:bob@b.test>;tag=abc", NULL, NULL));
	assert_int_equal(m->status_code, 481);
	osip_message_free(m);
	m = feed(f, request("CANCEL", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 481);
	osip_message_free(m);
}

static void test_unregister(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;
	char c[256];

	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>, <sip:192.0.2.21>;expires=30\r\n", 200);
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 302);
	assert_non_null(contact(m, 1, c, sizeof(c)));
	osip_message_free(m);
	/* one binding by expires=0 */
	m = feed(f, request("REGISTER", "sip:b.test", "<sip:bob@b.test>", "Contact: <sip:192.0.2.21>;expires=0\r\n",
			    NULL));
	assert_int_equal(m->status_code, 200);
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:192.0.2.20>;expires=600"); /* 3600 capped */
	assert_null(osip_list_get(&m->contacts, 1));
	osip_message_free(m);
	/* the rest by Expires: 0 */
	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>\r\nExpires: 0\r\n", 200);
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	osip_message_free(m);
	/* and "*" */
	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>\r\n", 200);
	reg(f, "sip:bob@b.test", "Contact: *\r\n", 400); /* "*" needs Expires: 0 */
	reg(f, "sip:bob@b.test", "Contact: *\r\nExpires: 0\r\n", 200);
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	osip_message_free(m);
	assert_int_equal(f->r.metrics.unregistrations, 3);
}

static void test_expiry_and_query(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;

	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>;expires=10\r\n", 200);
	f->now_ms = 9999;
	m = feed(f, request("REGISTER", "sip:b.test", "<sip:bob@b.test>", NULL, NULL)); /* query */
	assert_int_equal(m->status_code, 200);
	assert_non_null(strstr(f->out, "expires=1"));
	osip_message_free(m);
	f->now_ms = 10000;
	m = feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	osip_message_free(m);
}

static void test_routes(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;
	char c[256];

	assert_int_equal(route_table_add(&f->r.routes, "peer.test=192.0.2.99:5080"), 0);
	assert_int_equal(route_table_add(&f->r.routes, "v6.test=[2001:db8::9]:5060"), 0);
	assert_int_not_equal(route_table_add(&f->r.routes, "bad domain=192.0.2.1:5060"), 0);
	assert_int_not_equal(route_table_add(&f->r.routes, "x.test=host.example:5060"), 0);
	assert_int_not_equal(route_table_add(&f->r.routes, "x.test"), 0);
	m = feed(f, request("INVITE", "sip:carol@PEER.test", "<sip:carol@peer.test>", NULL, NULL));
	assert_int_equal(m->status_code, 302);
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:carol@192.0.2.99:5080>");
	osip_message_free(m);
	m = feed(f, request("INVITE", "sip:dave@v6.test", "<sip:dave@v6.test>", NULL, NULL));
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:dave@[2001:db8::9]:5060>");
	osip_message_free(m);
	/* a binding wins over the route */
	reg(f, "sip:carol@peer.test", "Contact: <sip:192.0.2.20>\r\n", 200);
	m = feed(f, request("INVITE", "sip:carol@peer.test", "<sip:carol@peer.test>", NULL, NULL));
	assert_string_equal(contact(m, 0, c, sizeof(c)), "<sip:carol@192.0.2.20>");
	osip_message_free(m);
	/* a wildcard catches the rest */
	m = feed(f, request("INVITE", "sip:erin@else.test", "<sip:erin@else.test>", NULL, NULL));
	assert_int_equal(m->status_code, 404);
	osip_message_free(m);
	assert_int_equal(route_table_add(&f->r.routes, "*=192.0.2.250:5060"), 0);
	m = feed(f, request("INVITE", "sip:erin@else.test", "<sip:erin@else.test>", NULL, NULL));
	assert_int_equal(m->status_code, 302);
	osip_message_free(m);
}

static void test_store_full_503(void **state)
{
	struct fixture *f = *state; /* 16 bindings */
	char aor[64];

	for (int i = 0; i < 16; i++) {
		snprintf(aor, sizeof(aor), "sip:u%d@b.test", i);
		reg(f, aor, "Contact: <sip:192.0.2.20>\r\n", 200);
	}
	reg(f, "sip:late@b.test", "Contact: <sip:192.0.2.20>\r\n", 503);
	assert_non_null(strstr(f->out, "Retry-After: 60"));
	/* a bad Contact among good ones changes nothing */
	reg(f, "sip:u0@b.test", "Contact: <sip:192.0.2.21>;expires=0, <tel:+1>\r\n", 400);
	assert_int_equal(f->r.loc->ops->count(f->r.loc), 16);
	reg(f, "sip:u0@b.test", "Contact: <sip:192.0.2.21>;expires=soon\r\n", 400);
	reg(f, "sip:u0@b.test", "Contact: <sip:192.0.2.21>\r\nExpires: never\r\n", 400);
	reg(f, "tel:+4930", "Contact: <sip:192.0.2.21>\r\n", 416);
	reg(f, "sip:b.test", "Contact: <sip:192.0.2.21>\r\n", 400); /* no user in To */
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	osip_message_t *m;
	const char *no_to = "INVITE sip:bob@b.test SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x\r\n"
			    "From: <sip:a@a.test>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	const char *cseq_mismatch = "INVITE sip:bob@b.test SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x\r\n"
				    "From: <sip:a@a.test>;tag=1\r\nTo: <sip:bob@b.test>\r\nCall-ID: x\r\n"
				    "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
	const char *no_via = "INVITE sip:bob@b.test SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n";
	const char *garbage = "\x01\x02 hello\r\n\r\n";
	const char *response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1\r\n"
			       "From: <sip:a@a.test>;tag=1\r\nTo: <sip:b@b.test>;tag=2\r\nCall-ID: x\r\n"
			       "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

	/* answered from the raw lines: what is there is echoed, To cannot be */
	assert_true(feed_raw(f, no_to));
	assert_memory_equal(f->out, "SIP/2.0 400 ", 12);
	assert_non_null(strstr(f->out, "\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x\r\n"));
	assert_non_null(strstr(f->out, "\r\nCSeq: 1 INVITE\r\n"));
	assert_non_null(strstr(f->out, "\r\nContent-Length: 0\r\n\r\n"));
	m = feed(f, cseq_mismatch);
	assert_int_equal(m->status_code, 400);
	osip_message_free(m);
	assert_null(feed(f, no_via));
	assert_null(feed(f, garbage));
	assert_null(feed(f, response));
	assert_int_equal(f->r.metrics.responses_dropped, 1);
	assert_int_equal(f->r.metrics.unanswerable, 2);
	assert_int_equal(f->r.metrics.replies_400, 2);
	/* every truncation of a good request is answered or dropped, never crashes */
	{
		const char *good = request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL);
		char copy[2048];
		size_t n = strlen(good);

		for (size_t cut = 0; cut < n; cut++) {
			char *o = NULL;
			size_t ol = 0;

			memcpy(copy, good, cut);
			assert_int_equal(redirect_handle(&f->r, copy, cut, &f->src, 0, &o, &ol), 0);
			osip_free(o);
		}
	}
}

static void test_registrar_acl(void **state)
{
	struct fixture *f = *state; /* requests come from 198.51.100.7 */

	assert_int_equal(sa_parse_ip("192.0.2.50", 0, &f->r.registrars[0]), 0);
	f->r.nregistrars = 1;
	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>\r\n", 403);
	assert_int_equal(f->r.loc->ops->count(f->r.loc), 0);
	/* any port of an allowed address will do */
	assert_int_equal(sa_parse_ip("198.51.100.7", 5060, &f->r.registrars[1]), 0);
	f->r.nregistrars = 2;
	reg(f, "sip:bob@b.test", "Contact: <sip:192.0.2.20>\r\n", 200);
	assert_int_equal(f->r.loc->ops->count(f->r.loc), 1);
	/* lookups are open to all */
	f->r.nregistrars = 1;
	osip_message_free(feed(f, request("INVITE", "sip:bob@b.test", "<sip:bob@b.test>", NULL, NULL)));
	assert_int_equal(f->r.metrics.replies_302, 1);
}

static void test_metrics_format(void **state)
{
	struct fixture *f = *state;
	char buf[8192], tiny[100];

	f->r.metrics.replies_302 = 42;
	assert_true(redirect_metrics_format(&f->r.metrics, 3, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\npierce_redirect_replies_302 42\n"));
	assert_non_null(strstr(buf, "\npierce_redirect_bindings 3\n"));
	assert_true(redirect_metrics_format(&f->r.metrics, 3, tiny, sizeof(tiny)) < sizeof(tiny));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_register_then_invite), T(test_retransmission_same_answer), T(test_unknown_404_and_options),
		T(test_ack_absorbed_and_in_dialog), T(test_unregister), T(test_expiry_and_query), T(test_routes),
		T(test_store_full_503), T(test_malformed), T(test_registrar_acl), T(test_metrics_format),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

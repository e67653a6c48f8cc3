// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NAT detection, relay decision, registrar expiry, rate limit, relay choice, routing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy/core.h"
#include "proxy/nat.h"
#include "proxy/ratelimit.h"
#include "proxy/registrar.h"
#include "proxy/relay_pool.h"
#include "sip_msg.h"
#include "sip_sdp.h"
#include "sockaddr.h"

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage a;

	assert_int_equal(sa_parse_hostport(s, 5060, &a), 0);
	return a;
}

static void test_nat_detection(void **state)
{
	const char *natted = "v=0\r\nc=IN IP4 10.0.1.10\r\nm=audio 4000 RTP/AVP 0\r\n";
	const char *media_v6 = "v=0\r\nc=IN IP4 203.0.113.5\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8::9\r\n";
	struct sdp_info sdp;
	struct sockaddr_storage pub = addr("203.0.113.5:5060"), v6 = addr("[2001:db8::9]:5060"), mapped;

	assert_int_equal(sdp_parse(natted, strlen(natted), &sdp), 0);
	assert_true(nat_sdp_differs(&sdp, &pub));
	sa_parse_hostport("10.0.1.10:5060", 0, &mapped);
	assert_false(nat_sdp_differs(&sdp, &mapped));
	/* the media-level IPv6 address overrides the session one for its m= line */
	assert_int_equal(sdp_parse(media_v6, strlen(media_v6), &sdp), 0);
	assert_true(nat_sdp_differs(&sdp, &pub));
	assert_false(nat_sdp_differs(&sdp, &v6));
	/* an IPv4-mapped source from a dual-stack socket compares as IPv4 */
	assert_int_equal(sdp_parse(natted, strlen(natted), &sdp), 0);
	mapped = addr("[::ffff:10.0.1.10]:5060");
	assert_false(nat_sdp_differs(&sdp, &mapped));
}

static void test_relay_decision(void **state)
{
	struct nat_facts f = { .has_sdp = true };
	enum nat_policy pol;

	assert_false(nat_should_relay(NAT_POLICY_AUTO, &f));
	f.caller_natted = true;
	assert_true(nat_should_relay(NAT_POLICY_AUTO, &f));
	assert_false(nat_should_relay(NAT_POLICY_NEVER, &f));
	f.caller_natted = false;
	f.callee_natted = true;
	assert_true(nat_should_relay(NAT_POLICY_AUTO, &f));
	f.callee_natted = false;
	assert_true(nat_should_relay(NAT_POLICY_ALWAYS, &f));
	/* relay at most once */
	f.already_relayed = true;
	assert_false(nat_should_relay(NAT_POLICY_ALWAYS, &f));
	assert_int_equal(nat_policy_parse("always", &pol), 0);
	assert_int_equal(pol, NAT_POLICY_ALWAYS);
	assert_int_equal(nat_policy_parse("sometimes", &pol), -EINVAL);
}

static int gone_count;
static void gone(const char *aor, void *ctx)
{
	gone_count++;
	assert_string_equal(aor, "bob@example.com");
}

static void count_binding(const struct reg_binding *b, void *ctx)
{
	(*(unsigned *)ctx)++;
}

static void test_registrar(void **state)
{
	struct registrar r;
	struct sockaddr_storage src = addr("198.51.100.7:40000");
	const struct reg_binding *b;

	assert_int_equal(reg_init(&r, 4), 0);
	assert_int_equal(reg_update(&r, "bob@example.com", "sip:bob@10.0.2.10:5060", &src, true, false, 60, 1000), 0);
	assert_int_equal(reg_update(&r, "bob@example.com", "sip:bob@10.0.2.11", &src, true, false, 120, 1000), 0);
	b = reg_lookup(&r, "bob@example.com", 2000);
	assert_non_null(b);
	assert_string_equal(b->contact, "sip:bob@10.0.2.11"); /* the one that lasts longest */
	assert_true(b->nat);
	assert_true(sa_equal(&b->received, &src));
	assert_int_equal(reg_remaining(&r, "bob@example.com", 1000), 120);
	/* refresh keeps one binding per contact */
	assert_int_equal(reg_update(&r, "bob@example.com", "sip:bob@10.0.2.10:5060", &src, true, false, 300, 1500), 0);
	assert_int_equal(reg_count(&r, 1500), 2);
	/* unregister one, expire the other: gone() once */
	assert_int_equal(reg_update(&r, "bob@example.com", "sip:bob@10.0.2.10:5060", &src, true, false, 0, 1600), 0);
	gone_count = 0;
	assert_int_equal(reg_expire(&r, 1000 + 121000, gone, NULL), 1);
	assert_int_equal(gone_count, 1);
	assert_null(reg_lookup(&r, "bob@example.com", 1000 + 121000));
	/* bounded table */
	for (int i = 0; i < 4; i++) {
		char c[32];

		snprintf(c, sizeof(c), "sip:x%d@h", i);
		assert_int_equal(reg_update(&r, "a@example.com", c, &src, false, false, 10, 0), 0);
	}
	assert_int_equal(reg_update(&r, "a@example.com", "sip:more@h", &src, false, false, 10, 0), -ENOSPC);
	reg_remove_aor(&r, "a@example.com");
	assert_int_equal(reg_count(&r, 0), 0);
	reg_free(&r);
}

/* More AORs than buckets share chains: dropping one from the middle of a chain
 * (by expires 0, Contact: *, expiry) must leave the others findable, and the
 * freed slots must take new bindings. */
static void test_registrar_shared_chains(void **state)
{
	struct registrar r;
	struct sockaddr_storage src = { 0 };
	unsigned each = 0;
	char aor[32];

	assert_int_equal(reg_init(&r, 16), 0);
	for (int i = 0; i < 16; i++) {
		snprintf(aor, sizeof(aor), "u%d@x.test", i);
		assert_int_equal(reg_update(&r, aor, "sip:c@h", &src, false, false, i < 4 ? 1 : 60, 0), 0);
	}
	assert_int_equal(reg_update(&r, "late@x.test", "sip:c@h", &src, false, false, 60, 0), -ENOSPC);
	assert_int_equal(reg_update(&r, "u5@x.test", "sip:c@h", &src, false, false, 0, 0), 0);
	reg_remove_aor(&r, "u9@x.test");
	assert_int_equal(reg_expire(&r, 2000, NULL, NULL), 4); /* u0..u3 */
	for (int i = 0; i < 16; i++) {
		snprintf(aor, sizeof(aor), "u%d@x.test", i);
		if (i < 4 || i == 5 || i == 9)
			assert_null(reg_lookup(&r, aor, 2000));
		else
			assert_non_null(reg_lookup(&r, aor, 2000));
	}
	for (int i = 0; i < 6; i++) {
		snprintf(aor, sizeof(aor), "new%d@x.test", i);
		assert_int_equal(reg_update(&r, aor, "sip:c@h", &src, false, false, 60, 2000), 0);
		assert_non_null(reg_lookup(&r, aor, 2000));
	}
	assert_int_equal(reg_update(&r, "late@x.test", "sip:c@h", &src, false, false, 60, 2000), -ENOSPC);
	assert_int_equal(reg_update(&r, "new0@x.test", "sip:d@h", &src, false, false, 60, 2000), -ENOSPC);
	assert_int_equal(reg_count(&r, 2000), 16);
	reg_each(&r, "u7@x.test", 2000, count_binding, &each);
	assert_int_equal(each, 1);
	reg_free(&r);
}

static void test_rate_limit(void **state)
{
	struct ratelimit rl;
	struct sockaddr_storage flooder = addr("192.0.2.1:1"), other = addr("192.0.2.2:1");
	int allowed = 0;

	assert_int_equal(rl_init(&rl, 10), 0);
	for (int i = 0; i < 1000; i++)
		allowed += rl_allow(&rl, &flooder, 1000);
	assert_int_equal(allowed, 20); /* the burst, then nothing in the same millisecond */
	assert_true(rl_allow(&rl, &other, 1000)); /* others are not starved */
	assert_true(rl_allow(&rl, &flooder, 1200)); /* tokens come back with time */
	rl_free(&rl);
}

static void test_relay_pool(void **state)
{
	struct relay_pool p = { 0 };
	struct sockaddr_storage a;
	unsigned w, hits[2] = { 0 };

	assert_int_equal(relay_spec_parse("udp:127.0.0.1:2223=3", &a, &w), 0);
	assert_int_equal(w, 3);
	assert_int_equal(relay_pool_add(&p, &a, w), 0);
	assert_int_equal(relay_spec_parse("udp:[::1]:2224", &a, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(relay_pool_add(&p, &a, w), 0);
	assert_int_not_equal(relay_spec_parse("tcp:127.0.0.1:1", &a, &w), 0);
	assert_int_not_equal(relay_spec_parse("udp:127.0.0.1:1=0", &a, &w), 0);
	for (uint32_t r = 0; r < 400; r++)
		hits[relay_pool_pick(&p, 0, r)]++;
	assert_int_equal(hits[0], 300);
	assert_int_equal(hits[1], 100);
	/* tried ones are skipped; an unanswering relay goes down, then none is left */
	assert_int_equal(relay_pool_pick(&p, 1u << 0, 0), 1);
	relay_pool_mark(&p, 1, false);
	relay_pool_mark(&p, 1, false);
	assert_int_equal(relay_pool_pick(&p, 1u << 0, 0), -EHOSTUNREACH);
	relay_pool_mark(&p, 1, true);
	assert_int_equal(relay_pool_pick(&p, 1u << 0, 0), 1);
}

static void test_relay_pool_reload(void **state)
{
	struct relay_pool p = { 0 };
	struct sockaddr_storage a = addr("127.0.0.1:2223"), b = addr("127.0.0.2:2223"), c = addr("127.0.0.3:2223");
	struct sockaddr_storage list[2] = { c, a };
	unsigned weights[2] = { 5, 2 };

	assert_int_equal(relay_pool_add(&p, &a, 1), 0);
	assert_int_equal(relay_pool_add(&p, &b, 1), 0);
	assert_int_equal(relay_pool_reload(&p, list, weights, 2), 0);
	/* indices held by calls stay: a keeps 0 with its new weight, b drains at 1, c is new */
	assert_int_equal(p.n, 3);
	assert_true(sa_equal(&p.r[0].addr, &a));
	assert_int_equal(p.r[0].weight, 2);
	assert_true(sa_equal(&p.r[1].addr, &b));
	assert_int_equal(p.r[1].weight, 0);
	assert_true(sa_equal(&p.r[2].addr, &c));
	assert_int_equal(p.r[2].weight, 5);
	for (uint32_t r = 0; r < 70; r++)
		assert_int_not_equal(relay_pool_pick(&p, 0, r), 1); /* never a new call on b */
	/* b listed again comes back */
	list[0] = b;
	assert_int_equal(relay_pool_reload(&p, list, weights, 1), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.r[1].weight, 5);
	assert_int_equal(p.r[0].weight, 0);
	assert_int_equal(p.r[2].weight, 0);
}

static void test_registrar_republish(void **state)
{
	struct registrar r;
	struct sockaddr_storage src = addr("198.51.100.7:40000");

	assert_int_equal(reg_init(&r, 4), 0);
	assert_int_equal(reg_update(&r, "bob@b.test", "sip:bob@10.0.2.10", &src, true, false, 3600, 0), 0);
	assert_int_equal(reg_update(&r, "bob@b.test", "sip:bob@10.0.2.11", &src, true, false, 3600, 0), 0);
	assert_null(reg_next_republish(&r, 100000));
	reg_set_republish(&r, "bob@b.test", 2000);
	assert_null(reg_next_republish(&r, 1999));
	assert_string_equal(reg_next_republish(&r, 2000), "bob@b.test");
	assert_null(reg_next_republish(&r, 2000)); /* once for the AOR, not per binding */
	/* a binding gone by then is not published again */
	reg_set_republish(&r, "bob@b.test", 5000);
	assert_null(reg_next_republish(&r, 3600 * 1000 + 1));
	reg_free(&r);
}

static osip_message_t *parse(const char *m)
{
	osip_message_t *msg = NULL;

	assert_int_equal(sip_parse(m, strlen(m), &msg), 0);
	return msg;
}

#define REQ(ruri, to, extra)                                                                       \
	"INVITE " ruri " SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.1.10;branch=z9hG4bK1\r\n"                \
	"To: " to "\r\nFrom: <sip:alice@example.com>;tag=a\r\nCall-ID: r1\r\nCSeq: 1 INVITE\r\n"   \
	extra "Content-Length: 0\r\n\r\n"

static void test_routing(void **state)
{
	static struct proxy p;
	struct route_out ro;
	struct sockaddr_storage src = addr("198.51.100.7:40000");
	osip_message_t *m;
	char buf[SA_STR_MAX];

	memset(&p, 0, sizeof(p));
	strcpy(p.cfg.domains[0], "example.com");
	p.cfg.n_domains = 1;
	p.cfg.listen[0] = addr("192.0.2.1:5060");
	p.cfg.n_listen = 1;
	strcpy(p.self_host, "192.0.2.1");
	p.self_port = 5060;
	assert_int_equal(reg_init(&p.reg, 16), 0);
	assert_int_equal(reg_update(&p.reg, "bob@example.com", "sip:bob@10.0.2.10", &src, true, false, 60, 0), 0);

	/* registered locally: to the address the REGISTER came from */
	m = parse(REQ("sip:bob@example.com", "<sip:bob@example.com>", ""));
	assert_int_equal(route_decide(&p, m, 1000, &ro), 0);
	assert_int_equal(ro.kind, RK_LOCAL);
	assert_true(ro.callee_nat);
	assert_string_equal(ro.contact, "sip:bob@10.0.2.10");
	assert_string_equal(sa_format(&ro.target, buf, sizeof(buf)), "198.51.100.7:40000");
	osip_message_free(m);
	/* our domain, not here: ask the redirect server */
	m = parse(REQ("sip:carol@example.com", "<sip:carol@example.com>", ""));
	assert_int_equal(route_decide(&p, m, 1000, &ro), 0);
	assert_int_equal(ro.kind, RK_REDIRECT);
	osip_message_free(m);
	/* in-dialog with our Route on top then another: popped, then the next hop */
	m = parse(REQ("sip:bob@10.0.2.10", "<sip:bob@example.com>;tag=b",
		      "Route: <sip:192.0.2.1;lr>\r\nRoute: <sip:192.0.2.2:5070;lr>\r\n"));
	assert_int_equal(route_decide(&p, m, 1000, &ro), 0);
	assert_int_equal(ro.kind, RK_NEXT_HOP);
	assert_string_equal(sa_format(&ro.target, buf, sizeof(buf)), "192.0.2.2:5070");
	assert_int_equal(osip_list_size(&m->routes), 1);
	osip_message_free(m);
	/* in-dialog to a numeric Request-URI */
	m = parse(REQ("sip:bob@203.0.113.9:5062", "<sip:bob@example.com>;tag=b", ""));
	assert_int_equal(route_decide(&p, m, 1000, &ro), 0);
	assert_int_equal(ro.kind, RK_NEXT_HOP);
	assert_string_equal(sa_format(&ro.target, buf, sizeof(buf)), "203.0.113.9:5062");
	osip_message_free(m);
	/* after expiry the binding is gone */
	m = parse(REQ("sip:bob@example.com", "<sip:bob@example.com>", ""));
	assert_int_equal(route_decide(&p, m, 61000, &ro), 0);
	assert_int_equal(ro.kind, RK_REDIRECT);
	osip_message_free(m);
	reg_free(&p.reg);
}

/* A destination never chosen (family 0) is refused with its own error, not
 * handed to sendto() (the "send to ?:0 failed: Success" of an unset target). */
static void test_send_without_destination(void **state)
{
	static struct proxy p;
	struct sockaddr_storage none, v6 = addr("[2001:db8::1]:5060");

	memset(&p, 0, sizeof(p));
	memset(&none, 0, sizeof(none));
	p.cfg.listen[0] = addr("192.0.2.1:5060");
	p.cfg.n_listen = p.n_listen = 1;
	p.udp_fd[0] = -1;
	assert_int_equal(proxy_send(&p, &none, "x", 1), -EDESTADDRREQ);
	assert_int_equal(p.m.c[PC_tx_errors], 1);
	/* no listener of the destination's family: an error, nothing sent */
	assert_int_equal(proxy_send(&p, &v6, "x", 1), -EIO);
	assert_int_equal(p.m.c[PC_tx_errors], 2);
	assert_int_equal(p.m.c[PC_tx_messages], 0);
}

static void test_loop_detection(void **state)
{
	static struct proxy p;
	osip_message_t *m = parse(REQ("sip:bob@example.com", "<sip:bob@example.com>", ""));
	char via[200];
	osip_message_t *looped;

	memset(&p, 0, sizeof(p));
	strcpy(p.self_host, "192.0.2.1");
	p.self_port = 5060;
	assert_false(proxy_is_loop(&p, m));
	/* the same request back with our own Via and loop hash in it */
	snprintf(via, sizeof(via),
		 "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" PROXY_BRANCH_PREFIX "%08x.1\r\n",
		 proxy_loop_hash(m));
	{
		char full[1024];

		snprintf(full, sizeof(full),
			 "%sVia: SIP/2.0/UDP 10.0.1.10;branch=z9hG4bK1\r\nTo: <sip:bob@example.com>\r\n"
			 "From: <sip:alice@example.com>;tag=a\r\nCall-ID: r1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
			 via);
		looped = parse(full);
	}
	assert_true(proxy_is_loop(&p, looped));
	osip_message_free(looped);
	osip_message_free(m);
}

static int setup(void **state)
{
	return sip_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_detection), cmocka_unit_test(test_relay_decision),
		cmocka_unit_test(test_registrar),     cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_relay_pool),    cmocka_unit_test(test_routing),
		cmocka_unit_test(test_loop_detection), cmocka_unit_test(test_send_without_destination),
		cmocka_unit_test(test_relay_pool_reload), cmocka_unit_test(test_registrar_republish),
		cmocka_unit_test(test_registrar_shared_chains),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "dataplane/dataplane.h"
#include "relay/call_legs.h"
#include "relay/relay.h"
#include "relay/state_file.h"
#include "sockaddr.h"

#define PORT_MIN 30000
#define PORT_COUNT 16
#define SEC NS_PER_SEC

/* A data plane in memory: the legs array the XDP program would read. */
static struct pierce_leg legs[2 * PORT_COUNT];

static int fake_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	struct pierce_leg keep = legs[i];

	assert_true(i < 2 * PORT_COUNT);
	legs[i] = *l;
	if (!reset) {
		legs[i].packets = keep.packets;
		legs[i].bytes = keep.bytes;
		legs[i].last_seen_ns = keep.last_seen_ns;
	}
	return 0;
}

static int fake_clear(void *ctx, uint32_t i)
{
	assert_true(i < 2 * PORT_COUNT);
	memset(&legs[i], 0, sizeof(legs[i]));
	return 0;
}

static unsigned batch_writes;

static int fake_write(void *ctx, const uint32_t *index, const struct pierce_leg *l, unsigned n)
{
	batch_writes++;
	for (unsigned k = 0; k < n; k++) {
		assert_true(index[k] < 2 * PORT_COUNT);
		legs[index[k]] = l[k];
	}
	return 0;
}

static unsigned leg_reads;

static int fake_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	leg_reads++;
	if (i >= 2 * PORT_COUNT)
		return -ENOENT;
	*out = legs[i];
	return 0;
}

static struct relay R;
static struct sockaddr_storage proxy;
static struct bencode_node pool[4096];

static int init_relay(void)
{
	struct relay_addr addrs[2];
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .delete_delay_s = 30, .tos = 184 };
	struct relay_dp_ops dp = { .leg_set = fake_set, .leg_clear = fake_clear, .leg_get = fake_get,
				   .legs_write = fake_write };

	batch_writes = 0;
	memset(addrs, 0, sizeof(addrs));
	sa_parse_ip("10.9.0.1", 0, &addrs[0].local);
	sa_parse_ip("203.0.113.1", 0, &addrs[0].advertised);
	addrs[0].slot = 0;
	sa_parse_ip("2001:db8::1", 0, &addrs[1].local);
	addrs[1].advertised = addrs[1].local;
	addrs[1].slot = 1;
	sa_parse_hostport("127.0.0.1:5060", 0, &proxy);
	return relay_init(&R, addrs, 2, PORT_MIN, PORT_COUNT, &set, &dp, 100 * SEC);
}

static int setup(void **state)
{
	memset(legs, 0, sizeof(legs));
	return init_relay();
}

static int teardown(void **state)
{
	relay_free(&R);
	return 0;
}

/* Sends "cookie <bencode>" and decodes the reply's dictionary. */
static struct bencode_node *ng(const char *cookie, const char *bencoded, uint64_t now)
{
	static char buf[70000];
	static char text[70000];
	struct bencode_tree t = { .nodes = pool, .cap = 4096 };
	struct bencode_node *root;
	char *reply;
	size_t len;
	int n = snprintf(buf, sizeof(buf), "%s %s", cookie, bencoded);

	assert_int_equal(ng_process(&R, buf, (size_t)n, &proxy, now, &reply, &len), 0);
	assert_non_null(reply);
	assert_true(len > strlen(cookie) + 1);
	assert_memory_equal(reply, cookie, strlen(cookie));
	assert_int_equal(reply[strlen(cookie)], ' ');
	memcpy(text, reply, len);
	free(reply);
	assert_int_equal(bencode_decode(&t, text + strlen(cookie) + 1, len - strlen(cookie) - 1, &root), 0);
	return root;
}

static const char *str(const struct bencode_node *d, const char *key)
{
	static char v[20000];

	if (bencode_dict_get_strz(d, key, v, sizeof(v)))
		return "(none)";
	return v;
}

static const char sdp_a[] = "v=0\r\no=a 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\n"
			    "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
static const char sdp_b[] = "v=0\r\no=b 1 1 IN IP4 10.20.0.5\r\ns=-\r\nc=IN IP4 10.20.0.5\r\nt=0 0\r\n"
			    "m=audio 5000 RTP/AVP 0\r\n";

static char *bstr(const char *s)
{
	static char out[4][4200];
	static int i;
	char *o = out[i++ % 4];

	snprintf(o, 4200, "%zu:%.4095s", strlen(s), s);
	return o;
}

static char req[8192];

static const char *offer_req(const char *callid)
{
	/* Kamailio-style: unsorted keys, supports, received-from */
	char sdp[1024], cid[300];

	snprintf(sdp, sizeof(sdp), "%s", bstr(sdp_a));
	snprintf(cid, sizeof(cid), "%s", bstr(callid));
	snprintf(req, sizeof(req),
		 "d8:supportsl10:load limite3:sdp%s7:call-id%s8:from-tag2:ta5:flagsl18:SIP-source-addresse"
		 "13:received-froml3:IP412:198.51.100.9e7:command5:offer3:ICE6:removee",
		 sdp, cid);
	return req;
}

static int64_t port_in_sdp(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");

	return m ? strtol(m + 8, NULL, 10) : -1;
}

static void test_ping_and_errors(void **state)
{
	struct bencode_node *r;
	char *reply;
	size_t len;

	r = ng("1_1", "d7:command4:pinge", 0);
	assert_string_equal(str(r, "result"), "pong");
	r = ng("1_2", "d7:command5:hello", 0); /* truncated */
	assert_string_equal(str(r, "result"), "error");
	assert_non_null(strstr(str(r, "error-reason"), "decode"));
	r = ng("1_3", "d7:command3:fooe", 0);
	assert_string_equal(str(r, "error-reason"), "Unrecognized command");
	r = ng("1_4", "d3:foo3:bare", 0);
	assert_string_equal(str(r, "error-reason"), "No command in message");
	r = ng("1_5", "d7:command5:offere", 0);
	assert_string_equal(str(r, "result"), "error");
	/* no cookie: nothing to answer */
	assert_int_equal(ng_process(&R, "d7:command4:pinge", 17, &proxy, 0, &reply, &len), -EBADMSG);
	assert_null(reply);
	assert_int_equal(R.cnt.ng[NG_CMD_PING][NG_OK], 1);
}

static void test_offer_answer_query_delete(void **state)
{
	struct bencode_node *r;
	struct pierce_leg *la, *lb;
	int64_t pa, pb;
	uint32_t ia, ib;
	char ans[4096];
	char ip[64];
	struct sockaddr_storage ss;

	r = ng("2_1", offer_req("call-1@x"), 100 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_non_null(strstr(str(r, "sdp"), "c=IN IP4 203.0.113.1\r\n"));  /* advertised address */
	assert_null(strstr(str(r, "sdp"), "192.168.1.10\r\nt="));
	pb = port_in_sdp(str(r, "sdp"));                                       /* B sends here */
	assert_true(pb >= PORT_MIN && pb < PORT_MIN + PORT_COUNT && pb % 2 == 0);
	assert_int_equal(relay_pairs_used(&R), 2);
	assert_int_equal(batch_writes, 1); /* a new call's four legs in one write */

	/* the retransmission gets the same reply and books nothing more */
	r = ng("2_1", offer_req("call-1@x"), 101 * SEC);
	assert_int_equal(port_in_sdp(str(r, "sdp")), pb);
	assert_int_equal(relay_pairs_used(&R), 2);
	assert_int_equal(R.cnt.ng_retransmits, 1);

	/* a second offer (re-INVITE) keeps its ports */
	r = ng("2_2", offer_req("call-1@x"), 102 * SEC);
	assert_int_equal(port_in_sdp(str(r, "sdp")), pb);
	assert_int_equal(relay_pairs_used(&R), 2);

	snprintf(ans, sizeof(ans), "d7:command6:answer7:call-id8:call-1@x8:from-tag2:ta6:to-tag2:tb3:sdp%s"
		 "13:media-address9:192.0.2.7e", bstr(sdp_b));
	r = ng("2_3", ans, 103 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	pa = port_in_sdp(str(r, "sdp"));                                       /* A sends here */
	assert_int_equal(batch_writes, 2); /* the first answer rewrites the legs from scratch at once */
	assert_true(pa != pb && pa % 2 == 0);
	assert_non_null(strstr(str(r, "sdp"), "a=rtcp:"));

	ia = (uint32_t)(pa - PORT_MIN);
	ib = (uint32_t)(pb - PORT_MIN);
	la = &legs[ia];
	lb = &legs[ib];
	/* A's leg: from A (SIP source 198.51.100.9... as received-from) to B's media address */
	assert_true(la->flags & PIERCE_LEG_ACTIVE);
	assert_true(la->flags & PIERCE_LEG_HAS_DEST);
	assert_true(la->flags & PIERCE_LEG_SET_DSCP);
	assert_int_equal(la->dscp, 184 >> 2);
	assert_int_equal(la->peer_index, ib);
	assert_int_equal(lb->peer_index, ia);
	assert_int_equal(ntohs(la->src_port_be), pb);
	assert_int_equal(ntohs(lb->src_port_be), pa);
	assert_int_equal(ntohs(la->dst_port_be), 5000);
	pierce_addr_to_sockaddr(&la->dst, la->dst_family, 0, &ss);
	assert_string_equal(sa_format_ip(&ss, ip, sizeof(ip)), "192.0.2.7");
	pierce_addr_to_sockaddr(&la->allow, la->allow_family, 0, &ss);
	assert_string_equal(sa_format_ip(&ss, ip, sizeof(ip)), "198.51.100.9");
	assert_false(la->flags & PIERCE_LEG_ANY_SRC);
	assert_int_equal(la->policy, PIERCE_SRC_STRICT);
	/* SIP-source-address: B's leg sends to A's SIP source with the SDP port */
	pierce_addr_to_sockaddr(&lb->dst, lb->dst_family, 0, &ss);
	assert_string_equal(sa_format_ip(&ss, ip, sizeof(ip)), "198.51.100.9");
	assert_int_equal(ntohs(lb->dst_port_be), 4000);
	assert_int_equal(ntohs(legs[ib + 1].dst_port_be), 4001); /* RTCP */
	pierce_addr_to_sockaddr(&lb->src, PIERCE_AF_INET, 0, &ss);
	assert_string_equal(sa_format_ip(&ss, ip, sizeof(ip)), "10.9.0.1"); /* local, not advertised */
	assert_false(lb->flags & PIERCE_LEG_ANY_SRC);

	/* query: the counters of the legs, rtpengine's layout */
	la->packets = 50;
	la->bytes = 8600;
	la->last_seen_ns = 104 * SEC;
	la->flags |= PIERCE_LEG_LATCHED;
	r = ng("2_4", "d7:command5:query7:call-id8:call-1@xe", 105 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_string_equal(str(r, "state"), "answered");
	{
		const struct bencode_node *tot = bencode_dict_get(bencode_dict_get(r, "totals"), "RTP");
		const struct bencode_node *tags = bencode_dict_get(r, "tags");
		const struct bencode_node *ta = bencode_dict_get(tags, "ta");
		const struct bencode_node *stream;
		long long v;

		assert_int_equal(bencode_dict_get_int(tot, "packets", &v), 0);
		assert_int_equal(v, 50);
		assert_int_equal(bencode_dict_get_int(tot, "bytes", &v), 0);
		assert_int_equal(v, 8600);
		assert_non_null(bencode_dict_get(tags, "tb"));
		assert_string_equal(str(ta, "in dialogue with"), "tb");
		stream = bencode_dict_get(bencode_dict_get(ta, "medias")->child, "streams")->child;
		assert_int_equal(bencode_dict_get_int(stream, "local port", &v), 0);
		assert_int_equal(v, pa);
		assert_int_equal(bencode_dict_get_int(stream, "last packet", &v), 0);
		assert_int_equal(v, 104);
	}
	r = ng("2_5", "d7:command4:liste", 105 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_true(bencode_str_eq(bencode_dict_get(r, "calls")->child, "call-1@x"));

	/* delete with Kamailio's received-from; zero delay frees everything now */
	r = ng("2_6", "d7:command6:delete7:call-id8:call-1@x8:from-tag2:ta13:received-froml3:IP49:127.0.0.1e"
		      "12:delete delayi0ee", 106 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_int_equal(relay_pairs_used(&R), 0);
	assert_int_equal(batch_writes, 3); /* and the delete clears them at once */
	assert_int_equal(legs[ia].flags, 0);
	assert_int_equal(legs[ib + 1].flags, 0);
	assert_int_equal(R.calls.count, 0);
	r = ng("2_7", "d7:command6:delete7:call-id8:call-1@xe", 107 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_non_null(strstr(str(r, "warning"), "not found"));
	r = ng("2_8", "d7:command6:delete7:call-id8:call-1@x5:flagsl5:fatalee", 107 * SEC);
	assert_string_equal(str(r, "result"), "error");
}

static void test_exhaustion_and_load_limit(void **state)
{
	struct bencode_node *r;
	char cid[32], cookie[16];
	int ok = 0;

	/* 16 ports = 8 pairs = 4 calls of one media */
	for (int i = 0; i < 5; i++) {
		snprintf(cid, sizeof(cid), "ex-%d", i);
		snprintf(cookie, sizeof(cookie), "3_%d", i);
		r = ng(cookie, offer_req(cid), 100 * SEC);
		if (!strcmp(str(r, "result"), "ok"))
			ok++;
		else
			assert_string_equal(str(r, "error-reason"), "Ran out of ports");
	}
	assert_int_equal(ok, 4);
	assert_int_equal(R.calls.count, 4); /* the failed call left nothing behind */
	assert_int_equal(relay_pairs_used(&R), 8);
	R.set.max_sessions = 4;
	r = ng("3_9", offer_req("one-more"), 100 * SEC);
	assert_string_equal(str(r, "result"), "load limit");
	assert_int_equal(R.cnt.calls_rejected, 1);
}

static void test_timeouts(void **state)
{
	struct bencode_node *r;
	int64_t pb;

	r = ng("4_1", offer_req("t-1"), 100 * SEC);
	pb = port_in_sdp(str(r, "sdp"));
	r = ng("4_2", offer_req("t-2"), 100 * SEC);
	/* t-1 had media until 200 s; t-2 never had any */
	legs[pb - PORT_MIN].packets = 10;
	legs[pb - PORT_MIN].last_seen_ns = 200 * SEC;
	relay_tick(&R, 259 * SEC);
	assert_int_equal(R.calls.active, 2);
	relay_tick(&R, 261 * SEC);
	assert_int_equal(R.cnt.ended[CALL_END_TIMEOUT], 1);
	assert_int_equal(R.calls.active, 1);
	assert_int_equal(relay_pairs_used(&R), 2);
	r = ng("4_3", "d7:command5:query7:call-id3:t-1e", 262 * SEC);
	assert_string_equal(str(r, "state"), "ended");
	assert_string_equal(str(r, "end reason"), "timeout");
	relay_tick(&R, 3701 * SEC);
	assert_int_equal(R.cnt.ended[CALL_END_SILENT_TIMEOUT], 1);
	assert_int_equal(relay_pairs_used(&R), 0);
	assert_int_equal(R.calls.count, 1); /* t-2 stays visible for the delete delay */
	relay_tick(&R, 3732 * SEC);
	assert_int_equal(R.calls.count, 0);
}

static void test_loop_protect_and_ipv6(void **state)
{
	static const char sdp6[] = "v=0\r\no=a 1 1 IN IP6 2001:db8::10\r\ns=-\r\nc=IN IP6 2001:db8::10\r\nt=0 0\r\n"
				   "m=audio 4000 RTP/AVP 0\r\n";
	struct bencode_node *r;
	char sdp_out[20000];

	snprintf(req, sizeof(req), "d7:command5:offer7:call-id2:v68:from-tag1:a3:sdp%s5:flagsl12:loop-protectee",
		 bstr(sdp6));
	r = ng("5_1", req, 100 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	snprintf(sdp_out, sizeof(sdp_out), "%s", str(r, "sdp"));
	assert_non_null(strstr(sdp_out, "c=IN IP6 2001:db8::1\r\n"));
	assert_non_null(strstr(sdp_out, "a=pierce-relay:1"));
	/* our own output coming back is passed through untouched */
	snprintf(req, sizeof(req), "d7:command5:offer7:call-id2:w68:from-tag1:a3:sdp%s5:flagsl12:loop-protectee",
		 bstr(sdp_out));
	r = ng("5_2", req, 100 * SEC);
	assert_string_equal(str(r, "sdp"), sdp_out);
	assert_int_equal(R.calls.count, 1);
}

/* The leg that receives side s's RTP (k = 1: RTCP) of the call's first media. */
static struct pierce_leg *side_leg(const char *callid, int s, int k)
{
	struct call *c = call_find(&R.calls, callid);

	assert_non_null(c);
	return &legs[relay_leg_index(&R, c->media[0].addr[s], (uint16_t)(c->media[0].port[s] + k))];
}

static void assert_closed(const struct pierce_leg *l)
{
	assert_true(l->flags & PIERCE_LEG_ACTIVE);
	assert_false(l->flags & PIERCE_LEG_ANY_SRC);
	assert_int_equal(l->allow_family, PIERCE_AF_NONE);
	assert_int_equal(l->policy, PIERCE_SRC_STRICT);
}

static void assert_allow(const struct pierce_leg *l, const char *want)
{
	struct sockaddr_storage ss;
	char ip[64];

	assert_false(l->flags & PIERCE_LEG_ANY_SRC);
	assert_int_equal(pierce_addr_to_sockaddr(&l->allow, l->allow_family, 0, &ss), 0);
	assert_string_equal(sa_format_ip(&ss, ip, sizeof(ip)), want);
}

static struct bencode_node *answer_req(const char *cookie, const char *callid, const char *sdp, const char *extra)
{
	char a[4096], cid[300];

	snprintf(cid, sizeof(cid), "%s", bstr(callid));
	snprintf(a, sizeof(a), "d7:command6:answer7:call-id%s8:from-tag2:ta6:to-tag2:tb3:sdp%s%se", cid, bstr(sdp),
		 extra);
	return ng(cookie, a, 101 * SEC);
}

/* Until the callee answers, nobody may latch its ports: they drop every
 * source (counted by the program as drop_src_mismatch). The answer opens
 * them to the callee's own address: received-from, else the SDP; only an
 * answer with no address at all lets the first packet teach it. */
static void test_callee_closed_until_answer(void **state)
{
	static const char sdp_hold[] = "v=0\r\no=b 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				       "m=audio 5000 RTP/AVP 0\r\n";
	static const char sdp_reject[] = "v=0\r\no=b 1 1 IN IP4 10.20.0.5\r\ns=-\r\nc=IN IP4 10.20.0.5\r\nt=0 0\r\n"
					 "m=audio 0 RTP/AVP 0\r\n";
	struct bencode_node *r;
	struct call *c;

	/* 1. the callee's legs are closed after the offer; the caller's follow received-from */
	r = ng("6_1", offer_req("c-1"), 100 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_closed(side_leg("c-1", 1, 0));
	assert_closed(side_leg("c-1", 1, 1));
	assert_allow(side_leg("c-1", 0, 0), "198.51.100.9");
	/* asymmetric (trust anyone) does not open them either */
	snprintf(req, sizeof(req), "d7:command5:offer7:call-id3:c-28:from-tag2:ta3:sdp%s5:flagsl10:asymmetricee",
		 bstr(sdp_a));
	r = ng("6_2", req, 100 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	assert_closed(side_leg("c-2", 1, 0));
	assert_int_equal(side_leg("c-2", 0, 0)->policy, PIERCE_SRC_TRUST);
	/* a re-offer from the caller keeps the callee closed */
	r = ng("6_3", offer_req("c-1"), 100 * SEC);
	assert_closed(side_leg("c-1", 1, 0));

	/* 2. the answer's received-from (the callee's public address) wins over its SDP */
	r = answer_req("6_4", "c-1", sdp_b, "13:received-froml3:IP413:198.51.100.77e");
	assert_string_equal(str(r, "result"), "ok");
	assert_allow(side_leg("c-1", 1, 0), "198.51.100.77");
	assert_allow(side_leg("c-1", 1, 1), "198.51.100.77");
	assert_int_equal(side_leg("c-1", 1, 0)->policy, PIERCE_SRC_STRICT);
	assert_true(side_leg("c-1", 0, 0)->flags & PIERCE_LEG_HAS_DEST); /* A's media goes to B's SDP */
	r = answer_req("6_5", "c-2", sdp_b, "");
	assert_allow(side_leg("c-2", 1, 0), "10.20.0.5"); /* no received-from: the SDP */
	assert_int_equal(side_leg("c-2", 1, 0)->policy, PIERCE_SRC_TRUST);

	/* 3. no address anywhere (c=0.0.0.0, no received-from): learn from the first packet */
	r = ng("6_6", offer_req("c-3"), 100 * SEC);
	r = answer_req("6_7", "c-3", sdp_hold, "");
	assert_string_equal(str(r, "result"), "ok");
	assert_true(side_leg("c-3", 1, 0)->flags & PIERCE_LEG_ANY_SRC);

	/* 4. a stream the answer rejects stays closed */
	r = ng("6_8", offer_req("c-4"), 100 * SEC);
	r = answer_req("6_9", "c-4", sdp_reject, "13:received-froml3:IP413:198.51.100.77e");
	assert_string_equal(str(r, "result"), "ok");
	assert_closed(side_leg("c-4", 1, 0));

	/* 5. the closed sides survive a restart through the state file (the
	 * kernel keeps the legs; a new process reads the records back) */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(state_file_write(&R, f, 0), 0);
		assert_int_equal(fclose(f), 0);
		relay_free(&R);
		assert_int_equal(init_relay(), 0);
		f = fmemopen(buf, len, "r");
		assert_non_null(f);
		assert_int_equal(state_file_adopt(&R, f, 200 * SEC), 4);
		fclose(f);
		free(buf);
		c = call_find(&R.calls, "c-4");
		assert_non_null(c);
		assert_true(c->media[0].closed[1]);
		assert_false(c->media[0].closed[0]);
		c = call_find(&R.calls, "c-1");
		assert_non_null(c);
		assert_false(c->media[0].closed[1]);
	}
}

/* What the program learnt survives a re-install that brings the same
 * allowed address: the caller's leg latched before the answer (early media
 * from behind its NAT) stays latched through the answer and a re-offer, and
 * B's leg keeps sending to the latched source; an RTCP leg narrowed to the
 * callee's IP stays narrowed. A re-offer from another address reopens. */
static void test_reinstall_keeps_latch(void **state)
{
	static const char sdp_hold[] = "v=0\r\no=b 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				       "m=audio 5000 RTP/AVP 0\r\n";
	struct sockaddr_storage nat;
	struct pierce_leg *a, *b;
	struct bencode_node *r;
	uint8_t fam;
	char moved[2048];

	r = ng("7_1", offer_req("k-1"), 100 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	a = side_leg("k-1", 0, 0);
	assert_true(a->flags & PIERCE_LEG_RTCP_NEXT);       /* RTP legs name their RTCP sibling */
	assert_false(side_leg("k-1", 0, 1)->flags & PIERCE_LEG_RTCP_NEXT);
	/* the program latches A's NAT mapping 198.51.100.9:7078 and points B's leg at it */
	assert_int_equal(sa_parse_ip("198.51.100.9", 7078, &nat), 0);
	assert_int_equal(pierce_addr_from_sockaddr(&nat, &a->allow, &fam, &a->allow_port_be), 0);
	a->flags |= PIERCE_LEG_LATCHED;
	b = side_leg("k-1", 1, 0);
	b->dst = a->allow;
	b->dst_family = fam;
	b->dst_port_be = a->allow_port_be;

	leg_reads = 0;
	r = answer_req("7_2", "k-1", sdp_hold, ""); /* B: no address, ANY_SRC */
	assert_string_equal(str(r, "result"), "ok");
	assert_int_equal(leg_reads, 2); /* A's two legs; B's were closed: nothing to keep */
	a = side_leg("k-1", 0, 0);
	b = side_leg("k-1", 1, 0);
	assert_true(a->flags & PIERCE_LEG_LATCHED);
	assert_int_equal(ntohs(a->allow_port_be), 7078);
	assert_allow(a, "198.51.100.9");
	assert_true(b->flags & PIERCE_LEG_HAS_DEST);
	assert_int_equal(ntohs(b->dst_port_be), 7078);    /* not the SDP's 4000 */
	assert_true(b->flags & PIERCE_LEG_ANY_SRC);
	/* B's RTP leg latched 10.20.0.5 and the program narrowed its RTCP leg */
	b->flags |= PIERCE_LEG_LATCHED;
	assert_int_equal(sa_parse_ip("10.20.0.5", 5000, &nat), 0);
	assert_int_equal(pierce_addr_from_sockaddr(&nat, &b->allow, &b->allow_family, &b->allow_port_be), 0);
	side_leg("k-1", 1, 1)->allow = b->allow;
	side_leg("k-1", 1, 1)->allow_family = b->allow_family;
	side_leg("k-1", 1, 1)->flags &= (uint8_t)~PIERCE_LEG_ANY_SRC;

	r = ng("7_3", offer_req("k-1"), 102 * SEC);         /* re-INVITE from A, same address */
	assert_string_equal(str(r, "result"), "ok");
	a = side_leg("k-1", 0, 0);
	b = side_leg("k-1", 1, 0);
	assert_true(a->flags & PIERCE_LEG_LATCHED);
	assert_int_equal(ntohs(a->allow_port_be), 7078);
	assert_int_equal(ntohs(b->dst_port_be), 7078);
	assert_true(b->flags & PIERCE_LEG_LATCHED);       /* ANY_SRC as the program left it */
	assert_int_equal(b->allow_port_be, htons(5000));
	assert_memory_equal(&b->allow, &side_leg("k-1", 1, 1)->allow, sizeof(b->allow));
	assert_int_equal(ntohs(side_leg("k-1", 0, 0)->dst_port_be), 5000);
	assert_allow(side_leg("k-1", 1, 1), "10.20.0.5"); /* RTCP stays narrowed */
	assert_false(side_leg("k-1", 1, 1)->flags & PIERCE_LEG_LATCHED);

	/* A moved: a re-offer from another address drops A's latch */
	snprintf(moved, sizeof(moved), "%s", offer_req("k-1"));
	memcpy(strstr(moved, "198.51.100.9"), "198.51.100.8", 12);
	r = ng("7_4", moved, 103 * SEC);
	assert_string_equal(str(r, "result"), "ok");
	a = side_leg("k-1", 0, 0);
	assert_false(a->flags & PIERCE_LEG_LATCHED);
	assert_int_equal(a->allow_port_be, 0);
	assert_allow(a, "198.51.100.8");
	assert_true(side_leg("k-1", 1, 0)->flags & PIERCE_LEG_LATCHED); /* B did not move */
}

/* Each relay address has its own ports: three addresses of four ports hold
 * three calls, spread over the addresses, where one shared range held one. */
static void test_ports_per_address(void **state)
{
	struct relay_addr addrs[3];
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .tos = -1 };
	struct relay_dp_ops dp = { .leg_set = fake_set, .leg_clear = fake_clear, .leg_get = fake_get,
				   .legs_write = fake_write };
	struct bencode_node *r;
	unsigned per_addr[3] = { 0 };
	char cid[16], cookie[16];

	relay_free(&R);
	memset(addrs, 0, sizeof(addrs));
	for (int i = 0; i < 3; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.9.0.%d", i + 1);
		sa_parse_ip(ip, 0, &addrs[i].local);
		addrs[i].advertised = addrs[i].local;
		addrs[i].slot = (uint32_t)i;
	}
	assert_int_equal(relay_init(&R, addrs, 3, PORT_MIN, 4, &set, &dp, 100 * SEC), 0);
	assert_int_equal(relay_pairs_total(&R), 6);
	for (int i = 0; i < 4; i++) {
		snprintf(cid, sizeof(cid), "pa-%d", i);
		snprintf(cookie, sizeof(cookie), "7_%d", i);
		r = ng(cookie, offer_req(cid), 100 * SEC);
		if (i < 3) {
			struct call *c = call_find(&R.calls, cid);

			assert_string_equal(str(r, "result"), "ok");
			per_addr[c->media[0].addr[0]]++;
			per_addr[c->media[0].addr[1]]++;
		} else {
			assert_string_equal(str(r, "error-reason"), "Ran out of ports");
		}
	}
	assert_int_equal(relay_pairs_used(&R), 6);
	for (int i = 0; i < 3; i++)
		assert_int_equal(per_addr[i], 2); /* the most free address first: an even spread */
}

/* The UDP payload that fits one 1500-byte IPv6 packet: a larger reply is
 * sent as IP fragments, which cost both ends and get lost together. */
#define MTU_PAYLOAD (1500 - 40 - 8)

/* The reply to the raw request, its length; the reply in out. */
static size_t raw_reply(const char *cookie, const char *bencoded, uint64_t now, char *out, size_t size)
{
	char *reply;
	size_t len;
	int n = snprintf(req, sizeof(req), "%s %s", cookie, bencoded);

	assert_int_equal(ng_process(&R, req, (size_t)n, &proxy, now, &reply, &len), 0);
	assert_true(len < size);
	memcpy(out, reply, len);
	out[len] = '\0';
	free(reply);
	return len;
}

/* A one-media call at its largest (IPv6 everywhere, tags and call-id of
 * the lengths SIP stacks use, every leg latched with 64-bit counters):
 * its delete reply fits one packet, and still carries what Kamailio and
 * OpenSIPS read from it: the result, the tags with their media and the
 * totals. */
static void test_delete_reply_fits_mtu(void **state)
{
	static const char sdp6[] = "v=0\r\no=a 1 1 IN IP6 2001:db8:ffff:ffff:ffff:ffff:ffff:10\r\ns=-\r\n"
				   "c=IN IP6 2001:db8:ffff:ffff:ffff:ffff:ffff:10\r\nt=0 0\r\n"
				   "m=audio 40000 RTP/AVP 0\r\n";
	static const char cid[] = "3848276298220188511-1234567890abcdef@2001:db8:ffff:ffff:ffff:ffff:ffff:1";
	static const char ta[] = "as7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
	static const char tb[] = "bs7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
	static char text[70000];
	char offer[4096], answer[4096], del[1024];
	struct bencode_tree t = { .nodes = pool, .cap = 4096 };
	const struct bencode_node *root, *tags, *side, *tot;
	struct call *c;
	size_t len;
	long long v;

	snprintf(offer, sizeof(offer),
		 "d7:command5:offer7:call-id%zu:%s8:from-tag%zu:%s3:sdp%s14:address family3:IP6"
		 "13:received-froml3:IP638:2001:db8:ffff:ffff:ffff:ffff:ffff:fffeee",
		 strlen(cid), cid, strlen(ta), ta, bstr(sdp6));
	raw_reply("7_1", offer, 100 * SEC, text, sizeof(text));
	if (!strstr(text, "6:result2:ok"))
		fail_msg("%s", text);
	snprintf(answer, sizeof(answer),
		 "d7:command6:answer7:call-id%zu:%s8:from-tag%zu:%s6:to-tag%zu:%s3:sdp%s"
		 "13:received-froml3:IP638:2001:db8:ffff:ffff:ffff:ffff:ffff:fffdee",
		 strlen(cid), cid, strlen(ta), ta, strlen(tb), tb, bstr(sdp6));
	raw_reply("7_2", answer, 101 * SEC, text, sizeof(text));
	if (!strstr(text, "6:result2:ok"))
		fail_msg("%s", text);
	c = call_find(&R.calls, cid);
	assert_non_null(c);
	for (int s = 0; s < 2; s++) {
		for (int k = 0; k < 2; k++) {
			struct pierce_leg *l = side_leg(cid, s, k);

			l->flags |= PIERCE_LEG_LATCHED;
			l->allow_port_be = htons(65535);
			l->packets = 123456789012345ULL;
			l->bytes = 12345678901234567ULL;
			l->last_seen_ns = 102 * SEC;
		}
	}
	snprintf(del, sizeof(del),
		 "d7:command6:delete7:call-id%zu:%s8:from-tag%zu:%s6:to-tag%zu:%s"
		 "13:received-froml3:IP638:2001:db8:ffff:ffff:ffff:ffff:ffff:fffee12:delete delayi0ee",
		 strlen(cid), cid, strlen(ta), ta, strlen(tb), tb);
	len = raw_reply("18446744073709551615_9", del, 103 * SEC, text, sizeof(text));
	print_message("delete reply of a one-media call: %zu bytes\n", len);
	assert_true(len <= MTU_PAYLOAD);
	root = NULL;
	assert_int_equal(bencode_decode(&t, strchr(text, ' ') + 1, len - (size_t)(strchr(text, ' ') + 1 - text),
					(struct bencode_node **)&root), 0);
	assert_string_equal(str(root, "result"), "ok");
	tags = bencode_dict_get(root, "tags");
	for (int s = 0; s < 2; s++) {
		const struct bencode_node *stream;

		side = bencode_dict_get(tags, s ? tb : ta);
		assert_non_null(side);
		stream = bencode_dict_get(bencode_dict_get(side, "medias")->child, "streams")->child;
		assert_non_null(stream);
		assert_int_equal(bencode_dict_get_int(bencode_dict_get(stream, "stats"), "packets", &v), 0);
		assert_int_equal(v, 123456789012345LL);
	}
	tot = bencode_dict_get(bencode_dict_get(root, "totals"), "RTP");
	assert_int_equal(bencode_dict_get_int(tot, "packets", &v), 0);
	assert_int_equal(v, 2 * 123456789012345LL);
	assert_null(call_find(&R.calls, cid));

	/* three media do not fit with their streams: the totals still go, in one packet */
	snprintf(offer, sizeof(offer), "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\nm=audio 4004 RTP/AVP 0\r\n");
	snprintf(answer, sizeof(answer), "d7:command5:offer7:call-id%zu:%s8:from-tag%zu:%s3:sdp%se",
		 strlen(cid), cid, strlen(ta), ta, bstr(offer));
	raw_reply("7_3", answer, 104 * SEC, text, sizeof(text));
	if (!strstr(text, "6:result2:ok"))
		fail_msg("%s", text);
	for (int i = 0; i < 3; i++) {
		c = call_find(&R.calls, cid);
		legs[relay_leg_index(&R, c->media[i].addr[0], c->media[i].port[0])].packets = 1000000000000ULL;
		legs[relay_leg_index(&R, c->media[i].addr[0], c->media[i].port[0])].flags |= PIERCE_LEG_LATCHED;
	}
	len = raw_reply("18446744073709551615_10", del, 105 * SEC, text, sizeof(text));
	print_message("delete reply of a three-media call: %zu bytes\n", len);
	assert_true(len <= MTU_PAYLOAD);
	assert_int_equal(bencode_decode(&t, strchr(text, ' ') + 1, len - (size_t)(strchr(text, ' ') + 1 - text),
					(struct bencode_node **)&root), 0);
	assert_string_equal(str(root, "result"), "ok");
	assert_int_equal(bencode_dict_get_int(bencode_dict_get(bencode_dict_get(root, "totals"), "RTP"), "packets", &v),
			 0);
	assert_int_equal(v, 3000000000000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer_answer_query_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_and_load_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_protect_and_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callee_closed_until_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinstall_keeps_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_reply_fits_mtu, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

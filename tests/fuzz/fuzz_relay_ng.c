// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The relay's whole ng request path: datagrams ("cookie bencode") through
 * ng_process (framing, reply cache, dispatch, offer/answer SDP rewrite,
 * call table, port allocation, leg installation), with the data plane an
 * in-memory legs array at the relay_dp_ops boundary. One input is a
 * sequence of datagrams (fuzz_split.h) with a clock that moves between them,
 * so offers, answers, deletes and timeouts meet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "fuzz_split.h"
#include "fuzz_util.h"
#include "log.h"
#include "relay/relay.h"
#include "sockaddr.h"

#define PORT_MIN 30000
#define PORT_COUNT 16
#define N_ADDRS 2
#define N_LEGS (N_ADDRS * PORT_COUNT)
#define MAX_MSGS 16

static struct pierce_leg legs[N_LEGS];

static int dp_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	FUZZ_CHECK(i < N_LEGS, "leg_set index %u out of %u", i, N_LEGS);
	FUZZ_CHECK(l->flags & PIERCE_LEG_ACTIVE, "installing an inactive leg at %u", i);
	legs[i] = *l;
	return 0;
}

static int dp_clear(void *ctx, uint32_t i)
{
	FUZZ_CHECK(i < N_LEGS, "leg_clear index %u out of %u", i, N_LEGS);
	memset(&legs[i], 0, sizeof(legs[i]));
	return 0;
}

static int dp_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	if (i >= N_LEGS)
		return -ENOENT;
	*out = legs[i];
	return 0;
}

static struct relay_addr addrs[N_ADDRS];
static bool verbose;
static struct sockaddr_storage from[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz", LOG_LVL_ERR, false);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (sa_parse_ip("10.9.0.1", 0, &addrs[0].local) || sa_parse_ip("203.0.113.1", 0, &addrs[0].advertised) ||
	    sa_parse_ip("2001:db8::1", 0, &addrs[1].local) || sa_parse_hostport("127.0.0.1:5060", 0, &from[0]) ||
	    sa_parse_hostport("[::1]:5060", 0, &from[1]))
		abort();
	addrs[1].advertised = addrs[1].local;
	addrs[1].slot = 1;
	return 0;
}

/* A reply is "<the request's cookie> <bencode dictionary with a result>". */
static void check_reply(const char *req, size_t req_len, const char *reply, size_t len)
{
	static struct bencode_node nodes[4096];
	struct bencode_tree t = { .nodes = nodes, .cap = 4096 };
	const char *sp = memchr(reply, ' ', len);
	struct bencode_node *root;
	size_t cl;
	int err;

	FUZZ_CHECK(sp != NULL, "reply without a cookie");
	cl = (size_t)(sp - reply);
	FUZZ_CHECK(cl < req_len && !memcmp(reply, req, cl) && req[cl] == ' ', "reply cookie differs from request's");
	err = bencode_decode(&t, sp + 1, len - cl - 1, &root);
	FUZZ_CHECK(err == 0, "reply is not bencode (%d): %.*s", err, (int)(len > 200 ? 200 : len), reply);
	FUZZ_CHECK(root->type == BENCODE_DICT, "reply is not a dictionary");
	FUZZ_CHECK(bencode_dict_get(root, "result") != NULL, "reply without result");
}

static void check_state(const struct relay *r)
{
	unsigned n = 0, active = 0;

	for (const struct call *c = r->calls.head; c; c = c->next) {
		FUZZ_CHECK(n < r->calls.count, "call list longer than its count %u", r->calls.count);
		FUZZ_CHECK(c->n_media <= RSDP_MAX_MEDIA, "%u media", c->n_media);
		FUZZ_CHECK(memchr(c->call_id, 0, CALL_ID_MAX + 1) != NULL, "call-id not terminated");
		n++;
		active += c->state != CALL_ENDED;
	}
	FUZZ_CHECK(n == r->calls.count && active == r->calls.active, "table counts %u/%u, list %u/%u",
		   r->calls.count, r->calls.active, n, active);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .delete_delay_s = 30, .tos = 184 };
	struct relay_dp_ops dp = { .leg_set = dp_set, .leg_clear = dp_clear, .leg_get = dp_get };
	const uint8_t *pos = data, *part;
	uint64_t now = 100 * NS_PER_SEC;
	static struct relay r;
	size_t len;
	unsigned i = 0;

	memset(legs, 0, sizeof(legs));
	if (relay_init(&r, addrs, N_ADDRS, PORT_MIN, PORT_COUNT, &set, &dp, now))
		abort();
	while (i < MAX_MSGS && fuzz_next_part(&pos, data + size, &part, &len)) {
		char *msg = fuzz_dup(part, len);
		char *reply = NULL;
		size_t reply_len = 0;
		int rc = ng_process(&r, msg, len, &from[i & 1 && len & 1], now, &reply, &reply_len);

		FUZZ_CHECK(rc <= 0, "ng_process returned %d", rc);
		if (verbose)
			fprintf(stderr, "ng> %.*s\nng< %.*s\n", (int)len, msg, (int)reply_len, reply ? reply : "");
		if (reply) {
			check_reply(msg, len, reply, reply_len);
			free(reply);
		}
		free(msg);
		check_state(&r);
		/* the clock moves by an amount the input picks: retransmissions,
		 * delete delays and media timeouts all get their turn */
		now += (uint64_t)(len % 7) * 20 * NS_PER_SEC + NS_PER_SEC / 10;
		relay_tick(&r, now);
		check_state(&r);
		i++;
	}
	relay_free(&r);
	return 0;
}

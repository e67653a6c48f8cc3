// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce-proxy's whole message path, from raw datagrams to what it sends:
 * proxy_on_message (validation, parsing, registrar, NAT detection,
 * transactions, routing, Record-Route, ng offer/answer/delete, forwarding,
 * local replies). The network is replaced at the syscall boundary: the
 * link wraps sendto and recvfrom (fuzz.mk), so every SIP message and ng
 * request the proxy sends is captured and checked here, and relay replies
 * are handed to the proxy's own ng socket callback.
 *
 * One input is a sequence of parts (fuzz_split.h); the first byte of each:
 *   % 5 == 0  SIP datagram from phone A (behind a NAT), UDP
 *   % 5 == 1  SIP datagram from phone B / the next hop, UDP
 *   % 5 == 2  SIP message from phone A over TCP
 *   % 5 == 3  relay reply to the latest ng request: the rest is its
 *             bencode dictionary, or a canned "ok" with relay SDP when empty
 *   % 5 == 4  the proxy's one-second tick
 * Checked: with FUZZ_STRICT_OUT set (the regression replay), every SIP
 * message the proxy sends passes pierce's own validator and libosip2 (two
 * open findings break that; see tests/fuzz/README.md); always: raw replies
 * are error responses; every ng request is "<cookie> <dictionary with a
 * command>"; nothing leaks once the proxy shuts down.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bencode.h"
#include "fuzz_split.h"
#include "fuzz_util.h"
#include "log.h"
#include "proxy/ng.h"
#include "proxy/proxy.h"
#include "sip_msg.h"
#include "sip_validate.h"
#include "sockaddr.h"

#define FAKE_UDP_FD 1000
#define MAX_PARTS 12

ssize_t __real_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen);
ssize_t __real_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen);

static struct proxy px;
static struct sockaddr_storage phone_a, phone_b, relay_addr, redirect_addr;
static char last_cookie[64];
static bool verbose;
static bool strict_out; /* FUZZ_STRICT_OUT: what the proxy sends must pass sip_validate */
static bool input_valid; /* the message being handled validates and parses */

/* What the proxy takes in full; anything else gets at most a raw error reply. */
static bool parses(const char *buf, size_t len)
{
	struct sip_verdict v;
	osip_message_t *m = NULL;

	if (sip_validate(buf, len, &v) || sip_parse(buf, v.msg_len, &m))
		return false;
	osip_message_free(m);
	return true;
}

/* the one pending relay reply recvfrom hands out */
static char pending[SIP_MAX_MSG];
static size_t pending_len;
static bool have_pending;

static void check_ng_request(const char *buf, size_t len)
{
	static struct bencode_node nodes[512];
	struct bencode_tree t = { .nodes = nodes, .cap = 512 };
	const char *sp = memchr(buf, ' ', len);
	struct bencode_node *root;
	size_t cl;

	FUZZ_CHECK(sp && (size_t)(sp - buf) < sizeof(last_cookie), "ng request without a cookie");
	cl = (size_t)(sp - buf);
	memcpy(last_cookie, buf, cl);
	last_cookie[cl] = '\0';
	FUZZ_CHECK(bencode_decode(&t, sp + 1, len - cl - 1, &root) == 0 && root->type == BENCODE_DICT,
		   "ng request is not a bencode dictionary: %.*s", (int)len, buf);
	FUZZ_CHECK(bencode_dict_get(root, "command"), "ng request without a command");
}

static void check_sip_out(const char *buf, size_t len)
{
	struct sip_verdict v;
	osip_message_t *m = NULL;

	if (!input_valid) {
		/* the raw error reply to a request libosip2 cannot take copies
		 * the lines it can; it cannot be more complete than the request */
		FUZZ_CHECK(len > 12 && !memcmp(buf, "SIP/2.0 ", 8) && (buf[8] == '4' || buf[8] == '5'),
			   "answer to a malformed request is not an error response:\n%.*s", (int)len, buf);
		return;
	}
	if (sip_validate(buf, len, &v) != 0) {
		/* known open finding (tests/fuzz/README.md): the validator lets a
		 * header through that libosip2 then re-serialises malformed */
		FUZZ_CHECK(!strict_out, "the proxy sent a message its own validator refuses (%d %s):\n%.*s", v.status,
			   v.reason ? v.reason : "", (int)len, buf);
		v.msg_len = len;
	}
	if (sip_parse(buf, v.msg_len, &m) == 0)
		osip_message_free(m);
	else /* known open finding too: a malformed Content-Type forwarded garbled */
		FUZZ_CHECK(!strict_out, "the proxy sent a message libosip2 cannot parse:\n%.*s", (int)len, buf);
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
	if (verbose)
		fprintf(stderr, "--> fd %d, %zu bytes:\n%.*s\n", fd, len, (int)len, (const char *)buf);
	if (fd == px.ng_fd[0] || fd == px.ng_fd[1])
		check_ng_request(buf, len);
	else if (fd == FAKE_UDP_FD)
		check_sip_out(buf, len);
	else
		return __real_sendto(fd, buf, len, flags, to, tolen);
	return (ssize_t)len;
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	if (fd != px.ng_fd[0] && fd != px.ng_fd[1])
		return __real_recvfrom(fd, buf, len, flags, from, fromlen);
	if (!have_pending) {
		errno = EAGAIN;
		return -1;
	}
	have_pending = false;
	if (pending_len > len)
		pending_len = len;
	memcpy(buf, pending, pending_len);
	memcpy(from, &relay_addr, sizeof(relay_addr));
	*fromlen = sizeof(relay_addr);
	return (ssize_t)pending_len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	strict_out = getenv("FUZZ_STRICT_OUT") != NULL;
	log_init("fuzz", verbose ? LOG_LVL_DEBUG : LOG_LVL_ERR, false);
	if (sip_init() || sa_parse_hostport("198.51.100.7:40000", 0, &phone_a) ||
	    sa_parse_hostport("203.0.113.20:5060", 0, &phone_b) || sa_parse_hostport("127.0.0.1:2223", 0, &relay_addr) ||
	    sa_parse_hostport("192.0.2.9:5070", 0, &redirect_addr))
		abort();
	px.loop = ev_loop_new(EVFLAG_AUTO);
	if (!px.loop)
		abort();
	ev_set_userdata(px.loop, &px);
	return 0;
}

static void proxy_up(struct proxy *p)
{
	struct ev_loop *loop = p->loop;

	memset(p, 0, sizeof(*p));
	p->loop = loop;
	sa_parse_hostport("192.0.2.1:5060", 0, &p->cfg.listen[0]);
	p->cfg.n_listen = 1;
	p->n_listen = 1;
	p->udp_fd[0] = FAKE_UDP_FD;
	p->tcp_lfd[0] = -1;
	snprintf(p->cfg.domains[0], PROXY_DOMAIN_MAX, "example.com");
	snprintf(p->cfg.domains[1], PROXY_DOMAIN_MAX, "192.0.2.1");
	p->cfg.n_domains = 2;
	p->cfg.redirect = redirect_addr;
	snprintf(p->cfg.nat_policy, sizeof(p->cfg.nat_policy), "auto");
	snprintf(p->self_host, sizeof(p->self_host), "192.0.2.1");
	p->self_port = 5060;
	p->metrics_http = NULL; /* no /metrics endpoint in the fuzzer */
	if (nat_policy_parse(p->cfg.nat_policy, &p->nat_policy) || relay_pool_add(&p->relays, &relay_addr, 1) ||
	    reg_init(&p->reg, 64) || rl_init(&p->rl, 0) || ng_open(p))
		abort();
}

static void proxy_down(struct proxy *p)
{
	proxy_shutdown(p);
	ng_close(p);
	reg_free(&p->reg);
	rl_free(&p->rl);
}

static void relay_reply(struct proxy *p, const uint8_t *body, size_t len)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\ns=-\r\nc=IN IP4 203.0.113.1\r\nt=0 0\r\n"
				  "m=audio 30000 RTP/AVP 0 8\r\na=rtcp:30001\r\n";
	int n;

	if (!last_cookie[0])
		return;
	if (len)
		n = snprintf(pending, sizeof(pending), "%s %.*s", last_cookie, (int)len, (const char *)body);
	else
		n = snprintf(pending, sizeof(pending), "%s d6:result2:ok3:sdp%zu:%se", last_cookie, strlen(sdp), sdp);
	FUZZ_CHECK(n > 0, "snprintf");
	pending_len = (size_t)n < sizeof(pending) ? (size_t)n : sizeof(pending) - 1;
	have_pending = true;
	for (int i = 0; i < 2; i++)
		if (p->ng_fd[i] >= 0 && ev_is_active(&p->ng_w[i]))
			ev_invoke(p->loop, &p->ng_w[i], EV_READ);
	have_pending = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pos = data, *part;
	size_t len;
	unsigned i = 0;

	proxy_up(&px);
	last_cookie[0] = '\0';
	while (i++ < MAX_PARTS && fuzz_next_part(&pos, data + size, &part, &len)) {
		char *msg;

		if (!len)
			continue;
		msg = fuzz_dup(part + 1, len - 1);
		input_valid = part[0] % 5 > 2 || parses(msg, len - 1);
		switch (part[0] % 5) {
		case 0: proxy_on_message(&px, msg, len - 1, &phone_a, false); break;
		case 1: proxy_on_message(&px, msg, len - 1, &phone_b, false); break;
		case 2: proxy_on_message(&px, msg, len - 1, &phone_a, true); break;
		case 3: relay_reply(&px, part + 1, len - 1); break;
		case 4: proxy_on_tick(&px); break;
		}
		free(msg);
	}
	proxy_down(&px);
	return 0;
}

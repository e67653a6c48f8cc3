// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The transaction-stateful proxy (RFC 3261 16/17) and the claim's INVITE flow:
 * offer to a relay, ask the redirect server, forward, answer on 18x/2xx.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "ng.h"
#include "sip_msg.h"
#include "sip_sdp.h"
#include "sip_validate.h"
#include "sockaddr.h"
#include "str_hash.h"

#define T1 0.5
#define T2 4.0
#define TIMER_B (64 * T1)
#define TIMER_C 180.0
#define LINGER 32.0 /* keep a finished server transaction to absorb retransmissions */
#define SDP_MAX 8192

enum stage { ST_OFFER, ST_REDIRECT, ST_FORWARD, ST_DONE };

struct txn {
	struct txn *next, *prev;
	struct txn *s_hnext, *c_hnext, *id_hnext; /* chains of the proxy's txn_index */
	uint64_t id;
	struct proxy *p;
	/* server side: the request as received, Via fixed */
	char s_branch[128], s_sentby[160], method[32];
	struct sockaddr_storage src;
	bool s_tcp; /* the request came over TCP: no retransmission of our responses */
	osip_message_t *req;
	char *resp;
	size_t resp_len;
	int resp_code;
	ev_timer timer_g; /* RFC 3261 17.2.1: a final non-2xx to an INVITE until its ACK */
	double g_iv;
	/* client side */
	enum stage stage;
	char c_branch[64];
	struct sockaddr_storage target;
	osip_message_t *fwd;
	char *out;
	size_t out_len;
	bool provisional, cancelled;
	double retx_iv;
	ev_timer retx, timeout, linger;
	/* routing and relay */
	struct route_out route;
	bool relayed, initial;
	int relay;
	char *sdp; /* the SDP the request goes on with */
	size_t sdp_len;
	osip_message_t *parked; /* a response waiting for its ng answer */
};

struct call {
	struct call *next, *prev;
	struct call *hnext; /* chain of the Call-ID index */
	char call_id[300];
	char from_tag[128];
	char to_tag[128];
	int relay;
	/* what a BYE to each side needs, for media timeouts */
	struct sockaddr_storage caller_hop, callee_hop;
	char caller_contact[256], callee_contact[256];
	char from[512], to[512];
	/* highest CSeq seen in each direction: a BYE we make goes one above */
	unsigned long cseq_caller, cseq_callee;
	/* the 2xx as forwarded to the caller (the relay's SDP), for the callee's
	 * retransmissions after the INVITE transaction is gone */
	char *ok;
	size_t ok_len;
	unsigned long ok_cseq;
	struct sockaddr_storage ok_dst;
	bool confirmed;
};

/*
 * Transactions linger 32 s, so at a few thousand calls per second there are
 * hundreds of thousands: every lookup by branch, id or Call-ID goes through a
 * hash chain, never a scan of all of them.
 */
#define INDEX_BUCKETS (1u << 16)

struct txn_index {
	struct txn *by_s_branch[INDEX_BUCKETS];
	struct txn *by_c_branch[INDEX_BUCKETS];
	struct txn *by_id[INDEX_BUCKETS];
	struct call *calls[INDEX_BUCKETS];
};

#define BUCKET(h) ((h) & (INDEX_BUCKETS - 1))

static struct txn_index *index_of(struct proxy *p)
{
	if (!p->index)
		p->index = calloc(1, sizeof(*p->index));
	return p->index;
}

/* Unlinks elem from the chain at *head whose link field is at offset off. */
#define CHAIN_REMOVE(head, elem, field)                                                            \
	do {                                                                                       \
		for (__typeof__(elem) *pp_ = (head); *pp_; pp_ = &(*pp_)->field)                   \
			if (*pp_ == (elem)) {                                                      \
				*pp_ = (elem)->field;                                              \
				break;                                                             \
			}                                                                          \
	} while (0)

/* Doubly linked lists of calls and transactions: O(1) unlink. */
#define DLIST_PUSH(head, elem)                                                                     \
	do {                                                                                       \
		(elem)->prev = NULL;                                                               \
		(elem)->next = (head);                                                             \
		if (head)                                                                          \
			(head)->prev = (elem);                                                     \
		(head) = (elem);                                                                   \
	} while (0)
#define DLIST_REMOVE(head, elem)                                                                   \
	do {                                                                                       \
		if ((elem)->prev)                                                                  \
			(elem)->prev->next = (elem)->next;                                         \
		else                                                                               \
			(head) = (elem)->next;                                                     \
		if ((elem)->next)                                                                  \
			(elem)->next->prev = (elem)->prev;                                         \
	} while (0)

uint64_t proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- calls ---------------------------------------------------------------- */

static struct call *call_find(struct proxy *p, const char *call_id)
{
	if (!p->index)
		return NULL;
	for (struct call *c = p->index->calls[BUCKET(str_hash(call_id))]; c; c = c->hnext)
		if (!strcmp(c->call_id, call_id))
			return c;
	return NULL;
}

/* c->call_id set; the index exists (its creator made it) */
static void call_link(struct proxy *p, struct call *c)
{
	struct call **head = &p->index->calls[BUCKET(str_hash(c->call_id))];

	c->hnext = *head;
	*head = c;
	DLIST_PUSH(p->calls, c);
}

static void call_free(struct proxy *p, struct call *c)
{
	CHAIN_REMOVE(&p->index->calls[BUCKET(str_hash(c->call_id))], c, hnext);
	DLIST_REMOVE(p->calls, c);
	free(c->ok);
	free(c);
}

static const char *call_id_of(const osip_message_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", m->call_id->number, m->call_id->host ? "@" : "",
		 m->call_id->host ? m->call_id->host : "");
	return buf;
}

static void note_cseq(struct call *c, const osip_message_t *req)
{
	unsigned long n = strtoul(req->cseq->number, NULL, 10);
	const char *tag = sip_tag(req->from);
	unsigned long *side = tag && !strcmp(tag, c->from_tag) ? &c->cseq_caller : &c->cseq_callee;

	if (n > *side)
		*side = n;
}

static void ng_delete(struct proxy *p, struct call *c)
{
	struct bencode_buf b;

	bencode_buf_init(&b, 4096);
	bencode_put_dict(&b);
	bencode_put_kv_str(&b, "command", "delete");
	bencode_put_kv_str(&b, "call-id", c->call_id);
	bencode_put_kv_str(&b, "from-tag", c->from_tag);
	bencode_put_end(&b);
	ng_request(p, c->relay, false, &b, NULL, 0);
	call_free(p, c);
}

/* ---- transactions --------------------------------------------------------- */

static void txn_stop_client(struct txn *t)
{
	ev_timer_stop(t->p->loop, &t->retx);
	ev_timer_stop(t->p->loop, &t->timeout);
}

static void txn_free(struct txn *t)
{
	struct proxy *p = t->p;

	CHAIN_REMOVE(&p->index->by_s_branch[BUCKET(str_hash(t->s_branch))], t, s_hnext);
	if (t->c_branch[0])
		CHAIN_REMOVE(&p->index->by_c_branch[BUCKET(str_hash(t->c_branch))], t, c_hnext);
	CHAIN_REMOVE(&p->index->by_id[BUCKET(t->id)], t, id_hnext);
	DLIST_REMOVE(p->txns, t);
	ng_forget(p, t->id);
	txn_stop_client(t);
	ev_timer_stop(p->loop, &t->linger);
	ev_timer_stop(p->loop, &t->timer_g);
	if (t->req)
		osip_message_free(t->req);
	if (t->fwd)
		osip_message_free(t->fwd);
	if (t->parked)
		osip_message_free(t->parked);
	osip_free(t->resp);
	osip_free(t->out);
	free(t->sdp);
	free(t);
}

static void on_linger(struct ev_loop *loop, ev_timer *w, int revents)
{
	txn_free(w->data);
}

static void on_timer_g(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct txn *t = w->data;
	struct sockaddr_storage dst;

	if (!t->resp || sip_via_target(sip_top_via(t->req), &dst))
		return;
	METRIC_INC(&t->p->m, tx_retransmissions);
	proxy_send(t->p, &dst, t->resp, t->resp_len);
	t->g_iv = t->g_iv * 2 > T2 ? T2 : t->g_iv * 2;
	ev_timer_set(w, t->g_iv, 0);
	ev_timer_start(loop, w);
}

/* The linger (64*T1) doubles as Timer H: retransmissions stop when it frees t. */
static void txn_finish(struct txn *t)
{
	t->stage = ST_DONE;
	txn_stop_client(t);
	ev_timer_stop(t->p->loop, &t->linger);
	ev_timer_set(&t->linger, LINGER, 0);
	ev_timer_start(t->p->loop, &t->linger);
	if (!t->s_tcp && t->resp && t->resp_code >= 300 && !strcmp(t->method, "INVITE") &&
	    !ev_is_active(&t->timer_g)) {
		t->g_iv = T1;
		ev_timer_set(&t->timer_g, T1, 0);
		ev_timer_start(t->p->loop, &t->timer_g);
	}
}

static void via_key(const osip_via_t *via, char *sentby, size_t len)
{
	snprintf(sentby, len, "%s:%s", via->host ? via->host : "", via->port ? via->port : "5060");
}

/* RFC 3261 17.2.3: branch + sent-by + method, ACK and CANCEL matching INVITE. */
static struct txn *txn_match_server(struct proxy *p, const osip_message_t *req, const char *method)
{
	osip_via_t *via = sip_top_via(req);
	const char *branch = sip_via_branch(via);
	char sentby[160];

	if (!branch)
		return NULL; /* RFC 2543 peers: each request is handled anew */
	via_key(via, sentby, sizeof(sentby));
	if (!p->index)
		return NULL;
	for (struct txn *t = p->index->by_s_branch[BUCKET(str_hash(branch))]; t; t = t->s_hnext)
		/* Call-ID and CSeq number too: clients that reuse a branch across
		 * requests must not have a new request taken for a retransmission */
		if (t->req && !strcmp(t->s_branch, branch) && !strcasecmp(t->s_sentby, sentby) &&
		    !strcmp(t->method, method) && !osip_call_id_match(t->req->call_id, req->call_id) &&
		    !strcmp(t->req->cseq->number, req->cseq->number))
			return t;
	return NULL;
}

static struct txn *txn_match_client(struct proxy *p, const char *branch)
{
	if (!p->index)
		return NULL;
	for (struct txn *t = p->index->by_c_branch[BUCKET(str_hash(branch))]; t; t = t->c_hnext)
		if (!strcmp(t->c_branch, branch))
			return t;
	return NULL;
}

static struct txn *txn_by_id(struct proxy *p, uint64_t id)
{
	if (!p->index)
		return NULL;
	for (struct txn *t = p->index->by_id[BUCKET(id)]; t; t = t->id_hnext)
		if (t->id == id)
			return t;
	return NULL;
}

/* ---- sending -------------------------------------------------------------- */

static int send_msg(struct proxy *p, osip_message_t *m, const struct sockaddr_storage *dst, char **keep,
		    size_t *keep_len)
{
	char *buf = NULL;
	size_t len;
	int ret = sip_serialize(m, &buf, &len);

	if (ret)
		return ret;
	ret = proxy_send(p, dst, buf, len);
	if (keep) {
		osip_free(*keep);
		*keep = buf;
		*keep_len = len;
	} else {
		osip_free(buf);
	}
	return ret;
}

/* A response generated here, sent where the request's top Via says. */
static void reply(struct proxy *p, struct txn *t, const osip_message_t *req, int code, const char *reason)
{
	osip_message_t *r = NULL;
	struct sockaddr_storage dst;
	char tag[24];

	snprintf(tag, sizeof(tag), "pp%08x", proxy_loop_hash(req));
	if (sip_make_response(req, code, reason, tag, &r))
		return;
	if (code == 420) {
		const char *pr;

		if (!sip_header_value(req, "proxy-require", &pr))
			osip_message_set_header(r, "Unsupported", pr);
	}
	METRIC_INC(&p->m, local_replies);
	if (!sip_via_target(sip_top_via(req), &dst))
		send_msg(p, r, &dst, t ? &t->resp : NULL, t ? &t->resp_len : NULL);
	if (t && code >= t->resp_code)
		t->resp_code = code;
	osip_message_free(r);
	if (t && code >= 200)
		txn_finish(t);
}

static int push_via(struct proxy *p, osip_message_t *m, const char *branch, bool tcp)
{
	osip_via_t *via = NULL;
	char s[256];

	snprintf(s, sizeof(s), "SIP/2.0/%s %s:%u;branch=%s;rport", tcp ? "TCP" : "UDP", p->self_host, p->self_port,
		 branch);
	if (osip_via_init(&via) || osip_via_parse(via, s)) {
		osip_via_free(via);
		return -ENOMEM;
	}
	return osip_list_add(&m->vias, via, 0) < 0 ? -ENOMEM : 0;
}

static void pop_via(osip_message_t *m)
{
	osip_via_t *v = osip_list_get(&m->vias, 0);

	if (v) {
		osip_list_remove(&m->vias, 0);
		osip_via_free(v);
	}
}

/* A UA behind a NAT put its private address in Contact: point it at the
 * address its packets come from, so requests in the dialog reach it. */
static void fix_contact(osip_message_t *m, const struct sockaddr_storage *src)
{
	osip_contact_t *c = osip_list_get(&m->contacts, 0);
	osip_uri_t *u = c ? osip_contact_get_url(c) : NULL;
	struct sockaddr_storage a, s;
	char ip[SA_STR_MAX], port[8];

	if (!u || !u->host || sip_uri_target(u, &a))
		return;
	nat_unmap(src, &s);
	if (!nat_contact_differs(&a, &s))
		return;
	sa_format_ip(&s, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", sa_port(&s));
	osip_free(u->host);
	if (s.ss_family == AF_INET6) {
		char b[SA_STR_MAX + 2];

		snprintf(b, sizeof(b), "[%s]", ip);
		u->host = osip_strdup(b);
	} else {
		u->host = osip_strdup(ip);
	}
	osip_free(u->port);
	u->port = osip_strdup(port);
}

static void on_retx(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct txn *t = w->data;

	if (t->out && !proxy_has_tcp(t->p, &t->target))
		proxy_send(t->p, &t->target, t->out, t->out_len);
	t->retx_iv *= 2;
	if (strcmp(t->method, "INVITE") && t->retx_iv > T2)
		t->retx_iv = T2;
	ev_timer_set(&t->retx, t->retx_iv, 0);
	ev_timer_start(loop, &t->retx);
}

static void client_timeout(struct ev_loop *loop, ev_timer *w, int revents);

/* Sends t->fwd to t->target as a new client transaction with a fresh branch. */
static int client_send(struct txn *t)
{
	struct proxy *p = t->p;
	bool tcp = proxy_has_tcp(p, &t->target);
	int ret;

	if (t->c_branch[0])
		CHAIN_REMOVE(&p->index->by_c_branch[BUCKET(str_hash(t->c_branch))], t, c_hnext);
	snprintf(t->c_branch, sizeof(t->c_branch), PROXY_BRANCH_PREFIX "%08x.%llx", proxy_loop_hash(t->req),
		 (unsigned long long)p->next_id++);
	{
		struct txn **head = &p->index->by_c_branch[BUCKET(str_hash(t->c_branch))];

		t->c_hnext = *head;
		*head = t;
	}
	ret = push_via(p, t->fwd, t->c_branch, tcp);
	if (ret)
		return ret;
	osip_free(t->out);
	t->out = NULL;
	if (sip_serialize(t->fwd, &t->out, &t->out_len))
		return -ENOMEM;
	ret = proxy_send(p, &t->target, t->out, t->out_len);
	t->provisional = false;
	txn_stop_client(t);
	if (!tcp) {
		t->retx_iv = T1;
		ev_timer_init(&t->retx, on_retx, T1, 0);
		t->retx.data = t;
		ev_timer_start(p->loop, &t->retx);
	}
	ev_timer_init(&t->timeout, client_timeout, TIMER_B, 0);
	t->timeout.data = t;
	ev_timer_start(p->loop, &t->timeout);
	return ret;
}

/* RFC 3261 16.6 step 3; the validator bounded the value to 0..255. */
static void decrement_max_forwards(osip_message_t *m)
{
	osip_header_t *mf = NULL;

	if (osip_message_get_max_forwards(m, 0, &mf) >= 0 && mf && mf->hvalue) {
		char v[16];

		snprintf(v, sizeof(v), "%d", atoi(mf->hvalue) - 1);
		osip_free(mf->hvalue);
		mf->hvalue = osip_strdup(v);
	} else {
		osip_message_set_max_forwards(m, "70");
	}
}

/* The request to forward: Max-Forwards down, Record-Route, Contact fixed. */
static int build_forward(struct txn *t, const char *new_uri)
{
	struct proxy *p = t->p;
	osip_message_t *f = NULL;

	if (t->fwd)
		osip_message_free(t->fwd);
	t->fwd = NULL;
	if (osip_message_clone(t->req, &f))
		return -ENOMEM;
	if (new_uri) {
		osip_uri_t *u = NULL;

		if (osip_uri_init(&u) || osip_uri_parse(u, new_uri)) {
			osip_uri_free(u);
			osip_message_free(f);
			return -EINVAL;
		}
		osip_uri_free(f->req_uri);
		f->req_uri = u;
	}
	decrement_max_forwards(f);
	if (t->initial && !strcmp(t->method, "INVITE")) {
		osip_record_route_t *rr = NULL;
		char s[160];

		snprintf(s, sizeof(s), "<sip:%s:%u;lr>", p->self_host, p->self_port);
		if (osip_record_route_init(&rr) || osip_record_route_parse(rr, s) ||
		    osip_list_add(&f->record_routes, rr, 0) < 0) {
			osip_record_route_free(rr);
			osip_message_free(f);
			return -ENOMEM;
		}
	}
	if (osip_list_size(&f->vias) == 1)
		fix_contact(f, &t->src);
	if (t->sdp && sip_set_body(f, t->sdp, t->sdp_len)) {
		osip_message_free(f);
		return -ENOMEM;
	}
	t->fwd = f;
	return 0;
}

static void fail_call(struct txn *t)
{
	char cid[300];
	struct call *c;

	if (!t->relayed || !t->initial)
		return;
	c = call_find(t->p, call_id_of(t->req, cid, sizeof(cid)));
	if (c && !c->confirmed)
		ng_delete(t->p, c);
	t->relayed = false;
}

static void forward_now(struct txn *t)
{
	struct proxy *p = t->p;
	int ret;

	t->stage = ST_FORWARD;
	if (t->target.ss_family != AF_INET && t->target.ss_family != AF_INET6) {
		log_err("%s %s: no next hop was chosen; answering 500", t->method, t->s_branch);
		fail_call(t);
		reply(p, t, t->req, 500, "No next hop");
		return;
	}
	ret = build_forward(t, t->route.kind == RK_LOCAL ? t->route.contact : NULL);
	if (!ret)
		ret = client_send(t);
	if (ret) {
		fail_call(t);
		reply(p, t, t->req, 500, "Cannot forward");
		return;
	}
	METRIC_INC(&p->m, requests_forwarded);
}

static void ask_redirect(struct txn *t)
{
	struct proxy *p = t->p;

	t->stage = ST_REDIRECT;
	t->target = p->cfg.redirect;
	METRIC_INC(&p->m, redirect_queries);
	if (build_forward(t, NULL) || client_send(t)) {
		fail_call(t);
		reply(p, t, t->req, 503, "Redirect server unreachable");
		return;
	}
	/* not Timer B: after 32 s the caller's NAT has forgotten where to send the 503 */
	ev_timer_stop(p->loop, &t->timeout);
	ev_timer_set(&t->timeout, (ev_tstamp)p->cfg.redirect_timeout_s, 0);
	ev_timer_start(p->loop, &t->timeout);
}

static void route_on(struct txn *t)
{
	switch (t->route.kind) {
	case RK_LOCAL:
	case RK_NEXT_HOP:
		t->target = t->route.target;
		forward_now(t);
		break;
	case RK_REDIRECT:
		ask_redirect(t);
		break;
	case RK_NOT_FOUND:
	default:
		METRIC_INC(&t->p->m, not_found);
		fail_call(t);
		reply(t->p, t, t->req, 404, "Not Found");
		break;
	}
}

/* ---- relay ---------------------------------------------------------------- */

/*
 * The relay's SDP, marked as relayed, in a block of its own length: an INVITE
 * transaction keeps it for its whole life (the 32 s linger included), so a
 * block of SDP_MAX per transaction would be most of the proxy's memory.
 */
static int copy_relay_sdp(const struct bencode_node *reply, char **out, size_t *out_len)
{
	size_t len, n;
	const char *sdp = reply ? bencode_dict_get_str(reply, "sdp", &len) : NULL;
	struct sdp_info info;
	char buf[SDP_MAX];
	int err;

	*out = NULL;
	if (!sdp || len > SDP_MAX - 64)
		return -EPROTO;
	if (sdp_parse(sdp, len, &info) == 0 && info.nortpproxy) {
		memcpy(buf, sdp, len);
		n = len;
	} else if ((err = sdp_mark_relayed(sdp, len, buf, sizeof(buf), &n)) != 0) {
		return err;
	}
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf, n);
	*out_len = n;
	return 0;
}

static void on_offer(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *r)
{
	struct txn *t;
	char cid[300];

	t = txn_by_id(p, ctx);
	if (!t || t->stage != ST_OFFER)
		return;
	free(t->sdp);
	t->sdp = NULL;
	if (copy_relay_sdp(r, &t->sdp, &t->sdp_len)) {
		size_t n = 0;
		const char *why = r ? bencode_dict_get_str(r, "error-reason", &n) : NULL;

		log_warn("relay %d refused the offer: %.*s", relay, why ? (int)n : 12, why ? why : "(no answer)");
		METRIC_INC(&p->m, relay_unavailable);
		reply(p, t, t->req, 503, "Relay unavailable");
		return;
	}
	call_id_of(t->req, cid, sizeof(cid));
	if (t->initial && !call_find(p, cid)) {
		struct call *c = calloc(1, sizeof(*c));
		char *s = NULL;

		if (!c) {
			reply(p, t, t->req, 500, "Out of memory");
			return;
		}
		snprintf(c->call_id, sizeof(c->call_id), "%s", cid);
		snprintf(c->from_tag, sizeof(c->from_tag), "%s", sip_tag(t->req->from) ? sip_tag(t->req->from) : "");
		c->relay = relay;
		c->caller_hop = t->src;
		note_cseq(c, t->req);
		if (osip_from_to_str(t->req->from, &s) == 0) {
			snprintf(c->from, sizeof(c->from), "%s", s);
			osip_free(s);
		}
		call_link(p, c);
		METRIC_INC(&p->m, calls_relayed);
	}
	t->relayed = true;
	t->relay = relay;
	route_on(t);
}

static void put_received_from(struct bencode_buf *b, const struct sockaddr_storage *a)
{
	char ip[SA_STR_MAX];
	struct sockaddr_storage s;

	nat_unmap(a, &s);
	bencode_put_cstr(b, "received-from");
	bencode_put_list(b);
	bencode_put_cstr(b, s.ss_family == AF_INET6 ? "IP6" : "IP4");
	bencode_put_cstr(b, sa_format_ip(&s, ip, sizeof(ip)));
	bencode_put_end(b);
}

static void put_replace(struct bencode_buf *b)
{
	bencode_put_cstr(b, "replace");
	bencode_put_list(b);
	bencode_put_cstr(b, "origin");
	bencode_put_cstr(b, "session-connection");
	bencode_put_end(b);
}

/* The relay server invite of the claim: ng offer with the caller's SDP. */
static int start_offer(struct txn *t, const char *sdp, size_t len, bool caller_natted, int relay)
{
	struct proxy *p = t->p;
	struct bencode_buf b;
	char cid[300];
	bool failover = relay < 0;

	if (relay < 0)
		relay = relay_pool_pick(&p->relays, 0, (uint32_t)rand());
	if (relay < 0)
		return -EHOSTUNREACH;
	bencode_buf_init(&b, 65536);
	bencode_put_dict(&b);
	bencode_put_kv_str(&b, "command", "offer");
	bencode_put_kv_str(&b, "call-id", call_id_of(t->req, cid, sizeof(cid)));
	bencode_put_kv_str(&b, "from-tag", sip_tag(t->req->from) ? sip_tag(t->req->from) : "");
	bencode_put_cstr(&b, "sdp");
	bencode_put_str(&b, sdp, len);
	put_received_from(&b, &t->src);
	if (caller_natted) {
		bencode_put_cstr(&b, "flags");
		bencode_put_list(&b);
		bencode_put_cstr(&b, "SIP-source-address");
		bencode_put_end(&b);
	}
	put_replace(&b);
	bencode_put_end(&b);
	t->stage = ST_OFFER;
	return ng_request(p, relay, failover, &b, on_offer, t->id);
}

static void forward_response(struct txn *t, osip_message_t *resp);

static void on_answer(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *r)
{
	struct txn *t;
	char *sdp = NULL;
	size_t len;
	osip_message_t *resp;

	t = txn_by_id(p, ctx);
	if (!t || !t->parked)
		return;
	resp = t->parked;
	t->parked = NULL;
	if (copy_relay_sdp(r, &sdp, &len) == 0)
		sip_set_body(resp, sdp, len);
	else
		log_warn("relay gave no answer SDP; forwarding the callee's own");
	free(sdp);
	forward_response(t, resp);
	osip_message_free(resp);
}

/* ---- responses ------------------------------------------------------------ */

/*
 * A hop-by-hop request (ACK for a non-2xx final response, CANCEL) is the
 * forwarded INVITE with another method: same Request-URI and branch, our Via
 * only, no Record-Route, no body (RFC 3261 9.1, 17.1.1.3). An ACK also takes
 * the response's To, which carries the callee's tag.
 */
static void send_hop_request(struct txn *t, const char *method, const osip_message_t *resp)
{
	osip_message_t *m = NULL;

	if (!t->fwd || osip_message_clone(t->fwd, &m))
		return;
	osip_free(m->sip_method);
	m->sip_method = osip_strdup(method);
	osip_free(m->cseq->method);
	m->cseq->method = osip_strdup(method);
	if (resp) {
		osip_to_free(m->to);
		m->to = NULL;
		osip_to_clone(resp->to, &m->to);
	}
	while (osip_list_size(&m->vias) > 1) {
		osip_via_t *via = osip_list_get(&m->vias, 1);

		osip_list_remove(&m->vias, 1);
		osip_via_free(via);
	}
	while (!osip_list_eol(&m->record_routes, 0)) {
		osip_record_route_t *rr = osip_list_get(&m->record_routes, 0);

		osip_list_remove(&m->record_routes, 0);
		osip_record_route_free(rr);
	}
	sip_set_body(m, NULL, 0);
	send_msg(t->p, m, &t->target, NULL, NULL);
	osip_message_free(m);
}

static void remember_dialog(struct txn *t, const osip_message_t *resp, const struct sockaddr_storage *src)
{
	char cid[300], *s = NULL;
	struct call *c = call_find(t->p, call_id_of(t->req, cid, sizeof(cid)));
	osip_contact_t *ct;

	if (!c)
		return;
	snprintf(c->to_tag, sizeof(c->to_tag), "%s", sip_tag(resp->to) ? sip_tag(resp->to) : "");
	if (osip_to_to_str(resp->to, &s) == 0) {
		snprintf(c->to, sizeof(c->to), "%s", s);
		osip_free(s);
	}
	ct = osip_list_get(&resp->contacts, 0);
	if (ct && osip_contact_get_url(ct) && osip_uri_to_str(osip_contact_get_url(ct), &s) == 0) {
		snprintf(c->callee_contact, sizeof(c->callee_contact), "%s", s);
		osip_free(s);
	}
	ct = osip_list_get(&t->req->contacts, 0);
	if (ct && osip_contact_get_url(ct) && osip_uri_to_str(osip_contact_get_url(ct), &s) == 0) {
		snprintf(c->caller_contact, sizeof(c->caller_contact), "%s", s);
		osip_free(s);
	}
	c->callee_hop = *src;
}

static int start_answer(struct txn *t, osip_message_t *resp, const char *sdp, size_t len)
{
	struct bencode_buf b;
	char cid[300];
	osip_contact_t *ct = osip_list_get(&resp->contacts, 0);
	struct sockaddr_storage callee;

	bencode_buf_init(&b, 65536);
	bencode_put_dict(&b);
	bencode_put_kv_str(&b, "command", "answer");
	bencode_put_kv_str(&b, "call-id", call_id_of(t->req, cid, sizeof(cid)));
	bencode_put_kv_str(&b, "from-tag", sip_tag(t->req->from) ? sip_tag(t->req->from) : "");
	bencode_put_kv_str(&b, "to-tag", sip_tag(resp->to) ? sip_tag(resp->to) : "");
	bencode_put_cstr(&b, "sdp");
	bencode_put_str(&b, sdp, len);
	/* the callee's own public address (its Contact, fixed by the proxy that
	 * saw it), never the 200's packet source, which is the next proxy */
	if (ct && osip_contact_get_url(ct) && !sip_uri_target(osip_contact_get_url(ct), &callee))
		put_received_from(&b, &callee);
	put_replace(&b);
	bencode_put_end(&b);
	t->parked = resp;
	return ng_request(t->p, t->relay, false, &b, on_answer, t->id);
}

static void keep_2xx(struct txn *t, const struct sockaddr_storage *dst)
{
	char cid[300];
	struct call *c = call_find(t->p, call_id_of(t->req, cid, sizeof(cid)));
	char *copy;

	if (!c || !(copy = malloc(t->resp_len)))
		return;
	memcpy(copy, t->resp, t->resp_len);
	free(c->ok);
	c->ok = copy;
	c->ok_len = t->resp_len;
	c->ok_cseq = strtoul(t->req->cseq->number, NULL, 10);
	c->ok_dst = *dst;
}

static void forward_response(struct txn *t, osip_message_t *resp)
{
	struct proxy *p = t->p;
	struct sockaddr_storage dst;
	int code = resp->status_code;

	if (sip_via_target(sip_top_via(resp), &dst)) {
		METRIC_INC(&p->m, responses_unroutable);
		return;
	}
	if (code == 100)
		return;
	METRIC_INC(&p->m, responses_forwarded);
	send_msg(p, resp, &dst, &t->resp, &t->resp_len);
	t->resp_code = code;
	if (code >= 200 && code < 300 && t->relayed && !strcmp(t->method, "INVITE") && t->resp)
		keep_2xx(t, &dst);
	if (code >= 200)
		txn_finish(t);
}

static void on_redirect_response(struct txn *t, osip_message_t *resp)
{
	struct proxy *p = t->p;
	int code = resp->status_code;
	osip_contact_t *ct;

	if (code < 200)
		return;
	txn_stop_client(t);
	if (!strcmp(t->method, "INVITE"))
		send_hop_request(t, "ACK", resp);
	ct = osip_list_get(&resp->contacts, 0);
	if (code >= 300 && code < 400 && ct && osip_contact_get_url(ct)) {
		struct sockaddr_storage next;

		if (sip_uri_target(osip_contact_get_url(ct), &next) || proxy_is_self(p, osip_contact_get_url(ct))) {
			METRIC_INC(&p->m, not_found);
			fail_call(t);
			reply(p, t, t->req, 404, "Not Found");
			return;
		}
		/* the forwarding invite: same Request-URI, to the proxy that serves it */
		t->route.kind = RK_NEXT_HOP;
		t->target = next;
		forward_now(t);
		return;
	}
	METRIC_INC(&p->m, redirect_failures);
	fail_call(t);
	if (code == 404)
		METRIC_INC(&p->m, not_found);
	reply(p, t, t->req, code == 404 ? 404 : 480, code == 404 ? "Not Found" : "Temporarily Unavailable");
}

static void client_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct txn *t = w->data;
	struct proxy *p = t->p;

	METRIC_INC(&p->m, txn_timeouts);
	txn_stop_client(t);
	fail_call(t);
	if (t->stage == ST_REDIRECT) {
		METRIC_INC(&p->m, redirect_failures);
		reply(p, t, t->req, 503, "Redirect server unreachable");
	} else if (t->resp_code < 200) {
		reply(p, t, t->req, 408, "Request Timeout");
	}
}

/* The callee resends its 2xx until the ACK reaches it (RFC 3261 13.3.1.4), so
 * a lost ACK or 2xx shows up here after the transaction ended. Send the caller
 * the 2xx as it went out the first time: with the relay's SDP, not the
 * callee's own. */
static void resend_2xx(struct txn *t, const osip_message_t *resp)
{
	struct sockaddr_storage dst;

	if (!MSG_IS_STATUS_2XX(resp) || strcmp(t->method, "INVITE") || !t->resp || t->resp_code < 200 ||
	    t->resp_code >= 300 || sip_via_target(sip_top_via(t->req), &dst))
		return;
	METRIC_INC(&t->p->m, responses_forwarded);
	proxy_send(t->p, &dst, t->resp, t->resp_len);
}

static long contact_expires(osip_contact_t *c, long dflt)
{
	osip_generic_param_t *e = NULL;

	osip_contact_param_get_byname(c, "expires", &e);
	if (e && e->gvalue) {
		char *end;
		long v = strtol(e->gvalue, &end, 10);

		return (*end || v < 0) ? dflt : v;
	}
	return dflt;
}

/* Half of what a publication lasts, as a UA refreshes its own registration,
 * or --republish when sooner: the redirect server keeps its location store in
 * memory, and a restarted one learns our bindings only from publications. */
static uint64_t republish_after_ms(const struct proxy *p, uint32_t expires_s)
{
	uint64_t half = (uint64_t)expires_s * 500, every = (uint64_t)p->cfg.republish_s * 1000;

	if (!half)
		half = 1000;
	return every && every < half ? every : half;
}

/* The redirect server may grant less time than the binding has left (its own
 * maximum): publish again before what it granted runs out. */
static void on_publish_response(struct proxy *p, const osip_message_t *resp)
{
	char aor[REG_AOR_MAX];
	osip_contact_t *ct = osip_list_get(&resp->contacts, 0);
	long granted = -1;
	uint64_t now = proxy_now_ms();
	uint32_t left;

	if (!MSG_IS_STATUS_2XX(resp) || !resp->to || sip_uri_aor(osip_to_get_url(resp->to), aor, sizeof(aor)))
		return;
	if (ct)
		granted = contact_expires(ct, -1);
	if (granted < 0 && sip_expires(resp, &granted))
		return;
	left = reg_remaining(&p->reg, aor, now);
	if (granted <= 0 || !left || (uint64_t)granted >= left)
		return;
	/* halfway, as a UA refreshes its own registration */
	reg_set_republish(&p->reg, aor, now + republish_after_ms(p, (uint32_t)granted));
	METRIC_INC(&p->m, publish_shortened);
}

static void handle_response(struct proxy *p, osip_message_t *resp, const struct sockaddr_storage *src)
{
	const char *branch = sip_via_branch(sip_top_via(resp));
	struct txn *t;
	const char *body;
	size_t blen;

	if (!branch || strncmp(branch, PROXY_BRANCH_PREFIX, strlen(PROXY_BRANCH_PREFIX))) {
		METRIC_INC(&p->m, responses_unroutable);
		return;
	}
	if (!strncmp(branch, PROXY_PUBLISH_PREFIX, strlen(PROXY_PUBLISH_PREFIX))) {
		on_publish_response(p, resp);
		return;
	}
	t = txn_match_client(p, branch);
	if (!t || strcmp(resp->cseq->method, t->method)) {
		/* a 2xx retransmission after the INVITE transaction ended goes on statelessly */
		if (MSG_IS_STATUS_2XX(resp) && !strcmp(resp->cseq->method, "INVITE") && osip_list_size(&resp->vias) > 1) {
			struct sockaddr_storage dst;
			char cid[300];
			struct call *c = p->calls ? call_find(p, call_id_of(resp, cid, sizeof(cid))) : NULL;

			/* a relayed call: the caller gets the relay's SDP, never the callee's */
			if (c && c->ok && c->ok_cseq == strtoul(resp->cseq->number, NULL, 10)) {
				METRIC_INC(&p->m, responses_forwarded);
				proxy_send(p, &c->ok_dst, c->ok, c->ok_len);
				return;
			}

			pop_via(resp);
			if (!sip_via_target(sip_top_via(resp), &dst)) {
				send_msg(p, resp, &dst, NULL, NULL);
				METRIC_INC(&p->m, responses_forwarded);
				return;
			}
		}
		if (!t)
			METRIC_INC(&p->m, responses_unroutable);
		return; /* e.g. the 200 for our CANCEL */
	}
	ev_timer_stop(p->loop, &t->retx);
	if (t->stage == ST_REDIRECT) {
		on_redirect_response(t, resp);
		return;
	}
	if (t->stage == ST_DONE) {
		resend_2xx(t, resp);
		return;
	}
	if (t->stage != ST_FORWARD)
		return;
	if (t->parked && MSG_IS_STATUS_2XX(resp))
		return; /* a retransmission while the relay answers: the first copy goes on */
	if (resp->status_code < 200) {
		if (!t->provisional && !strcmp(t->method, "INVITE")) {
			t->provisional = true;
			ev_timer_stop(p->loop, &t->timeout);
			ev_timer_set(&t->timeout, TIMER_C, 0);
			ev_timer_start(p->loop, &t->timeout);
		}
	} else {
		txn_stop_client(t);
		if (!MSG_IS_STATUS_2XX(resp) && !strcmp(t->method, "INVITE"))
			send_hop_request(t, "ACK", resp);
	}
	pop_via(resp);
	if (osip_list_size(&resp->vias) >= 1 && osip_list_size(&t->req->vias) >= 1 && t->route.kind == RK_LOCAL)
		fix_contact(resp, src);
	if (!strcmp(t->method, "INVITE") && t->relayed) {
		if (resp->status_code >= 300) {
			fail_call(t);
		} else if (resp->status_code > 100) {
			if (MSG_IS_STATUS_2XX(resp) && t->initial)
				remember_dialog(t, resp, src);
			if (!sip_body(resp, &body, &blen) && blen) {
				osip_message_t *copy = NULL;

				if (!t->parked && osip_message_clone(resp, &copy) == 0 &&
				    start_answer(t, copy, body, blen) == 0)
					return; /* forwarded once the relay answers */
				if (copy && t->parked != copy)
					osip_message_free(copy);
			}
		}
	}
	forward_response(t, resp);
}

/* ---- registrar ------------------------------------------------------------ */

static void publish(struct proxy *p, const char *aor, uint32_t expires)
{
	char buf[2048], rhost[SA_STR_MAX];
	unsigned long long id = ++p->next_id;
	int n;

	sa_format(&p->cfg.redirect, rhost, sizeof(rhost));
	n = snprintf(buf, sizeof(buf),
		     "REGISTER sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=" PROXY_PUBLISH_PREFIX "%llx;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:%s>;tag=pp%08x\r\n"
		     "To: <sip:%s>\r\n"
		     "Call-ID: pp-publish-%08x@%s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:%s:%u>\r\n"
		     "Expires: %u\r\n"
		     "Content-Length: 0\r\n\r\n",
		     rhost, p->self_host, p->self_port, id, aor, (unsigned)id, aor, (unsigned)id, p->self_host, ++p->publish_cseq, p->self_host,
		     p->self_port, expires);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	METRIC_INC(&p->m, publish_sent);
	proxy_send(p, &p->cfg.redirect, buf, (size_t)n);
	if (expires && p->cfg.republish_s)
		reg_set_republish(&p->reg, aor, proxy_now_ms() + republish_after_ms(p, expires));
}

/* A double CRLF (RFC 5626 4.4.1) is what a SIP parser skips between messages;
 * any packet from us keeps the NAT's binding towards the phone open. */
static void send_keepalive(const struct reg_binding *b, void *ctx)
{
	struct proxy *p = ctx;

	METRIC_INC(&p->m, nat_keepalives);
	proxy_send(p, &b->received, "\r\n\r\n", 4);
}

static void on_binding_gone(const char *aor, void *ctx)
{
	struct proxy *p = ctx;

	METRIC_INC(&p->m, registrar_expired);
	publish(p, aor, 0);
}

struct contact_list {
	osip_message_t *m;
	uint64_t now_ms;
};

/* A REGISTER's 200 lists the AOR's current bindings. */
static void add_contact(const struct reg_binding *b, void *ctx)
{
	struct contact_list *l = ctx;
	char v[REG_CONTACT_MAX + 32];

	snprintf(v, sizeof(v), "<%s>;expires=%llu", b->contact, (unsigned long long)((b->expires_ms - l->now_ms) / 1000));
	osip_message_set_contact(l->m, v);
}

static void handle_register(struct proxy *p, osip_message_t *req, const struct sockaddr_storage *src, bool tcp)
{
	char aor[REG_AOR_MAX];
	long dflt = REG_DEFAULT_EXPIRES, hexp;
	uint64_t now = proxy_now_ms();
	osip_contact_t *c;
	osip_message_t *r = NULL;
	struct sockaddr_storage dst;
	int pos = 0, ret;

	if (!req->to || sip_uri_aor(osip_to_get_url(req->to), aor, sizeof(aor))) {
		reply(p, NULL, req, 400, "Bad To");
		return;
	}
	ret = sip_expires(req, &hexp);
	if (ret == -EINVAL) {
		reply(p, NULL, req, 400, "Bad Expires");
		return;
	}
	if (!ret)
		dflt = hexp;
	/* a binding is later an INVITE's Request-URI: refuse schemes nobody can route,
	 * before any binding of this REGISTER is stored */
	while ((c = osip_list_get(&req->contacts, pos++)) != NULL) {
		osip_uri_t *u = osip_contact_get_url(c);

		if (u && !(c->displayname && !strcmp(c->displayname, "*")) &&
		    (!u->scheme || (osip_strcasecmp(u->scheme, "sip") && osip_strcasecmp(u->scheme, "sips")))) {
			reply(p, NULL, req, 400, "Unsupported Contact URI scheme");
			return;
		}
	}
	pos = 0;
	c = osip_list_get(&req->contacts, 0);
	if (c && c->displayname && !strcmp(c->displayname, "*")) {
		if (dflt != 0 || osip_list_size(&req->contacts) != 1) {
			reply(p, NULL, req, 400, "Contact * needs Expires: 0");
			return;
		}
		reg_remove_aor(&p->reg, aor);
		publish(p, aor, 0);
	}
	while ((c = osip_list_get(&req->contacts, pos++)) != NULL) {
		char *uri = NULL;
		struct sockaddr_storage ca;
		bool nat;

		if (!osip_contact_get_url(c) || (c->displayname && !strcmp(c->displayname, "*")))
			continue;
		if (osip_uri_to_str(osip_contact_get_url(c), &uri))
			continue;
		nat = sip_uri_target(osip_contact_get_url(c), &ca) || nat_contact_differs(&ca, src);
		ret = reg_update(&p->reg, aor, uri, src, nat, tcp, (uint32_t)contact_expires(c, dflt), now);
		osip_free(uri);
		if (ret) {
			reply(p, NULL, req, ret == -ENOSPC ? 503 : 400, ret == -ENOSPC ? "Registrar full" : "Contact too long");
			return;
		}
	}
	METRIC_INC(&p->m, registrations);
	if (reg_lookup(&p->reg, aor, now))
		publish(p, aor, reg_remaining(&p->reg, aor, now));
	else if (osip_list_size(&req->contacts))
		publish(p, aor, 0);
	/* 200 with the current bindings */
	if (sip_make_response(req, 200, "OK", "ppreg", &r))
		return;
	reg_each(&p->reg, aor, now, add_contact, &(struct contact_list){ .m = r, .now_ms = now });
	METRIC_INC(&p->m, local_replies);
	if (!sip_via_target(sip_top_via(req), &dst))
		send_msg(p, r, &dst, NULL, NULL);
	osip_message_free(r);
}

/* ---- requests ------------------------------------------------------------- */

static void forward_ack(struct proxy *p, osip_message_t *ack)
{
	struct route_out ro;
	char branch[64];
	const char *up;

	if (route_decide(p, ack, proxy_now_ms(), &ro) || ro.kind == RK_NOT_FOUND || ro.kind == RK_REDIRECT)
		return; /* an ACK nobody can take is dropped (RFC 3261 16.4) */
	decrement_max_forwards(ack);
	/* stateless: the branch is a function of the request, so retransmissions
	 * match; the upstream branch loses its magic cookie only when it has one
	 * (an RFC 2543 branch may be shorter than the cookie) */
	up = sip_via_branch(sip_top_via(ack));
	if (!up)
		up = "";
	else if (!strncmp(up, "z9hG4bK", 7))
		up += 7;
	snprintf(branch, sizeof(branch), PROXY_BRANCH_PREFIX "%08x.a%s", proxy_loop_hash(ack), up);
	branch[sizeof(branch) - 1] = '\0';
	if (push_via(p, ack, branch, proxy_has_tcp(p, &ro.target)))
		return;
	if (ro.kind == RK_LOCAL) {
		osip_uri_t *u = NULL;

		if (osip_uri_init(&u) == 0 && osip_uri_parse(u, ro.contact) == 0) {
			osip_uri_free(ack->req_uri);
			ack->req_uri = u;
		} else {
			osip_uri_free(u);
		}
	}
	if (send_msg(p, ack, &ro.target, NULL, NULL) == 0)
		METRIC_INC(&p->m, requests_forwarded);
}

static void handle_cancel(struct proxy *p, osip_message_t *req)
{
	struct txn *t = txn_match_server(p, req, "INVITE");

	if (!t) {
		reply(p, NULL, req, 481, "Call/Transaction Does Not Exist");
		return;
	}
	reply(p, NULL, req, 200, "OK");
	if (t->resp_code >= 200)
		return;
	t->cancelled = true;
	if (t->stage == ST_FORWARD) {
		send_hop_request(t, "CANCEL", NULL);
		return; /* the callee's 487 comes back through */
	}
	fail_call(t);
	reply(p, t, t->req, 487, "Request Terminated");
}

static struct txn *txn_new(struct proxy *p, osip_message_t *req, const struct sockaddr_storage *src)
{
	struct txn *t;
	osip_via_t *via = sip_top_via(req);
	struct txn_index *ix = index_of(p);

	if (!ix || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->p = p;
	t->id = ++p->next_id;
	t->req = req;
	t->src = *src;
	t->relay = -1;
	t->initial = !sip_tag(req->to);
	snprintf(t->s_branch, sizeof(t->s_branch), "%s", sip_via_branch(via) ? sip_via_branch(via) : "");
	via_key(via, t->s_sentby, sizeof(t->s_sentby));
	snprintf(t->method, sizeof(t->method), "%s", req->sip_method);
	ev_init(&t->retx, on_retx);
	ev_init(&t->timeout, client_timeout);
	ev_timer_init(&t->linger, on_linger, LINGER, 0);
	ev_init(&t->timer_g, on_timer_g);
	t->retx.data = t->timeout.data = t->linger.data = t->timer_g.data = t;
	DLIST_PUSH(p->txns, t);
	t->s_hnext = ix->by_s_branch[BUCKET(str_hash(t->s_branch))];
	ix->by_s_branch[BUCKET(str_hash(t->s_branch))] = t;
	t->id_hnext = ix->by_id[BUCKET(t->id)];
	ix->by_id[BUCKET(t->id)] = t;
	return t;
}

static bool to_self_options(const struct proxy *p, const osip_message_t *req)
{
	return MSG_IS_OPTIONS(req) && req->req_uri && !req->req_uri->username && proxy_is_self(p, req->req_uri);
}

/* Relay decision and offer for an INVITE with SDP; false when none is needed. */
static bool maybe_offer(struct txn *t)
{
	struct proxy *p = t->p;
	const char *body;
	size_t blen;
	struct sdp_info sdp;
	struct nat_facts f = { 0 };
	char cid[300];
	struct call *c;

	if (!MSG_IS_INVITE(t->req) || sip_body(t->req, &body, &blen) || !blen || sdp_parse(body, blen, &sdp))
		return false;
	f.has_sdp = true;
	f.already_relayed = sdp.nortpproxy;
	/* only the first hop's packet source says anything about the caller's NAT */
	f.caller_natted = osip_list_size(&t->req->vias) == 1 && nat_sdp_differs(&sdp, &t->src);
	f.callee_natted = t->route.kind == RK_LOCAL && t->route.callee_nat;
	if (f.caller_natted)
		METRIC_INC(&p->m, nat_detected);
	c = call_find(p, call_id_of(t->req, cid, sizeof(cid)));
	if (!t->initial) {
		/* a re-INVITE goes through offer/answer again, on the call's relay */
		if (!c || sdp.nortpproxy)
			return false;
		return start_offer(t, body, blen, f.caller_natted, c->relay) == 0;
	}
	if (!nat_should_relay(p->nat_policy, &f))
		return false;
	if (p->relays.n == 0 || start_offer(t, body, blen, f.caller_natted, c ? c->relay : -1)) {
		METRIC_INC(&p->m, relay_unavailable);
		reply(p, t, t->req, 503, "Relay unavailable");
		return true;
	}
	return true;
}

static void handle_request(struct proxy *p, osip_message_t *req, const struct sockaddr_storage *src, bool tcp)
{
	struct txn *t;
	char cid[300];
	const char *pr;

	if (sip_via_fix_received(sip_top_via(req), src, !tcp)) {
		osip_message_free(req);
		return;
	}
	if (MSG_IS_ACK(req)) {
		t = txn_match_server(p, req, "INVITE");
		if (t) {
			/* matches the INVITE's branch: the ACK of a non-2xx, hop-by-hop, ends here */
			ev_timer_stop(p->loop, &t->timer_g);
			osip_message_free(req);
			return;
		}
		forward_ack(p, req);
		osip_message_free(req);
		return;
	}
	if (MSG_IS_CANCEL(req)) {
		handle_cancel(p, req);
		osip_message_free(req);
		return;
	}
	t = txn_match_server(p, req, req->sip_method);
	if (t) {
		METRIC_INC(&p->m, rx_retransmissions);
		if (t->resp)
			proxy_send(p, src, t->resp, t->resp_len);
		osip_message_free(req);
		return;
	}
	{
		osip_header_t *mf = NULL;

		if (osip_message_get_max_forwards(req, 0, &mf) >= 0 && mf && mf->hvalue && atoi(mf->hvalue) <= 0 &&
		    !to_self_options(p, req)) {
			METRIC_INC(&p->m, too_many_hops);
			reply(p, NULL, req, 483, "Too Many Hops");
			osip_message_free(req);
			return;
		}
	}
	if (!sip_header_value(req, "proxy-require", &pr)) {
		reply(p, NULL, req, 420, "Bad Extension");
		osip_message_free(req);
		return;
	}
	if (proxy_is_loop(p, req)) {
		METRIC_INC(&p->m, loops);
		reply(p, NULL, req, 482, "Loop Detected");
		osip_message_free(req);
		return;
	}
	if (MSG_IS_REGISTER(req) && req->req_uri && (proxy_is_local_domain(p, req->req_uri->host) ||
						     proxy_is_self(p, req->req_uri))) {
		handle_register(p, req, src, tcp);
		osip_message_free(req);
		return;
	}
	if (to_self_options(p, req)) {
		reply(p, NULL, req, 200, "OK");
		osip_message_free(req);
		return;
	}
	t = txn_new(p, req, src);
	if (!t) {
		reply(p, NULL, req, 500, "Out of memory");
		osip_message_free(req);
		return;
	}
	t->s_tcp = tcp;
	if (MSG_IS_INVITE(req))
		reply(p, t, req, 100, "Trying");
	if (p->calls) {
		struct call *c = call_find(p, call_id_of(req, cid, sizeof(cid)));

		if (c)
			note_cseq(c, req);
		if (c && MSG_IS_BYE(req))
			ng_delete(p, c);
	}
	route_decide(p, req, proxy_now_ms(), &t->route);
	if (maybe_offer(t))
		return; /* routing resumes when the relay answers */
	route_on(t);
}

/* The datagram is length-delimited, not NUL-terminated: look at len bytes only. */
static bool all_crlf(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != '\r' && b[i] != '\n')
			return false;
	return true;
}

void proxy_on_message(struct proxy *p, const char *buf, size_t len, const struct sockaddr_storage *src, bool tcp)
{
	struct sip_verdict v;
	osip_message_t *msg = NULL;
	char a[SA_STR_MAX];
	uint64_t now = proxy_now_ms();

	METRIC_INC(&p->m, rx_messages);
	if (len <= 4 && all_crlf(buf, len))
		return; /* keep-alive */
	if (!rl_allow(&p->rl, src, now)) {
		METRIC_INC(&p->m, rx_rate_limited);
		return;
	}
	log_debug("received %zu bytes from %s:\n%.*s", len, sa_format(src, a, sizeof(a)), (int)len, buf);
	if (sip_validate(buf, len, &v) || sip_parse(buf, v.msg_len, &msg)) {
		METRIC_INC(&p->m, rx_bad);
		if (!v.status) { /* valid by the grammar, but libosip2 cannot take it */
			v.status = 400;
			v.reason = "Unparsable message";
		}
		log_debug("invalid message from %s: %d %s", a, v.status, v.reason);
		if (!v.is_request)
			return;
		/* libosip2 may not parse it: answer from the raw bytes, to the packet source */
		char *out = NULL;
		size_t out_len;

		if (sip_raw_response(buf, len, v.status, v.reason, src, &out, &out_len) == 0) {
			METRIC_INC(&p->m, local_replies);
			proxy_send(p, src, out, out_len);
			free(out);
		}
		return;
	}
	if (MSG_IS_REQUEST(msg))
		handle_request(p, msg, src, tcp);
	else {
		handle_response(p, msg, src);
		osip_message_free(msg);
	}
}

/* ---- periodic work -------------------------------------------------------- */

static void on_query(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *r);

static void bye_side(struct proxy *p, const char *ruri, const char *from, const char *to, const char *call_id,
		     unsigned long cseq, const struct sockaddr_storage *dst)
{
	char buf[2048];
	int n;

	if (!ruri[0] || !dst->ss_family)
		return;
	n = snprintf(buf, sizeof(buf),
		     "BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=" PROXY_BRANCH_PREFIX "-bye%llx;rport\r\n"
		     "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %lu BYE\r\n"
		     "Reason: SIP;cause=408;text=\"media timeout\"\r\nContent-Length: 0\r\n\r\n",
		     ruri, p->self_host, p->self_port, (unsigned long long)p->next_id++, from, to, call_id, cseq);
	if (n > 0 && (size_t)n < sizeof(buf))
		proxy_send(p, dst, buf, (size_t)n);
}

static void on_query(struct proxy *p, uint64_t ctx, int relay, const struct bencode_node *r)
{
	struct call *c;
	const struct bencode_node *res;

	for (c = p->calls; c && (uint64_t)(uintptr_t)c != ctx; c = c->next)
		;
	if (!c || !r)
		return;
	res = bencode_dict_get(r, "result");
	if (res && bencode_str_eq(res, "ok"))
		return;
	/* the relay lost the session (media timeout): end the call on both sides */
	METRIC_INC(&p->m, media_timeouts);
	log_info("call %s: relay reports the session gone; sending BYE to both sides", c->call_id);
	/* to the caller in the callee's direction and the other way round */
	bye_side(p, c->caller_contact, c->to, c->from, c->call_id, c->cseq_callee + 1, &c->caller_hop);
	bye_side(p, c->callee_contact, c->from, c->to, c->call_id, c->cseq_caller + 1, &c->callee_hop);
	call_free(p, c);
}

void proxy_on_tick(struct proxy *p)
{
	uint64_t now = proxy_now_ms();
	const char *aor;

	reg_expire(&p->reg, now, on_binding_gone, p);
	for (unsigned n = 0; n < PROXY_REPUBLISH_PER_TICK && (aor = reg_next_republish(&p->reg, now)) != NULL; n++)
		publish(p, aor, reg_remaining(&p->reg, aor, now));
	if (p->cfg.nat_keepalive_s)
		reg_keepalive_due(&p->reg, now, (uint64_t)p->cfg.nat_keepalive_s * 1000, PROXY_KEEPALIVE_PER_TICK,
				  send_keepalive, p);
	if (now - p->last_ping_ms >= 5000) {
		p->last_ping_ms = now;
		ng_ping_all(p);
	}
	if (now - p->last_query_ms >= 10000) {
		p->last_query_ms = now;
		for (struct call *c = p->calls; c; c = c->next) {
			struct bencode_buf b;

			if (!c->confirmed && !c->to_tag[0])
				continue;
			c->confirmed = true;
			bencode_buf_init(&b, 1024);
			bencode_put_dict(&b);
			bencode_put_kv_str(&b, "command", "query");
			bencode_put_kv_str(&b, "call-id", c->call_id);
			bencode_put_kv_str(&b, "from-tag", c->from_tag);
			bencode_put_end(&b);
			ng_request(p, c->relay, false, &b, on_query, (uint64_t)(uintptr_t)c);
		}
	}
}

void proxy_shutdown(struct proxy *p)
{
	while (p->txns)
		txn_free(p->txns);
	while (p->calls)
		call_free(p, p->calls);
	free(p->index);
	p->index = NULL;
}

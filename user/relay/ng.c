// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ng framing: "<cookie> <bencode dictionary>", dispatch, the reply cache. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay/ng_internal.h"
#include "relay/ng_server.h"
#include "sockaddr.h"

#define NG_MAX_NODES 2048

static const char *const cmd_names[] = {
#define NG_X_NAME(name, str) str,
	NG_COMMANDS(NG_X_NAME)
#undef NG_X_NAME
};

const char *ng_cmd_name(enum ng_cmd cmd)
{
	return (unsigned)cmd < NG_CMD__COUNT ? cmd_names[cmd] : "?";
}

const char *ng_outcome_name(enum ng_outcome o)
{
	static const char *const names[] = { "ok", "error", "load_limit" };

	return (unsigned)o < NG_OUTCOME__COUNT ? names[o] : "?";
}

/* ASCII only (ng keys and flags are): no locale look-up per character. */
static char norm(char c)
{
	if (c == '-' || c == '_')
		return ' ';
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* a[0..alen) equals the C string b, normalised; b is walked once, no strlen. */
static bool norm_eq(const char *a, size_t alen, const char *b)
{
	for (size_t i = 0; i < alen; i++)
		if (!b[i] || norm(a[i]) != norm(b[i]))
			return false;
	return b[alen] == '\0';
}

const struct bencode_node *ng_key(const struct bencode_node *dict, const char *key)
{
	if (!dict || dict->type != BENCODE_DICT)
		return NULL;
	for (const struct bencode_node *n = dict->child; n; n = n->next)
		if (norm_eq(n->key, n->key_len, key))
			return n;
	return NULL;
}

bool ng_str_is(const struct bencode_node *n, const char *s)
{
	return n && n->type == BENCODE_STR && norm_eq(n->str, n->len, s);
}

/* The request keys ng_parse_req reads, found in one pass over the dictionary. */
enum req_key {
	K_CALL_ID, K_FROM_TAG, K_TO_TAG, K_RECEIVED_FROM, K_MEDIA_ADDRESS, K_SDP, K_FLAGS, K_REPLACE, K_RTCP_MUX,
	K_ICE, K_SUPPORTS, K_ADDRESS_FAMILY, K__COUNT
};

static const struct {
	const char *norm; /* as norm() makes it */
	const char *name; /* for error messages */
} req_keys[K__COUNT] = {
	[K_CALL_ID] = { "call id", "call-id" },
	[K_FROM_TAG] = { "from tag", "from-tag" },
	[K_TO_TAG] = { "to tag", "to-tag" },
	[K_RECEIVED_FROM] = { "received from", "received-from" },
	[K_MEDIA_ADDRESS] = { "media address", "media-address" },
	[K_SDP] = { "sdp", "sdp" },
	[K_FLAGS] = { "flags", "flags" },
	[K_REPLACE] = { "replace", "replace" },
	[K_RTCP_MUX] = { "rtcp mux", "rtcp-mux" },
	[K_ICE] = { "ice", "ICE" },
	[K_SUPPORTS] = { "supports", "supports" },
	[K_ADDRESS_FAMILY] = { "address family", "address family" },
};

/* found[k]: the first member whose key is req_keys[k] (as ng_key finds it),
 * each key normalised once instead of once per key looked up. */
static void find_req_keys(const struct bencode_node *dict, const struct bencode_node *found[K__COUNT])
{
	for (unsigned k = 0; k < K__COUNT; k++)
		found[k] = NULL;
	for (const struct bencode_node *n = dict->child; n; n = n->next) {
		char key[16]; /* longer than every key we read */

		if (n->key_len >= sizeof(key))
			continue;
		for (size_t i = 0; i < n->key_len; i++)
			key[i] = norm(n->key[i]);
		key[n->key_len] = '\0';
		for (unsigned k = 0; k < K__COUNT; k++) {
			if (!found[k] && !strcmp(key, req_keys[k].norm)) {
				found[k] = n;
				break;
			}
		}
	}
}

static int get_strz(const struct bencode_node *n, enum req_key k, char *out, size_t size, char *err)
{
	out[0] = '\0';
	if (!n)
		return 0;
	if (n->type != BENCODE_STR || n->len >= size || memchr(n->str, '\0', n->len)) {
		snprintf(err, NG_ERR_MAX, "Invalid %s", req_keys[k].name);
		return -EINVAL;
	}
	memcpy(out, n->str, n->len);
	out[n->len] = '\0';
	return 0;
}

/* ["IP4", "1.2.3.4"] (rtpengine's form) or a bare address string. */
static int get_addr(const struct bencode_node *n, enum req_key k, struct sockaddr_storage *ss, char *err)
{
	char ip[64];

	memset(ss, 0, sizeof(*ss));
	if (!n)
		return 0;
	if (n->type == BENCODE_LIST && n->len == 2)
		n = n->child->next;
	if (n->type != BENCODE_STR || n->len >= sizeof(ip))
		goto bad;
	memcpy(ip, n->str, n->len);
	ip[n->len] = '\0';
	if (sa_parse_ip(ip, 0, ss))
		goto bad;
	return 0;
bad:
	snprintf(err, NG_ERR_MAX, "Invalid %s", req_keys[k].name);
	return -EINVAL;
}

/* Calls fn for each string of a list, or for a single string. */
static void each_str(const struct bencode_node *n, void (*fn)(struct ng_req *q, const struct bencode_node *s),
		     struct ng_req *q)
{
	if (!n)
		return;
	if (n->type == BENCODE_STR) {
		fn(q, n);
		return;
	}
	if (n->type == BENCODE_LIST)
		for (const struct bencode_node *e = n->child; e; e = e->next)
			if (e->type == BENCODE_STR)
				fn(q, e);
}

static void on_flag(struct ng_req *q, const struct bencode_node *f)
{
	if (ng_str_is(f, "trust address"))
		q->trust_address = true;
	else if (ng_str_is(f, "SIP source address"))
		q->sip_source = true;
	else if (ng_str_is(f, "asymmetric"))
		q->asymmetric = true;
	else if (ng_str_is(f, "symmetric"))
		q->asymmetric = false;
	else if (ng_str_is(f, "strict source"))
		q->strict_source = true;
	else if (ng_str_is(f, "media handover"))
		q->media_handover = true;
	else if (ng_str_is(f, "loop protect"))
		q->loop_protect = true;
	else if (ng_str_is(f, "no rtcp attribute"))
		q->no_rtcp_attr = true;
	else if (ng_str_is(f, "reject ICE"))
		q->ice_remove = true;
	else if (ng_str_is(f, "fatal"))
		q->fatal = true;
	else if (ng_str_is(f, "rtcp mux demux"))
		q->rtcp_mux = RSDP_MUX_STRIP;
	else if (ng_str_is(f, "rtcp mux offer"))
		q->rtcp_mux = RSDP_MUX_ADD;
	/* "port latching": ports are always kept; everything else is not ours */
}

static void on_replace(struct ng_req *q, const struct bencode_node *f)
{
	if (ng_str_is(f, "origin") || ng_str_is(f, "origin full"))
		q->replace_origin = true;
	else if (ng_str_is(f, "session connection"))
		q->replace_session_conn = true;
}

static void on_rtcp_mux(struct ng_req *q, const struct bencode_node *f)
{
	if (ng_str_is(f, "demux"))
		q->rtcp_mux = RSDP_MUX_STRIP;
	else if (ng_str_is(f, "offer") || ng_str_is(f, "require"))
		q->rtcp_mux = RSDP_MUX_ADD;
	/* "accept": go along with the client, the default */
}

static void on_ice(struct ng_req *q, const struct bencode_node *f)
{
	/* only removal is supported: the relay never adds itself as a candidate */
	if (ng_str_is(f, "remove") || ng_str_is(f, "force") || ng_str_is(f, "force relay"))
		q->ice_remove = true;
}

static void on_supports(struct ng_req *q, const struct bencode_node *f)
{
	if (ng_str_is(f, "load limit"))
		q->load_limit = true;
}

int ng_parse_req(struct ng_req *q, const struct bencode_node *dict, char *err)
{
	const struct bencode_node *k[K__COUNT], *n;
	long long v;
	int rc;

	memset(q, 0, sizeof(*q));
	q->dict = dict;
	q->strict_source = true;
	q->tos = -1;
	q->delete_delay = -1;
	q->limit = 32;
	find_req_keys(dict, k);
	if ((rc = get_strz(k[K_CALL_ID], K_CALL_ID, q->call_id, sizeof(q->call_id), err)) ||
	    (rc = get_strz(k[K_FROM_TAG], K_FROM_TAG, q->from_tag, sizeof(q->from_tag), err)) ||
	    (rc = get_strz(k[K_TO_TAG], K_TO_TAG, q->to_tag, sizeof(q->to_tag), err)) ||
	    (rc = get_addr(k[K_RECEIVED_FROM], K_RECEIVED_FROM, &q->received_from, err)) ||
	    (rc = get_addr(k[K_MEDIA_ADDRESS], K_MEDIA_ADDRESS, &q->media_address, err)))
		return rc;
	n = k[K_SDP];
	if (n) {
		if (n->type != BENCODE_STR) {
			snprintf(err, NG_ERR_MAX, "Invalid sdp");
			return -EINVAL;
		}
		q->sdp = n->str;
		q->sdp_len = n->len;
	}
	each_str(k[K_FLAGS], on_flag, q);
	each_str(k[K_REPLACE], on_replace, q);
	each_str(k[K_RTCP_MUX], on_rtcp_mux, q);
	each_str(k[K_ICE], on_ice, q);
	each_str(k[K_SUPPORTS], on_supports, q);
	n = k[K_ADDRESS_FAMILY];
	if (ng_str_is(n, "IP4"))
		q->family = AF_INET;
	else if (ng_str_is(n, "IP6"))
		q->family = AF_INET6;
	else if (n) {
		snprintf(err, NG_ERR_MAX, "Invalid address family");
		return -EINVAL;
	}
	/* TOS out of 0..255 means "the default", as rtpengine */
	if (!bencode_dict_get_int(dict, "TOS", &v) && v >= 0 && v < 256)
		q->tos = (int)v;
	if (!bencode_dict_get_int(dict, "delete delay", &v) || !bencode_dict_get_int(dict, "delete-delay", &v)) {
		if (v < 0) {
			snprintf(err, NG_ERR_MAX, "Invalid delete delay");
			return -EINVAL;
		}
		q->delete_delay = v;
	}
	if (!bencode_dict_get_int(dict, "limit", &v)) {
		if (v <= 0) {
			snprintf(err, NG_ERR_MAX, "Invalid limit");
			return -EINVAL;
		}
		q->limit = v;
	}
	return 0;
}

static enum ng_outcome ng_ping(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err)
{
	return NG_OK; /* the "pong" result is written by the caller */
}

static const ng_handler handlers[NG_CMD__COUNT] = {
	[NG_CMD_PING] = ng_ping,       [NG_CMD_OFFER] = ng_offer,         [NG_CMD_ANSWER] = ng_answer,
	[NG_CMD_DELETE] = ng_delete,   [NG_CMD_QUERY] = ng_query,         [NG_CMD_LIST] = ng_list,
	[NG_CMD_STATISTICS] = ng_statistics,
};

static enum ng_cmd lookup_cmd(const struct bencode_node *n)
{
	for (unsigned i = 0; i < NG_CMD_UNKNOWN; i++)
		if (ng_str_is(n, cmd_names[i]))
			return (enum ng_cmd)i;
	return NG_CMD_UNKNOWN;
}

/* Runs one request and writes the whole reply dictionary into reply. The
 * handler writes its members straight into it; when it fails (or they do
 * not fit) they are cut off again and the error goes in their place. */
static void dispatch(struct relay *r, const struct bencode_node *root, uint64_t now_ns, struct bencode_buf *reply)
{
	enum ng_outcome outcome = NG_ERROR;
	enum ng_cmd cmd = NG_CMD_UNKNOWN;
	char err[NG_ERR_MAX] = "";
	struct ng_req q;
	size_t body;

	bencode_put_dict(reply);
	body = reply->len;
	if (!root || root->type != BENCODE_DICT) {
		snprintf(err, sizeof(err), "Message is not a dictionary");
	} else if (!ng_key(root, "command")) {
		snprintf(err, sizeof(err), "No command in message");
	} else if ((cmd = lookup_cmd(ng_key(root, "command"))) == NG_CMD_UNKNOWN) {
		snprintf(err, sizeof(err), "Unrecognized command");
	} else if (!ng_parse_req(&q, root, err)) {
		outcome = handlers[cmd](r, &q, now_ns, reply, err);
		/* room for the result that follows, so the reply never ends cut */
		if (outcome == NG_OK && (reply->err || reply->limit - reply->len < NG_RESULT_ROOM)) {
			outcome = NG_ERROR;
			snprintf(err, sizeof(err), "Reply too large");
		}
	}
	if (outcome != NG_OK)
		bencode_buf_truncate(reply, body);
	if (outcome == NG_OK) {
		bencode_put_kv_str(reply, "result", cmd == NG_CMD_PING ? "pong" : "ok");
	} else if (outcome == NG_LOAD_LIMIT) {
		bencode_put_kv_str(reply, "result", "load limit");
		bencode_put_kv_str(reply, "message", err);
	} else {
		bencode_put_kv_str(reply, "result", "error");
		bencode_put_kv_str(reply, "error-reason", err[0] ? err : "Internal error");
	}
	bencode_put_end(reply);
	if (outcome != NG_OK)
		log_debug("ng %s: %s", ng_cmd_name(cmd), err);
	r->cnt.ng[cmd][outcome]++;
}

int ng_process_into(struct relay *r, const char *msg, size_t len, const struct sockaddr_storage *from,
		    uint64_t now_ns, char *reply, size_t size, size_t *reply_len)
{
	/* one request at a time (one event loop): the pool is reused, not
	 * allocated and zeroed per datagram (128 KiB, past malloc's mmap line) */
	static struct bencode_node node_pool[NG_MAX_NODES];
	struct bencode_tree tree = { .cap = NG_MAX_NODES };
	struct bencode_node *root = NULL;
	struct bencode_buf out;
	char cookie[COOKIE_MAX + 1];
	const char *sp = memchr(msg, ' ', len < COOKIE_MAX + 1 ? len : COOKIE_MAX + 1);
	const char *cached;
	size_t clen;
	int err;

	*reply_len = 0;
	if (!sp || sp == msg) {
		r->cnt.ng_malformed++; /* without a cookie there is nobody to answer */
		return -EBADMSG;
	}
	clen = (size_t)(sp - msg);
	for (size_t i = 0; i < clen; i++) {
		if (!isgraph((unsigned char)msg[i])) {
			r->cnt.ng_malformed++;
			return -EBADMSG;
		}
	}
	memcpy(cookie, msg, clen);
	cookie[clen] = '\0';
	cached = cookie_cache_get(&r->cookies, from, cookie, now_ns, reply_len);
	if (cached) {
		r->cnt.ng_retransmits++;
		if (*reply_len > size) {
			*reply_len = 0;
			return -E2BIG;
		}
		memcpy(reply, cached, *reply_len);
		return 0;
	}
	tree.nodes = node_pool; /* the decoder clears each node it takes */
	bencode_buf_init_fixed(&out, reply, size);
	bencode_put_raw(&out, cookie, clen);
	bencode_put_raw(&out, " ", 1);
	err = bencode_decode(&tree, sp + 1, len - clen - 1, &root);
	if (err) {
		char why[NG_ERR_MAX];

		r->cnt.ng_malformed++;
		snprintf(why, sizeof(why), "Could not decode dictionary: %s", bencode_strerror(err));
		bencode_put_dict(&out);
		bencode_put_kv_str(&out, "result", "error");
		bencode_put_kv_str(&out, "error-reason", why);
		bencode_put_end(&out);
	} else {
		dispatch(r, root, now_ns, &out);
	}
	err = out.err;
	if (!err) {
		cookie_cache_put(&r->cookies, from, cookie, out.data, out.len, now_ns);
		*reply_len = out.len;
	}
	bencode_buf_free(&out);
	return err;
}

int ng_process(struct relay *r, const char *msg, size_t len, const struct sockaddr_storage *from, uint64_t now_ns,
	       char **reply, size_t *reply_len)
{
	static char buf[NG_REPLY_BUF];
	int err = ng_process_into(r, msg, len, from, now_ns, buf, sizeof(buf), reply_len);

	*reply = NULL;
	if (err)
		return err;
	*reply = malloc(*reply_len);
	if (!*reply)
		return -ENOMEM;
	memcpy(*reply, buf, *reply_len);
	return 0;
}

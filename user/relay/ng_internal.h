/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the ng command handlers (ng_*.c); not for other users. */
#ifndef PIERCE_RELAY_NG_INTERNAL_H
#define PIERCE_RELAY_NG_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "bencode.h"
#include "relay/relay.h"
#include "relay/relay_sdp.h"

/* A reply that must not be fragmented (delete's) stays within the UDP
 * payload of one 1500-byte IPv6 packet, cookie and result included. */
#define NG_REPLY_PACKET (1500 - 40 - 8)
#define NG_RESULT_ROOM 16 /* "6:result2:ok" and the closing "e" */
#define NG_ERR_MAX 160

/* Everything offer/answer/delete may carry, parsed once. */
struct ng_req {
	const struct bencode_node *dict;
	char call_id[CALL_ID_MAX + 1];
	char from_tag[CALL_TAG_MAX + 1];
	char to_tag[CALL_TAG_MAX + 1];
	const char *sdp;
	size_t sdp_len;
	struct sockaddr_storage received_from;  /* AF_UNSPEC: none */
	struct sockaddr_storage media_address;  /* AF_UNSPEC: none */
	sa_family_t family;                     /* "address family": AF_UNSPEC keeps the offerer's */
	bool trust_address, sip_source, asymmetric, strict_source, media_handover;
	bool loop_protect, ice_remove, replace_origin, replace_session_conn, no_rtcp_attr;
	bool fatal, load_limit;
	enum rsdp_rtcp_mux rtcp_mux;
	int tos;                                /* -1: not given */
	long long delete_delay;                 /* -1: not given */
	long long limit;                        /* list */
};

/* A handler fills `out` (the reply dictionary's members, after "d") and
 * returns NG_OK, or returns NG_ERROR/NG_LOAD_LIMIT with err set. */
typedef enum ng_outcome (*ng_handler)(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out,
				      char *err);

/* A dictionary member by name, where ' ', '-' and '_' are the same and case is ignored. */
const struct bencode_node *ng_key(const struct bencode_node *dict, const char *key);
bool ng_str_is(const struct bencode_node *n, const char *s);
int ng_parse_req(struct ng_req *q, const struct bencode_node *dict, char *err);

enum ng_outcome ng_offer(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
enum ng_outcome ng_answer(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
enum ng_outcome ng_delete(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
enum ng_outcome ng_query(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
enum ng_outcome ng_list(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
enum ng_outcome ng_statistics(struct relay *r, struct ng_req *q, uint64_t now_ns, struct bencode_buf *out, char *err);
/* The query body of one call (shared by query and delete). */
void ng_put_call(struct relay *r, const struct call *c, struct bencode_buf *out);

#endif

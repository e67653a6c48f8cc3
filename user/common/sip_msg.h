/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_SIP_MSG_H
#define PIERCE_SIP_MSG_H

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * libosip2 glue shared by the SIP daemons: parse, serialise, build responses,
 * read and fix Via, turn URIs into socket addresses. Every function returns 0
 * or a negative errno and checks each libosip2 return.
 */
#define SIP_DEFAULT_PORT 5060
#define SIP_MAX_MSG 65535
#define SIP_BRANCH_COOKIE "z9hG4bK"

/* Once per process, before any parse. */
int sip_init(void);

/* Parses exactly len bytes (validate them first with sip_validate). */
int sip_parse(const char *buf, size_t len, osip_message_t **out);
/* Serialises into a malloc'd buffer the caller frees with osip_free. */
int sip_serialize(osip_message_t *msg, char **out, size_t *len);

/* A response to req: Via, From, To, Call-ID and CSeq copied; to_tag is added to
 * To when it has none (NULL: none added). */
int sip_make_response(const osip_message_t *req, int code, const char *reason, const char *to_tag,
		      osip_message_t **out);

/* The top Via, or NULL. */
osip_via_t *sip_top_via(const osip_message_t *msg);
/* Its branch parameter, or NULL. */
const char *sip_via_branch(const osip_via_t *via);
/* RFC 3581: received=<src ip> (always: responses follow the packet's source so
 * they cross the caller's NAT) and rport=<src port> when asked for or forced. */
int sip_via_fix_received(osip_via_t *via, const struct sockaddr_storage *src, bool force_rport);
/* Where a response for this Via goes: received/rport, else sent-by (numeric
 * hosts only; -EHOSTUNREACH for names this element does not resolve). */
int sip_via_target(const osip_via_t *via, struct sockaddr_storage *out);

/* host[:port] of a URI as a socket address: maddr wins; numeric hosts only. */
int sip_uri_target(const osip_uri_t *uri, struct sockaddr_storage *out);
/* "user@host" with the host lower-cased: the key of a location binding. */
int sip_uri_aor(const osip_uri_t *uri, char *buf, size_t len);
/* A generic or URI parameter value, or NULL. */
const char *sip_uri_param(const osip_uri_t *uri, const char *name);
/* The tag of a From or To, or NULL. */
const char *sip_tag(const osip_from_t *from_or_to);

/* The first body, or NULL/0. */
int sip_body(const osip_message_t *msg, const char **body, size_t *len);
/* Replaces every body with one of len bytes (NULL/0 removes them). */
int sip_set_body(osip_message_t *msg, const char *body, size_t len);

/* Numeric value of a header among msg->headers, -ENOENT when absent. */
int sip_header_value(const osip_message_t *msg, const char *name, const char **value);
/* Expires header as a number; -ENOENT when absent, -EINVAL when not a number. */
int sip_expires(const osip_message_t *msg, long *out);



/* A response built from the raw bytes of a request libosip2 could not parse:
 * Via, From, To, Call-ID and CSeq lines are copied as they are, the first Via
 * gets received/rport. *out is malloc'd (free()). */
int sip_raw_response(const char *req, size_t len, int code, const char *reason,
		     const struct sockaddr_storage *src, char **out, size_t *out_len);
#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_NAT_H
#define PIERCE_PROXY_NAT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "sip_sdp.h"

/*
 * The comparison of US 7,257,837 claim 1: the source IP of the packet that
 * carried the INVITE against the addresses the SDP names for the caller.
 */
enum nat_policy { NAT_POLICY_AUTO = 0, NAT_POLICY_ALWAYS, NAT_POLICY_NEVER };

int nat_policy_parse(const char *s, enum nat_policy *out);

/* IPv4-mapped IPv6 (from a dual-stack socket) as plain IPv4; else a copy. */
void nat_unmap(const struct sockaddr_storage *in, struct sockaddr_storage *out);

/* True when a session- or media-level c= address that applies to a media line
 * differs from src (IP only), or cannot be compared (an FQDN). */
bool nat_sdp_differs(const struct sdp_info *sdp, const struct sockaddr_storage *src);

/* True when the Contact host:port differs from where the message came from. */
bool nat_contact_differs(const struct sockaddr_storage *contact, const struct sockaddr_storage *src);

struct nat_facts {
	bool has_sdp;
	bool already_relayed; /* a=nortpproxy:yes: relay at most once */
	bool caller_natted;   /* nat_sdp_differs on the offer */
	bool callee_natted;   /* the callee's registration is flagged */
};

bool nat_should_relay(enum nat_policy policy, const struct nat_facts *f);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_AOR_H
#define PIERCE_REDIRECT_AOR_H

#include <stddef.h>

#include <osipparser2/osip_uri.h>

/*
 * The key under which an address-of-record is stored: "user@host" or
 * "user@host:port". sip: and sips: name the same user; the user part is
 * compared unescaped and case-sensitively (RFC 3261 19.1.4), the host
 * case-insensitively, a default port equals no port, and URI parameters and
 * headers do not take part.
 *
 * All return 0, -EPROTONOSUPPORT for a scheme other than sip/sips, -EINVAL
 * for a URI without the parts needed, -ENAMETOOLONG when buf is too small.
 */
int aor_from_uri(const osip_uri_t *uri, char *buf, size_t len);
int aor_from_str(const char *uri, char *buf, size_t len);

/*
 * A serving proxy's address as stored in a binding: "sip:host[:port]" with
 * only the transport parameter kept and any user part dropped, so that each
 * proxy is one binding however it spells its Contact.
 */
int aor_contact_from_uri(const osip_uri_t *uri, char *buf, size_t len);

#endif

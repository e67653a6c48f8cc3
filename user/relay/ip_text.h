/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* An address as text on the ng hot path (SDP c= and o= lines, delete and
 * query replies): IPv4 by hand, since inet_ntop formats it with sprintf,
 * which was a tenth of an offer+answer+delete's user-space time; IPv6 (and
 * anything else) as sa_format_ip does it. */
#ifndef PIERCE_RELAY_IP_TEXT_H
#define PIERCE_RELAY_IP_TEXT_H

#include <stddef.h>
#include <sys/socket.h>

/* Writes the address of ss into buf (len >= 16 for IPv4) and returns buf. */
const char *ip_text(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reason strings, address conversions and the legs[] index arithmetic. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dataplane.h"

static const char *const reason_names[] = {
#define PIERCE_X_NAME(name, metric, help) metric,
	PIERCE_REASONS(PIERCE_X_NAME)
#undef PIERCE_X_NAME
};

static const char *const reason_helps[] = {
#define PIERCE_X_HELP(name, metric, help) help,
	PIERCE_REASONS(PIERCE_X_HELP)
#undef PIERCE_X_HELP
};

_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == PIERCE_R__COUNT, "reason names");

const char *pierce_reason_name(unsigned reason)
{
	return reason < PIERCE_R__COUNT ? reason_names[reason] : "unknown";
}

const char *pierce_reason_help(unsigned reason)
{
	return reason < PIERCE_R__COUNT ? reason_helps[reason] : "unknown reason";
}

int pierce_addr_from_sockaddr(const struct sockaddr_storage *ss, struct pierce_addr *a, uint8_t *family,
			      uint16_t *port_be)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		memcpy(a->addr_be, &sin->sin_addr, 4);
		*family = PIERCE_AF_INET;
		if (port_be)
			*port_be = sin->sin_port;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		memcpy(a->addr_be, &sin6->sin6_addr, 16);
		*family = PIERCE_AF_INET6;
		if (port_be)
			*port_be = sin6->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

int pierce_addr_to_sockaddr(const struct pierce_addr *a, uint8_t family, uint16_t port_be,
			    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == PIERCE_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = port_be;
		memcpy(&sin->sin_addr, a->addr_be, 4);
		return 0;
	}
	if (family == PIERCE_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port_be;
		memcpy(&sin6->sin6_addr, a->addr_be, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int64_t pierce_dp_leg_index(const struct pierce_cfg *cfg, const struct sockaddr_storage *relay)
{
	struct pierce_addr a;
	uint16_t port_be;
	uint32_t off;
	uint8_t fam;

	if (pierce_addr_from_sockaddr(relay, &a, &fam, &port_be) < 0)
		return -ENOENT;
	off = (uint32_t)ntohs(port_be) - cfg->port_min;
	if (off >= cfg->port_count)
		return -ENOENT;
	for (uint32_t i = 0; i < cfg->n_addrs && i < PIERCE_MAX_ADDRS; i++) {
		const struct pierce_local *l = &cfg->addrs[i];

		if (l->family == fam && !memcmp(l->addr.addr_be, a.addr_be, sizeof(a.addr_be)))
			return (int64_t)l->slot * cfg->port_count + off;
	}
	return -ENOENT;
}

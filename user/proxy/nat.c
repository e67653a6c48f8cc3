// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "nat.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sockaddr.h"

int nat_policy_parse(const char *s, enum nat_policy *out)
{
	static const char *const names[] = { "auto", "always", "never" };

	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum nat_policy)i;
			return 0;
		}
	return -EINVAL;
}

void nat_unmap(const struct sockaddr_storage *in, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)in;

	if (in->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;

		memset(out, 0, sizeof(*out));
		s4->sin_family = AF_INET;
		s4->sin_port = s6->sin6_port;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return;
	}
	*out = *in;
}

bool nat_sdp_differs(const struct sdp_info *sdp, const struct sockaddr_storage *src)
{
	struct sockaddr_storage s;

	nat_unmap(src, &s);
	if (sdp->n_media == 0) {
		if (!sdp->session.present)
			return false;
		return !sdp->session.parsed || !sa_equal_ip(&sdp->session.addr, &s);
	}
	for (unsigned i = 0; i < sdp->n_media; i++) {
		const struct sdp_conn *c = sdp_media_conn(sdp, i);

		if (!c->present)
			continue;
		if (!c->parsed || !sa_equal_ip(&c->addr, &s))
			return true;
	}
	return false;
}

bool nat_contact_differs(const struct sockaddr_storage *contact, const struct sockaddr_storage *src)
{
	struct sockaddr_storage a, b;

	nat_unmap(contact, &a);
	nat_unmap(src, &b);
	return !sa_equal(&a, &b);
}

bool nat_should_relay(enum nat_policy policy, const struct nat_facts *f)
{
	if (!f->has_sdp || f->already_relayed)
		return false;
	switch (policy) {
	case NAT_POLICY_ALWAYS:
		return true;
	case NAT_POLICY_NEVER:
		return false;
	case NAT_POLICY_AUTO:
	default:
		return f->caller_natted || f->callee_natted;
	}
}

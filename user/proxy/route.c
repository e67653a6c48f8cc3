// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Routing decisions and loop detection: no sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "sip_msg.h"
#include "sockaddr.h"

bool proxy_is_local_domain(const struct proxy *p, const char *host)
{
	for (unsigned i = 0; host && i < p->cfg.n_domains; i++)
		if (!strcasecmp(host, p->cfg.domains[i]))
			return true;
	return false;
}

bool proxy_is_self(const struct proxy *p, const osip_uri_t *uri)
{
	struct sockaddr_storage a;
	unsigned port = uri && uri->port && *uri->port ? (unsigned)atoi(uri->port) : SIP_DEFAULT_PORT;

	if (!uri || !uri->host)
		return false;
	if (!strcasecmp(uri->host, p->self_host) && port == p->self_port)
		return true;
	if (sip_uri_target(uri, &a))
		return false;
	for (unsigned i = 0; i < p->cfg.n_listen; i++)
		if (sa_equal(&a, &p->cfg.listen[i]))
			return true;
	return false;
}

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

uint32_t proxy_loop_hash(const osip_message_t *req)
{
	char *uri = NULL;
	uint32_t h = 2166136261u;

	if (osip_uri_to_str(req->req_uri, &uri) == 0) {
		h = fnv(h, uri);
		osip_free(uri);
	}
	h = fnv(h, sip_tag(req->from));
	h = fnv(h, req->call_id ? req->call_id->number : NULL);
	h = fnv(h, req->call_id ? req->call_id->host : NULL);
	h = fnv(h, req->cseq ? req->cseq->number : NULL);
	return h;
}

bool proxy_is_loop(const struct proxy *p, const osip_message_t *req)
{
	char prefix[32];
	int pos = 0;
	osip_via_t *via;

	snprintf(prefix, sizeof(prefix), PROXY_BRANCH_PREFIX "%08x.", proxy_loop_hash(req));
	while ((via = osip_list_get(&req->vias, pos++)) != NULL) {
		const char *b = sip_via_branch(via);
		unsigned port = via->port ? (unsigned)atoi(via->port) : SIP_DEFAULT_PORT;

		if (b && !strncmp(b, prefix, strlen(prefix)) && via->host && !strcasecmp(via->host, p->self_host) &&
		    port == p->self_port)
			return true;
	}
	return false;
}

static void pop_own_routes(struct proxy *p, osip_message_t *req)
{
	osip_route_t *r;

	while ((r = osip_list_get(&req->routes, 0)) != NULL && proxy_is_self(p, r->url)) {
		osip_list_remove(&req->routes, 0);
		osip_route_free(r);
	}
}

int route_decide(struct proxy *p, osip_message_t *req, uint64_t now_ms, struct route_out *out)
{
	osip_route_t *r;
	const osip_uri_t *ruri = req->req_uri;
	char aor[REG_AOR_MAX];

	memset(out, 0, sizeof(*out));
	pop_own_routes(p, req);
	r = osip_list_get(&req->routes, 0);
	if (r) {
		out->kind = sip_uri_target(r->url, &out->target) ? RK_NOT_FOUND : RK_NEXT_HOP;
		return 0;
	}
	if (ruri && ruri->host && (proxy_is_local_domain(p, ruri->host) || proxy_is_self(p, ruri)) &&
	    ruri->username && !sip_uri_aor(ruri, aor, sizeof(aor))) {
		const struct reg_binding *b = reg_lookup(&p->reg, aor, now_ms);

		if (b) {
			out->kind = RK_LOCAL;
			out->target = b->received;
			out->callee_nat = b->nat;
			snprintf(out->contact, sizeof(out->contact), "%s", b->contact);
			return 0;
		}
		/* served here but not registered here: another proxy may have it */
		out->kind = sip_tag(req->to) ? RK_NOT_FOUND : RK_REDIRECT;
		return 0;
	}
	if (ruri && !proxy_is_self(p, ruri) && !sip_uri_target(ruri, &out->target)) {
		out->kind = RK_NEXT_HOP;
		return 0;
	}
	out->kind = sip_tag(req->to) ? RK_NOT_FOUND : RK_REDIRECT;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Third-party REGISTERs from proxies (RFC 3261 10.3, without authentication):
 * To is the AOR, each Contact a proxy that serves it. The answer lists the
 * bindings as they stand afterwards.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "aor.h"
#include "log.h"
#include "redirect.h"
#include "sip_msg.h"

#define REGISTER_MAX_CONTACTS 32 /* more in one REGISTER is refused */

/* -1 when absent; -EINVAL when not a number. */
static long parse_delta(const char *s)
{
	char *end;
	long v;

	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -EINVAL;
	/* RFC 3261 20.19: values above 2**32-1 mean 2**32-1; we cut far lower anyway. */
	return v < 0 || v > 0x7fffffffL ? 0x7fffffffL : v;
}

static long header_expires(const osip_message_t *req)
{
	long v;
	int rc = sip_expires(req, &v);

	if (rc == -ENOENT)
		return -1;
	if (rc)
		return -EINVAL;
	return v > 0x7fffffffL ? 0x7fffffffL : v;
}

static long contact_expires(osip_contact_t *c, long dflt)
{
	osip_generic_param_t *p = NULL;

	osip_contact_param_get_byname(c, "expires", &p);
	if (!p)
		return dflt;
	return parse_delta(p->gvalue);
}

static int is_wildcard(const osip_contact_t *c)
{
	return c->displayname && !strcmp(c->displayname, "*") && !c->url;
}

/* One Contact: refresh, add or remove its binding. */
static int apply_contact(struct redirect *r, const char *aor, osip_contact_t *c, long hdr_exp, uint64_t now_ms,
			 bool dry_run, struct decision *d)
{
	char proxy[LOC_CONTACT_MAX];
	long exp = contact_expires(c, hdr_exp);
	int rc;

	if (exp == -EINVAL) {
		decision_set(d, 400, "Bad Expires");
		return 1;
	}
	if (aor_contact_from_uri(c->url, proxy, sizeof(proxy))) {
		decision_set(d, 400, "Bad Contact URI");
		return 1;
	}
	if (dry_run)
		return 0;
	if (exp < 0)
		exp = r->default_expires;
	if (exp == 0) {
		if (!r->loc->ops->del(r->loc, aor, proxy)) {
			r->metrics.unregistrations++;
			log_info("unregistered %s at %s", aor, proxy);
		}
		return 0;
	}
	if ((unsigned long)exp > r->max_expires)
		exp = r->max_expires;
	rc = r->loc->ops->put(r->loc, aor, proxy, (uint32_t)exp, now_ms);
	if (rc == -ENOSPC) {
		decision_set(d, 503, "Location Store Full");
		decision_add_header(d, "Retry-After", "60");
		return 1;
	}
	if (rc) {
		decision_set(d, 500, "Location Service Failure");
		return rc;
	}
	r->metrics.registrations++;
	log_debug("registered %s at %s for %lds", aor, proxy, exp);
	return 0;
}

/* 200 OK listing what aor is bound to now. */
static int list_bindings(struct redirect *r, const char *aor, uint64_t now_ms, struct decision *d)
{
	struct loc_binding b[LOC_CONTACTS_PER_AOR];
	int n = r->loc->ops->get(r->loc, aor, now_ms, b, LOC_CONTACTS_PER_AOR);

	if (n < 0) {
		decision_set(d, 500, "Location Service Failure");
		return n;
	}
	decision_set(d, 200, "OK");
	for (int i = 0; i < n; i++) {
		uint64_t left = (b[i].expires_at_ms - now_ms + 999) / 1000;
		int len = snprintf(d->contacts[i], DECISION_CONTACT_MAX, "<%s>;expires=%llu", b[i].contact,
				   (unsigned long long)left);

		if (len > 0 && len < DECISION_CONTACT_MAX)
			decision_add_header(d, "Contact", d->contacts[i]);
	}
	return 0;
}

int redirect_register(struct redirect *r, const osip_message_t *req, uint64_t now_ms, struct decision *d)
{
	long hdr_exp = header_expires(req);
	char aor[LOC_AOR_MAX];
	osip_contact_t *c;
	int n, rc;

	rc = aor_from_uri(req->to->url, aor, sizeof(aor));
	if (rc == -EPROTONOSUPPORT) {
		decision_set(d, 416, "Unsupported URI Scheme");
		return 0;
	}
	if (rc) {
		decision_set(d, 400, "Bad To URI");
		return 0;
	}
	if (hdr_exp == -EINVAL) {
		decision_set(d, 400, "Bad Expires");
		return 0;
	}
	n = osip_list_size(&req->contacts);
	if (n > REGISTER_MAX_CONTACTS) {
		decision_set(d, 400, "Too Many Contacts");
		return 0;
	}
	c = n > 0 ? osip_list_get(&req->contacts, 0) : NULL;
	if (c && is_wildcard(c)) {
		/* RFC 3261 10.3 step 6: "*" only alone and only with Expires: 0. */
		if (n != 1 || hdr_exp != 0) {
			decision_set(d, 400, "Invalid Wildcard Contact");
			return 0;
		}
		if (!r->loc->ops->del(r->loc, aor, NULL)) {
			r->metrics.unregistrations++;
			log_info("unregistered %s everywhere", aor);
		}
		return list_bindings(r, aor, now_ms, d);
	}
	/* Every Contact is checked before any is applied, so a bad one
	 * leaves the bindings as they were. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			c = osip_list_get(&req->contacts, i);
			if (!c || is_wildcard(c)) {
				decision_set(d, 400, "Invalid Wildcard Contact");
				return 0;
			}
			rc = apply_contact(r, aor, c, hdr_exp, now_ms, pass == 0, d);
			if (rc > 0)
				return 0; /* refused; d says why */
			if (rc < 0)
				return rc;
		}
	}
	return list_bindings(r, aor, now_ms, d);
}

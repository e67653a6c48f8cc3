// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "aor.h"
#include "redirect.h"
#include "sockaddr.h"

#define ALLOWED_METHODS "INVITE, ACK, CANCEL, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO"

void decision_set(struct decision *d, int status, const char *reason)
{
	d->status = status;
	d->reason = reason;
}

int decision_add_header(struct decision *d, const char *name, const char *value)
{
	if (d->nhdr >= REPLY_MAX_HEADERS)
		return -ENOSPC;
	d->hdr[d->nhdr].name = name;
	d->hdr[d->nhdr].value = value;
	d->nhdr++;
	return 0;
}

/* "<sip:user@proxy...>" from a stored proxy URI and the callee's user part. */
static int contact_for_user(const char *proxy_uri, const char *user, char *buf, size_t len)
{
	osip_uri_t *uri = NULL;
	char *s = NULL;
	int rc = -EINVAL, n;

	if (osip_uri_init(&uri) != OSIP_SUCCESS)
		return -ENOMEM;
	if (osip_uri_parse(uri, proxy_uri) != OSIP_SUCCESS)
		goto out;
	osip_free(uri->username);
	uri->username = osip_strdup(user);
	if (!uri->username) {
		rc = -ENOMEM;
		goto out;
	}
	if (osip_uri_to_str(uri, &s) != OSIP_SUCCESS)
		goto out;
	n = snprintf(buf, len, "<%s>", s);
	rc = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
out:
	osip_free(s);
	osip_uri_free(uri);
	return rc;
}

static int route_contact(const struct route *rt, char *buf, size_t len)
{
	char hp[SA_STR_MAX];
	int n = snprintf(buf, len, "sip:%s", sa_format(&rt->proxy, hp, sizeof(hp)));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* INVITE and every other out-of-dialog request aimed at a user. */
static int redirect_lookup(struct redirect *r, const osip_message_t *req, uint64_t now_ms, struct decision *d)
{
	struct loc_binding b[LOC_CONTACTS_PER_AOR];
	const osip_uri_t *ruri = req->req_uri;
	char aor[LOC_AOR_MAX];
	const struct route *rt;
	int n, rc;

	rc = aor_from_uri(ruri, aor, sizeof(aor));
	if (rc == -EPROTONOSUPPORT) {
		decision_set(d, 416, "Unsupported URI Scheme");
		return 0;
	}
	if (rc == -ENAMETOOLONG) {
		decision_set(d, 414, "Request-URI Too Long");
		return 0;
	}
	if (rc) {
		decision_set(d, 404, "Not Found");
		return 0;
	}
	n = r->loc->ops->get(r->loc, aor, now_ms, b, LOC_CONTACTS_PER_AOR);
	if (n < 0) {
		decision_set(d, 500, "Location Service Failure");
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (contact_for_user(b[i].contact, ruri->username, d->contacts[d->nhdr], DECISION_CONTACT_MAX) ||
		    decision_add_header(d, "Contact", d->contacts[d->nhdr]))
			continue; /* a binding that no longer renders is skipped, not fatal */
	}
	if (!d->nhdr && (rt = route_table_find(&r->routes, ruri->host)) != NULL) {
		char uri[LOC_CONTACT_MAX];

		if (!route_contact(rt, uri, sizeof(uri)) &&
		    !contact_for_user(uri, ruri->username, d->contacts[0], DECISION_CONTACT_MAX))
			decision_add_header(d, "Contact", d->contacts[0]);
	}
	if (d->nhdr)
		decision_set(d, 302, "Moved Temporarily");
	else
		decision_set(d, 404, "Not Found");
	return 0;
}

static int has_to_tag(const osip_message_t *req)
{
	osip_generic_param_t *tag = NULL;

	osip_to_get_tag(req->to, &tag);
	return tag != NULL;
}

int redirect_decide(struct redirect *r, const osip_message_t *req, uint64_t now_ms, struct decision *d)
{
	const char *m = req->sip_method;

	memset(d, 0, sizeof(*d));
	if (!strcmp(m, "ACK")) {
		decision_set(d, 0, NULL); /* ACK of our own final response */
		return 0;
	}
	if (has_to_tag(req) || !strcmp(m, "CANCEL")) {
		/* No dialogs and no pending transactions live here: every final
		 * answer was sent at once. */
		decision_set(d, 481, "Call/Transaction Does Not Exist");
		return 0;
	}
	if (!strcmp(m, "REGISTER"))
		return redirect_register(r, req, now_ms, d);
	if (!strcmp(m, "OPTIONS") && (!req->req_uri->username || !*req->req_uri->username)) {
		decision_set(d, 200, "OK");
		decision_add_header(d, "Allow", ALLOWED_METHODS);
		return 0;
	}
	return redirect_lookup(r, req, now_ms, d);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "aor.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

static bool scheme_is_sip(const char *scheme, bool *secure)
{
	if (!scheme)
		return false;
	*secure = !strcasecmp(scheme, "sips");
	return *secure || !strcasecmp(scheme, "sip");
}

/* The port when it is not the scheme's default, else NULL; -EINVAL if not numeric. */
static int significant_port(const osip_uri_t *uri, bool secure, unsigned long *port)
{
	char *end;

	*port = 0;
	if (!uri->port || !*uri->port)
		return 0;
	*port = strtoul(uri->port, &end, 10);
	if (*end || *port == 0 || *port > 65535)
		return -EINVAL;
	if (*port == (secure ? 5061UL : 5060UL))
		*port = 0;
	return 0;
}

/* Appends the lower-cased host, bracketed when it is an IPv6 literal. */
static int put_host(char *buf, size_t len, size_t *off, const char *host)
{
	bool v6 = strchr(host, ':') != NULL;
	size_t hl = strlen(host);

	if (*off + hl + (v6 ? 2 : 0) >= len)
		return -ENAMETOOLONG;
	if (v6)
		buf[(*off)++] = '[';
	for (size_t i = 0; i < hl; i++)
		buf[(*off)++] = (char)tolower((unsigned char)host[i]);
	if (v6)
		buf[(*off)++] = ']';
	buf[*off] = '\0';
	return 0;
}

static int put_str(char *buf, size_t len, size_t *off, const char *fmt_s, unsigned long v, bool numeric)
{
	int n = numeric ? snprintf(buf + *off, len - *off, ":%lu", v) : snprintf(buf + *off, len - *off, "%s", fmt_s);

	if (n < 0 || (size_t)n >= len - *off)
		return -ENAMETOOLONG;
	*off += (size_t)n;
	return 0;
}

/* Checks a sip/sips URI with a host; tells whether it is sips and its port. */
static int check_uri(const osip_uri_t *uri, size_t len, bool need_user, bool *secure, unsigned long *port)
{
	if (!uri || !len)
		return -EINVAL;
	if (!scheme_is_sip(uri->scheme, secure))
		return -EPROTONOSUPPORT;
	if ((need_user && (!uri->username || !*uri->username)) || !uri->host || !*uri->host)
		return -EINVAL;
	return significant_port(uri, *secure, port);
}

/* host[:port] after whatever buf holds. */
static int put_hostport(char *buf, size_t len, size_t *off, const char *host, unsigned long port)
{
	int rc = put_host(buf, len, off, host);

	if (!rc && port)
		rc = put_str(buf, len, off, NULL, port, true);
	return rc;
}

int aor_from_uri(const osip_uri_t *uri, char *buf, size_t len)
{
	unsigned long port;
	size_t off = 0;
	bool secure;
	int rc = check_uri(uri, len, true, &secure, &port);

	if (rc)
		return rc;
	/* libosip2 has already unescaped the user part. */
	rc = put_str(buf, len, &off, uri->username, 0, false);
	if (!rc)
		rc = put_str(buf, len, &off, "@", 0, false);
	return rc ? rc : put_hostport(buf, len, &off, uri->host, port);
}

int aor_from_str(const char *s, char *buf, size_t len)
{
	osip_uri_t *uri = NULL;
	int rc;

	if (!s || osip_uri_init(&uri) != OSIP_SUCCESS)
		return -EINVAL;
	if (osip_uri_parse(uri, s) != OSIP_SUCCESS) {
		rc = -EINVAL;
		goto out;
	}
	rc = aor_from_uri(uri, buf, len);
out:
	osip_uri_free(uri);
	return rc;
}

int aor_contact_from_uri(const osip_uri_t *uri, char *buf, size_t len)
{
	osip_uri_param_t *transport = NULL;
	unsigned long port;
	size_t off = 0;
	bool secure;
	int rc = check_uri(uri, len, false, &secure, &port);

	if (rc)
		return rc;
	rc = put_str(buf, len, &off, secure ? "sips:" : "sip:", 0, false);
	if (!rc)
		rc = put_hostport(buf, len, &off, uri->host, port);
	osip_uri_uparam_get_byname((osip_uri_t *)uri, "transport", &transport);
	if (!rc && transport && transport->gvalue && *transport->gvalue) {
		rc = put_str(buf, len, &off, ";transport=", 0, false);
		for (const char *t = transport->gvalue; !rc && *t; t++) {
			if (!isalnum((unsigned char)*t))
				return -EINVAL;
			if (off + 1 >= len)
				return -ENAMETOOLONG;
			buf[off++] = (char)tolower((unsigned char)*t);
			buf[off] = '\0';
		}
	}
	return rc;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Bytes in, bytes out: check, parse, decide, answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "log.h"
#include "redirect.h"
#include "sip_msg.h"
#include "sip_validate.h"
#include "sockaddr.h"

static void count_reply(struct redirect_metrics *m, int status)
{
	switch (status) {
	case 200: m->replies_200++; break;
	case 302: m->replies_302++; break;
	case 404: m->replies_404++; break;
	case 400: m->replies_400++; break;
	default: m->replies_other++; break;
	}
}

bool redirect_may_register(const struct redirect *r, const struct sockaddr_storage *src)
{
	if (!r->nregistrars)
		return true;
	for (size_t i = 0; src && i < r->nregistrars; i++)
		if (sa_equal_ip(&r->registrars[i], src))
			return true;
	return false;
}

static int is_ack_line(const char *buf, size_t len)
{
	return len >= 4 && !strncmp(buf, "ACK ", 4);
}

/* For requests libosip2 cannot be trusted with: answer from the raw lines. */
static void raw_error(struct redirect *r, const char *buf, size_t len, int status, const char *reason, char **out,
		      size_t *out_len)
{
	if (is_ack_line(buf, len)) {
		r->metrics.acks_absorbed++;
		return;
	}
	if (reply_raw(buf, len, status, reason, out, out_len)) {
		r->metrics.unanswerable++;
		return;
	}
	count_reply(&r->metrics, status);
	log_debug("answered %d %s to a malformed request", status, reason);
}

int redirect_handle(struct redirect *r, const char *buf, size_t len, const struct sockaddr_storage *src,
		    uint64_t now_ms, char **out, size_t *out_len)
{
	osip_message_t *msg = NULL;
	struct sip_verdict v;
	struct decision d;
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = sip_validate(buf, len, &v);
	if (!v.is_request) {
		r->metrics.responses_dropped++;
		return 0;
	}
	r->metrics.requests++;
	if (rc) {
		raw_error(r, buf, len, v.status ? v.status : 400, v.reason ? v.reason : "Bad Request", out, out_len);
		return 0;
	}
	rc = sip_parse(buf, v.msg_len, &msg);
	if (rc) {
		raw_error(r, buf, len, 400, "Malformed Message", out, out_len);
		return 0;
	}
	if (MSG_IS_REGISTER(msg) && !redirect_may_register(r, src)) {
		char a[SA_STR_MAX];

		log_warn("REGISTER from %s refused: not a --registrar", src ? sa_format(src, a, sizeof(a)) : "?");
		memset(&d, 0, sizeof(d));
		decision_set(&d, 403, "Forbidden");
	} else {
		rc = redirect_decide(r, msg, now_ms, &d);
		if (rc)
			log_warn("deciding on %s: %s", msg->sip_method, strerror(-rc));
	}
	if (!d.status) {
		r->metrics.acks_absorbed++;
		rc = 0;
		goto out;
	}
	/* RFC 3261 18.2.1, RFC 3581: name the address the request really came from. */
	if (src && src->ss_family) {
		rc = sip_via_fix_received(sip_top_via(msg), src, false);
		if (rc)
			goto out;
	}
	rc = reply_build(msg, d.status, d.reason, d.hdr, d.nhdr, out, out_len);
	if (rc) {
		log_warn("building %d for %s: %s", d.status, msg->sip_method, strerror(-rc));
		goto out;
	}
	count_reply(&r->metrics, d.status);
out:
	osip_message_free(msg);
	return rc;
}

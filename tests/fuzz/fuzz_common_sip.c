// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The SIP path every daemon runs on a datagram: stream framing, the strict
 * validator, libosip2 parsing of what it lets through, the raw 400 for what
 * it refuses, and the glue the proxy and redirect server then use (Via
 * received/rport and targets, URIs, tags, bodies, SDP facts, the relay
 * mark, responses, serialisation).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sip_frame.h"
#include "sip_msg.h"
#include "sip_sdp.h"
#include "sip_validate.h"
#include "sockaddr.h"

static struct sockaddr_storage src4, src6;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (sip_init() || sa_parse_hostport("198.51.100.7:40000", 0, &src4) ||
	    sa_parse_hostport("[2001:db8::7]:40000", 0, &src6))
		abort();
	return 0;
}

static void body_facts(const osip_message_t *msg)
{
	const char *body;
	size_t blen, olen;
	struct sdp_info info;
	char *out;

	if (sip_body(msg, &body, &blen) || !body || !blen)
		return;
	if (sdp_parse(body, blen, &info) == 0) {
		FUZZ_CHECK(info.n_media <= SDP_MAX_MEDIA, "%u media", info.n_media);
		for (unsigned i = 0; i < info.n_media; i++)
			(void)sdp_media_conn(&info, i);
	}
	out = malloc(blen + 64);
	FUZZ_CHECK(out != NULL, "oom");
	if (sdp_mark_relayed(body, blen, out, blen + 64, &olen) == 0)
		FUZZ_CHECK(olen <= blen + 64, "mark wrote %zu into %zu", olen, blen + 64);
	free(out);
}

static void uri_facts(const osip_uri_t *uri)
{
	struct sockaddr_storage t;
	char aor[256];

	if (!uri)
		return;
	(void)sip_uri_target(uri, &t);
	if (sip_uri_aor(uri, aor, sizeof(aor)) == 0)
		FUZZ_CHECK(strlen(aor) < sizeof(aor), "aor");
	(void)sip_uri_param(uri, "maddr");
	(void)sip_uri_param(uri, "transport");
	if (uri->scheme)
		(void)sip_scheme_supported(uri->scheme, strlen(uri->scheme));
}

static void serialize_and_free(osip_message_t *m)
{
	char *s = NULL;
	size_t n = 0;

	if (sip_serialize(m, &s, &n) == 0) {
		FUZZ_CHECK(s && n <= SIP_MAX_MSG, "serialised %zu bytes", n);
		osip_free(s);
	}
	osip_message_free(m);
}

static void parsed(osip_message_t *msg, bool is_request)
{
	osip_via_t *via = sip_top_via(msg);
	struct sockaddr_storage t;
	const char *v;
	long expires;

	FUZZ_CHECK(via != NULL, "sip_parse accepted a message without Via");
	(void)sip_via_branch(via);
	(void)sip_via_target(via, &t);
	(void)sip_tag(msg->from);
	(void)sip_tag(msg->to);
	(void)sip_expires(msg, &expires);
	(void)sip_header_value(msg, "Max-Forwards", &v);
	body_facts(msg);
	if (is_request) {
		osip_message_t *resp = NULL;
		osip_contact_t *c = NULL;

		uri_facts(msg->req_uri);
		if (msg->from)
			uri_facts(msg->from->url);
		if (osip_message_get_contact(msg, 0, &c) >= 0 && c)
			uri_facts(c->url);
		if (sip_make_response(msg, 200, NULL, "fuzztag", &resp) == 0)
			serialize_and_free(resp);
		if (sip_make_response(msg, 486, "Busy Here", NULL, &resp) == 0)
			serialize_and_free(resp);
	}
	/* what the proxy does before forwarding: stamp the Via, swap the body */
	(void)sip_via_fix_received(via, &src4, true);
	(void)sip_via_fix_received(via, &src6, false);
	(void)sip_via_target(via, &t);
	(void)sip_set_body(msg, "v=0\r\n", 5);
	serialize_and_free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct sip_verdict v = { 0 };
	osip_message_t *msg = NULL;
	size_t skip = 0, mlen = 0;
	int r;

	r = sip_frame(buf, size, SIP_MAX_MSG, &skip, &mlen);
	FUZZ_CHECK(r == 0 || r == 1 || r == -EMSGSIZE || r == -EBADMSG, "sip_frame %d", r);
	if (r == 1)
		FUZZ_CHECK(skip <= size && mlen <= size - skip, "frame %zu+%zu of %zu", skip, mlen, size);

	r = sip_validate(buf, size, &v);
	if (r) {
		char *out = NULL;
		size_t out_len = 0;

		FUZZ_CHECK(r == -EBADMSG && v.reason, "invalid verdict %d", r);
		/* a bad request is answered; a bad response is only dropped */
		FUZZ_CHECK(!v.is_request || (v.status >= 400 && v.status < 700), "request refused with %d", v.status);
		if (v.is_request && sip_raw_response(buf, size, v.status, v.reason, &src4, &out, &out_len) == 0) {
			FUZZ_CHECK(out_len > 0, "empty raw response");
			free(out);
		}
		goto out;
	}
	FUZZ_CHECK(v.hdr_len <= v.msg_len && v.msg_len <= size, "lengths %zu/%zu/%zu", v.hdr_len, v.msg_len, size);
	if (sip_parse(buf, v.msg_len, &msg) == 0)
		parsed(msg, v.is_request);
out:
	free(buf);
	return 0;
}

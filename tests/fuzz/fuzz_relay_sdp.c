// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The relay's SDP inspect and rewrite (libosip2's SDP parser underneath).
 * Input: one byte of rewrite options, then the SDP. What inspects must
 * rewrite, and the rewritten SDP must inspect again with the same m= lines,
 * the relay's ports, and the relay's address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "relay/relay_sdp.h"
#include "sockaddr.h"

static struct sockaddr_storage relay4, relay6;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz", LOG_LVL_ERR, false);
	if (sa_parse_ip("203.0.113.1", 0, &relay4) || sa_parse_ip("2001:db8::1", 0, &relay6))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsdp_info info, again;
	struct rsdp_rewrite rw;
	uint8_t opt;
	char *sdp, *out = NULL;
	size_t len, out_len = 0;
	int rc;

	if (size < 1)
		return 0;
	opt = data[0];
	len = size - 1;
	sdp = fuzz_dup(data + 1, len);
	rc = rsdp_inspect(sdp, len, &info);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM, "inspect %d", rc);
	if (rc)
		goto out;
	FUZZ_CHECK(info.n_media <= RSDP_MAX_MEDIA, "%u media", info.n_media);
	memset(&rw, 0, sizeof(rw));
	for (unsigned i = 0; i < info.n_media; i++) {
		rw.relay[i] = (opt & 0x80) ? relay6 : relay4;
		rw.port[i] = info.media[i].port ? (uint16_t)(30000 + 2 * i) : 0;
	}
	rw.remove_ice = opt & 1;
	rw.replace_origin = opt & 2;
	rw.no_rtcp_attr = opt & 4;
	rw.keep_zero_addr = opt & 8;
	rw.rtcp_mux = (enum rsdp_rtcp_mux)((opt >> 4) % 3);
	rw.loop_marker = (opt & 0x40) ? "r1" : NULL;
	rc = rsdp_rewrite(sdp, len, &rw, &out, &out_len);
	FUZZ_CHECK(rc == 0 || rc == -E2BIG || rc == -ENOMEM, "rewrite of an inspected SDP: %d", rc);
	if (rc)
		goto out;
	FUZZ_CHECK(out && out_len <= RSDP_MAX_LEN, "rewrote %zu bytes", out_len);
	FUZZ_CHECK(!memchr(out, '\0', out_len), "NUL in the rewritten SDP");
	rc = rsdp_inspect(out, out_len, &again);
	FUZZ_CHECK(rc == 0, "the rewritten SDP does not inspect (%d):\n%.*s", rc, (int)out_len, out);
	FUZZ_CHECK(again.n_media == info.n_media, "%u m= lines became %u", info.n_media, again.n_media);
	for (unsigned i = 0; i < info.n_media; i++) {
		FUZZ_CHECK(again.media[i].port == rw.port[i], "m= %u: port %u, relay's %u", i, again.media[i].port,
			   rw.port[i]);
		if (!rw.port[i] || (rw.keep_zero_addr && info.media[i].zero_addr))
			continue;
		FUZZ_CHECK(sa_equal_ip(&again.media[i].addr, &rw.relay[i]), "m= %u does not name the relay:\n%.*s", i,
			   (int)out_len, out);
	}
	if (rw.loop_marker)
		FUZZ_CHECK(again.loop_marker, "loop marker missing");
out:
	free(out);
	free(sdp);
	return 0;
}

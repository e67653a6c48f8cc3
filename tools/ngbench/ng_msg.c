// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ng requests of one benchmark cycle, shaped like those Kamailio's
 * rtpengine module sends (replace flags, received-from, "supports"), and
 * the reading of replies. */
#include "ngbench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bencode.h"

const char *const ngb_cmd_names[NGB_NCMDS] = { "offer", "answer", "delete" };

/* Each cycle has its own call-id, tags and media ports, so a relay sees as
 * many distinct calls as cycles. */
static int cycle_sdp(char *buf, size_t size, const char *ip, uint64_t id, bool callee)
{
	unsigned port = 20000 + (unsigned)((id * 2 + (callee ? 1 : 0)) % 20000) * 2;
	const char *fam = strchr(ip, ':') ? "IP6" : "IP4";
	int n = snprintf(buf, size,
			 "v=0\r\n"
			 "o=%s %llu 1 IN %s %s\r\n"
			 "s=-\r\n"
			 "c=IN %s %s\r\n"
			 "t=0 0\r\n"
			 "m=audio %u RTP/AVP 8 101\r\n"
			 "a=rtpmap:8 PCMA/8000\r\n"
			 "a=rtpmap:101 telephone-event/8000\r\n"
			 "a=sendrecv\r\n",
			 callee ? "callee" : "caller", (unsigned long long)id, fam, ip, fam, ip, port);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int ngb_build_request(char *buf, size_t size, const char *cookie, enum ngb_cmd cmd, uint64_t id,
		      const char *sdp_ip)
{
	struct bencode_buf b;
	char sdp[512], callid[64], from[32], to[32];
	int n, ret;

	snprintf(callid, sizeof(callid), "ngbench-%llu", (unsigned long long)id);
	snprintf(from, sizeof(from), "ft%llu", (unsigned long long)id);
	snprintf(to, sizeof(to), "tt%llu", (unsigned long long)id);
	bencode_buf_init_fixed(&b, buf, size); /* in place: no allocation per request */
	bencode_put_raw(&b, cookie, strlen(cookie));
	bencode_put_raw(&b, " ", 1);
	bencode_put_dict(&b);
	if (cmd != NGB_DELETE) {
		n = cycle_sdp(sdp, sizeof(sdp), sdp_ip, id, cmd == NGB_ANSWER);
		if (n < 0) {
			ret = n;
			goto out;
		}
		bencode_put_cstr(&b, "supports");
		bencode_put_list(&b);
		bencode_put_cstr(&b, "load limit");
		bencode_put_end(&b);
		bencode_put_cstr(&b, "sdp");
		bencode_put_str(&b, sdp, (size_t)n);
		bencode_put_cstr(&b, "replace");
		bencode_put_list(&b);
		bencode_put_cstr(&b, "origin");
		bencode_put_cstr(&b, "session-connection");
		bencode_put_end(&b);
	}
	bencode_put_kv_str(&b, "call-id", callid);
	bencode_put_cstr(&b, "received-from");
	bencode_put_list(&b);
	bencode_put_cstr(&b, strchr(sdp_ip, ':') ? "IP6" : "IP4");
	bencode_put_cstr(&b, sdp_ip);
	bencode_put_end(&b);
	bencode_put_kv_str(&b, "from-tag", from);
	if (cmd != NGB_OFFER)
		bencode_put_kv_str(&b, "to-tag", to);
	bencode_put_kv_str(&b, "command", ngb_cmd_names[cmd]);
	bencode_put_end(&b);
	ret = b.err ? b.err : (int)b.len;
out:
	bencode_buf_free(&b);
	return ret;
}

int ngb_parse_reply(const char *buf, size_t len, const char **cookie, size_t *cookie_len, char *why,
		    size_t why_size)
{
	/* rtpengine's delete reply carries the call's statistics: hundreds of
	 * nodes. Static: the tool has one thread. */
	static struct bencode_node pool[4096];
	struct bencode_tree t = { .nodes = pool, .cap = sizeof(pool) / sizeof(pool[0]) };
	struct bencode_node *root;
	const char *sp = memchr(buf, ' ', len);
	const char *result;
	size_t rlen, off;
	int ret;

	why[0] = '\0';
	if (!sp || sp == buf)
		return -EINVAL;
	*cookie = buf;
	*cookie_len = (size_t)(sp - buf);
	off = *cookie_len + 1;
	ret = bencode_decode(&t, buf + off, len - off, &root);
	if (ret) {
		snprintf(why, why_size, "undecodable reply: %s", bencode_strerror(ret));
		return ret;
	}
	if (root->type != BENCODE_DICT) {
		snprintf(why, why_size, "reply is not a dictionary");
		return -EINVAL;
	}
	result = bencode_dict_get_str(root, "result", &rlen);
	if (!result) {
		snprintf(why, why_size, "reply without a result");
		return -EINVAL;
	}
	if (rlen == 2 && !memcmp(result, "ok", 2))
		return 1;
	if (bencode_dict_get_strz(root, "error-reason", why, why_size))
		snprintf(why, why_size, "result %.*s", (int)(rlen > 32 ? 32 : rlen), result);
	return 0;
}

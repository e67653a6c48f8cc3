// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sdp_text writes exactly what libosip2's sdp_message_to_str writes, for
 * SDPs with every line type it knows, and fails where it fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_port.h>

#include "relay/sdp_text.h"

static const char *const sdps[] = {
	"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n",
	/* every optional line, session and media level */
	"v=0\r\no=alice 2890844526 2890844527 IN IP6 2001:db8::1\r\ns=Call\r\ni=A call\r\nu=http://x.test/a\r\n"
	"e=a@x.test\r\ne=b@x.test\r\np=+1 555 0100\r\nc=IN IP4 224.2.1.1/127/3\r\nb=CT:128\r\nb=AS:64\r\n"
	"t=2873397496 2873404696\r\nr=7d 1h 0 25h\r\nr=7d 1h 0 26h\r\nt=0 0\r\nz=2882844526 -1h 2898848070 0\r\n"
	"k=clear:secret\r\na=ice-lite\r\na=group:BUNDLE 0 1\r\n"
	"m=audio 49170/2 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 10.0.0.2\r\nc=IN IP4 10.0.0.3\r\nb=AS:32\r\nk=prompt\r\n"
	"a=rtcp:49171 IN IP4 10.0.0.2\r\na=rtcp-mux\r\n"
	"m=video 0 RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n"
	"m=application 5000 UDP/BFCP *\r\n",
	/* no s=, no c=, a bare last m= line */
	"v=0\r\no=x 2 3 IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP\r\n",
};

static void test_same_text_as_libosip2(void **state)
{
	for (size_t i = 0; i < sizeof(sdps) / sizeof(sdps[0]); i++) {
		sdp_message_t *m = NULL;
		char *want = NULL, got[4096];
		size_t len;

		assert_int_equal(sdp_message_init(&m), 0);
		assert_int_equal(sdp_message_parse(m, sdps[i]), 0);
		assert_int_equal(sdp_message_to_str(m, &want), 0);
		assert_int_equal(sdp_text(m, got, sizeof(got), &len), 0);
		assert_int_equal(len, strlen(want));
		assert_string_equal(got, want);
		/* one byte short of the text and its NUL: too big, nothing overrun (ASan) */
		assert_int_equal(sdp_text(m, got, len, &len), -E2BIG);
		osip_free(want);
		sdp_message_free(m);
	}
}

static void test_missing_mandatory_field(void **state)
{
	sdp_message_t *m = NULL;
	char *want = NULL, got[1024];
	size_t len;

	assert_int_equal(sdp_message_init(&m), 0);
	assert_int_equal(sdp_message_parse(m, sdps[0]), 0);
	osip_free(m->o_addr);
	m->o_addr = NULL;
	assert_true(sdp_message_to_str(m, &want) != 0);
	assert_int_equal(sdp_text(m, got, sizeof(got), &len), -EBADMSG);
	sdp_message_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_text_as_libosip2),
		cmocka_unit_test(test_missing_mandatory_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

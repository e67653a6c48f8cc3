// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "redirect/aor.h"
#include "redirect/location.h"

static int setup(void **state)
{
	return parser_init() ? -1 : 0;
}

static void expect_aor(const char *uri, const char *want)
{
	char buf[LOC_AOR_MAX];

	assert_int_equal(aor_from_str(uri, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_normalise(void **state)
{
	expect_aor("sip:bob@b.test", "bob@b.test");
	expect_aor("SIP:bob@B.TEST", "bob@b.test");            /* scheme and host fold */
	expect_aor("sips:bob@b.test", "bob@b.test");           /* same user over TLS */
	expect_aor("sip:Bob@b.test", "Bob@b.test");            /* the user part does not fold */
	expect_aor("sip:b%6Fb@b.test", "bob@b.test");          /* escapes compare unescaped */
	expect_aor("sip:bob@b.test:5060", "bob@b.test");       /* the default port is no port */
	expect_aor("sips:bob@b.test:5061", "bob@b.test");
	expect_aor("sip:bob@b.test:5070", "bob@b.test:5070");
	expect_aor("sip:bob@b.test;transport=tcp?subject=x", "bob@b.test"); /* params and headers ignored */
	expect_aor("sip:bob:secret@b.test", "bob@b.test");     /* password dropped */
	expect_aor("sip:bob@[2001:DB8::1]:5070", "bob@[2001:db8::1]:5070");
	expect_aor("sip:+4930123@192.0.2.1", "+4930123@192.0.2.1");
}

static void test_rejects(void **state)
{
	char buf[LOC_AOR_MAX], tiny[8];

	assert_int_equal(aor_from_str("tel:+4930123", buf, sizeof(buf)), -EPROTONOSUPPORT);
	assert_int_equal(aor_from_str("mailto:bob@b.test", buf, sizeof(buf)), -EPROTONOSUPPORT);
	assert_int_equal(aor_from_str("sip:b.test", buf, sizeof(buf)), -EINVAL); /* no user */
	assert_int_equal(aor_from_str("sip:bob@b.test:70000", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(aor_from_str("sip:bob@b.test:x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(aor_from_str("not a uri", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(aor_from_str(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(aor_from_str("sip:bob@b.test", tiny, sizeof(tiny)), -ENAMETOOLONG);
}

static void expect_contact(const char *uri, const char *want)
{
	osip_uri_t *u = NULL;
	char buf[LOC_CONTACT_MAX];

	assert_int_equal(osip_uri_init(&u), 0);
	assert_int_equal(osip_uri_parse(u, uri), 0);
	if (want) {
		assert_int_equal(aor_contact_from_uri(u, buf, sizeof(buf)), 0);
		assert_string_equal(buf, want);
	} else {
		assert_int_not_equal(aor_contact_from_uri(u, buf, sizeof(buf)), 0);
	}
	osip_uri_free(u);
}

static void test_contact(void **state)
{
	expect_contact("sip:192.0.2.10:5070", "sip:192.0.2.10:5070");
	expect_contact("sip:bob@192.0.2.10:5070;lr;ob", "sip:192.0.2.10:5070"); /* user, params dropped */
	expect_contact("sip:Proxy2.B.test", "sip:proxy2.b.test");
	expect_contact("sip:192.0.2.10:5060;transport=TCP", "sip:192.0.2.10;transport=tcp");
	expect_contact("sips:[2001:db8::2]:5061", "sips:[2001:db8::2]");
	expect_contact("sip:192.0.2.10;transport=t&p", NULL); /* nothing but letters and digits reaches a Contact we build */
	expect_contact("tel:+123", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_contact),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Keep-alives towards NATed contacts, and the options that bound the proxy's
 * background work: --nat-keepalive, --republish, --redirect-timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy.h"
#include "proxy/registrar.h"
#include "sockaddr.h"

struct seen {
	unsigned n;
	char last[REG_CONTACT_MAX];
};

static void note(const struct reg_binding *b, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", b->contact);
}

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage a;

	assert_int_equal(sa_parse_hostport(s, 5060, &a), 0);
	return a;
}

static void test_keepalive_only_nated_udp(void **state)
{
	struct registrar r;
	struct sockaddr_storage src = addr("203.0.113.7:40000");
	struct seen s = { 0 };

	assert_int_equal(reg_init(&r, 8), 0);
	assert_int_equal(reg_update(&r, "sip:a@x", "sip:a@10.0.0.1", &src, true, false, 3600, 1000), 0);
	assert_int_equal(reg_update(&r, "sip:b@x", "sip:b@203.0.113.7:40000", &src, false, false, 3600, 1000), 0);
	assert_int_equal(reg_update(&r, "sip:c@x", "sip:c@10.0.0.3", &src, true, true, 3600, 1000), 0);
	/* nothing is due before the interval since the REGISTER */
	assert_int_equal(reg_keepalive_due(&r, 15999, 15000, 10, note, &s), 0);
	/* the NATed UDP one only: not the public one, not the TCP one (its connection keeps the NAT) */
	assert_int_equal(reg_keepalive_due(&r, 16000, 15000, 10, note, &s), 1);
	assert_string_equal(s.last, "sip:a@10.0.0.1");
	/* it counts as heard: due again one interval later, not on every tick */
	assert_int_equal(reg_keepalive_due(&r, 17000, 15000, 10, note, &s), 0);
	assert_int_equal(reg_keepalive_due(&r, 31000, 15000, 10, note, &s), 1);
	/* a REGISTER in between moves it */
	assert_int_equal(reg_update(&r, "sip:a@x", "sip:a@10.0.0.1", &src, true, false, 3600, 40000), 0);
	assert_int_equal(reg_keepalive_due(&r, 46000, 15000, 10, note, &s), 0);
	assert_int_equal(reg_keepalive_due(&r, 55000, 15000, 10, note, &s), 1);
	/* an expired binding gets none */
	assert_int_equal(reg_update(&r, "sip:d@x", "sip:d@10.0.0.4", &src, true, false, 10, 60000), 0);
	assert_int_equal(reg_keepalive_due(&r, 71000, 1000, 10, note, &s), 1);
	assert_string_equal(s.last, "sip:a@10.0.0.1");
	assert_int_equal(s.n, 4);
	reg_free(&r);
}

static void test_keepalive_bounded_per_call(void **state)
{
	struct registrar r;
	struct sockaddr_storage src = addr("203.0.113.7:40000");
	struct seen s = { 0 };
	char aor[32];

	assert_int_equal(reg_init(&r, 100), 0);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(aor, sizeof(aor), "sip:u%u@x", i);
		assert_int_equal(reg_update(&r, aor, "sip:u@10.0.0.1", &src, true, false, 3600, 0), 0);
	}
	/* 100 due, 30 per call: every one served within four calls, none twice */
	assert_int_equal(reg_keepalive_due(&r, 20000, 15000, 30, note, &s), 30);
	assert_int_equal(reg_keepalive_due(&r, 21000, 15000, 30, note, &s), 30);
	assert_int_equal(reg_keepalive_due(&r, 22000, 15000, 30, note, &s), 30);
	assert_int_equal(reg_keepalive_due(&r, 23000, 15000, 30, note, &s), 10);
	assert_int_equal(reg_keepalive_due(&r, 24000, 15000, 30, note, &s), 0);
	assert_int_equal(s.n, 100);
	reg_free(&r);
}

static int load(struct proxy_config *cfg, const char *extra_name, const char *extra_value, char *err, size_t errlen)
{
	char *argv[] = { "pierce-proxy", "--listen", "127.0.0.1:5060", "--domain", "a.test", "--redirect",
			 "127.0.0.1:5070", (char *)extra_name, (char *)extra_value, NULL };
	int argc = extra_name ? 9 : 7;

	return proxy_config_load(cfg, argc, argv, err, errlen);
}

static void test_options(void **state)
{
	static const char *const bad[][2] = {
		{ "--nat-keepalive", "-1" },	{ "--nat-keepalive", "3601" }, { "--nat-keepalive", "15s" },
		{ "--nat-keepalive", "" },	{ "--republish", "-5" },	 { "--republish", "86401" },
		{ "--redirect-timeout", "0" }, { "--redirect-timeout", "33" }, { "--redirect-timeout", "x" },
	};
	struct proxy_config cfg;
	char err[256];

	assert_int_equal(load(&cfg, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.nat_keepalive_s, PROXY_NAT_KEEPALIVE_DEFAULT_S);
	assert_int_equal(cfg.republish_s, PROXY_REPUBLISH_DEFAULT_S);
	assert_int_equal(cfg.redirect_timeout_s, PROXY_REDIRECT_TIMEOUT_DEFAULT_S);
	/* shorter than the 30 s a Linux NAT keeps an idle UDP binding, and than Timer B */
	assert_true(PROXY_NAT_KEEPALIVE_DEFAULT_S < 30);
	assert_true(PROXY_REDIRECT_TIMEOUT_DEFAULT_S < 32);
	assert_int_equal(load(&cfg, "--nat-keepalive", "0", err, sizeof(err)), 0);
	assert_int_equal(cfg.nat_keepalive_s, 0);
	assert_int_equal(load(&cfg, "--republish", "0", err, sizeof(err)), 0);
	assert_int_equal(cfg.republish_s, 0);
	assert_int_equal(load(&cfg, "--redirect-timeout", "2", err, sizeof(err)), 0);
	assert_int_equal(cfg.redirect_timeout_s, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load(&cfg, bad[i][0], bad[i][1], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i][0] + 2));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_only_nated_udp),
		cmocka_unit_test(test_keepalive_bounded_per_call),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

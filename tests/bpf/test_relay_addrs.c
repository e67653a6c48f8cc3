// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Finding the relay address of a packet with all PIERCE_MAX_ADDRS in use:
 * cfg.addr_by_last, the shared last bytes that fall back to a scan, and
 * foreign addresses that share a last byte with a relay address.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define P_IN  20010 /* relay port every leg listens on */
#define P_OUT 20011

/* Last bytes: v4 .1 three times and v6 ::1 twice (scans), .5 / ::5 once
 * (direct), v6 ::42 with no v4 relay address ending in 0x42. */
static const char *const relay_addrs[PIERCE_MAX_ADDRS] = {
	"10.7.0.5",  "10.9.0.1",  "10.7.0.1",  "10.7.1.1",  "10.7.0.6",  "10.7.0.7",  "10.7.0.8",  "10.7.0.9",
	"10.7.0.10", "10.7.0.11", "fd00:7::5", "fd00:9::1", "fd00:7::1", "fd00:7::6", "fd00:7::42", "fd00:7::7",
};

/* Same last byte as a relay address, none of them ours. */
static const char *const foreign_addrs[] = {
	"10.7.2.5", "10.7.9.1", "10.9.0.5", "10.7.0.66", "fd00:7::2:5", "fd00:6::1", "fd00:9::42", "fd00:7::1:7",
};

static int group_setup(void **state)
{
	(void)state;
	return t_netns_setup() || t_dp_open_addrs(relay_addrs, PIERCE_MAX_ADDRS) ? -1 : 0;
}

static bool is_v6(const char *ip)
{
	return strchr(ip, ':') != NULL;
}

/* A leg on every relay address, all on P_IN, each to the on-link peer. */
static void set_all_legs(void)
{
	for (int i = 0; i < PIERCE_MAX_ADDRS; i++) {
		const char *a = relay_addrs[i];
		uint32_t idx = t_index(a, P_IN);
		struct pierce_leg l;

		assert_true(idx < pierce_dp_leg_count(T.dp));
		t_leg(&l, a, P_OUT, NULL, is_v6(a) ? T_PEER6 : T_PEER4, 6000, PIERCE_SRC_STRICT);
		assert_int_equal(pierce_dp_leg_set(T.dp, idx, &l, true), 0);
	}
}

static uint64_t leg_packets(const char *relay)
{
	struct pierce_leg l;

	assert_int_equal(pierce_dp_leg_get(T.dp, t_index(relay, P_IN), &l), 0);
	return l.packets;
}

static int run_to(const char *dst, struct t_run *r, uint8_t *f, size_t *n)
{
	struct t_frame_spec in = { .src = is_v6(dst) ? T_PEER6 : T_PEER4, .dst = dst, .sport = 4000,
				   .dport = P_IN, .payload = 40 };

	*n = t_build(f, 2048, &in);
	return t_run(f, *n, r);
}

static void test_table_built_by_open(void **state)
{
	struct pierce_cfg c;

	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	assert_int_equal(c.addr_by_last[0][5], 0 + 1);
	assert_int_equal(c.addr_by_last[0][1], PIERCE_ADDR_SCAN);
	assert_int_equal(c.addr_by_last[0][11], 9 + 1);
	assert_int_equal(c.addr_by_last[0][0x42], 0);
	assert_int_equal(c.addr_by_last[1][5], 10 + 1);
	assert_int_equal(c.addr_by_last[1][1], PIERCE_ADDR_SCAN);
	assert_int_equal(c.addr_by_last[1][0x42], 14 + 1);
	assert_int_equal(c.addr_by_last[1][11], 0);
}

/* Each relay address, direct or scanned, reaches its own leg and no other. */
static void test_every_address_finds_its_leg(void **state)
{
	uint8_t f[2048];
	struct t_run r;
	size_t n;

	set_all_legs();
	for (int i = 0; i < PIERCE_MAX_ADDRS; i++) {
		uint64_t tx = t_count(PIERCE_R_FWD_TX);

		assert_int_equal(run_to(relay_addrs[i], &r, f, &n), 0);
		if (r.action != XDP_TX)
			fail_msg("%s: action %d, want XDP_TX", relay_addrs[i], r.action);
		assert_int_equal(t_count(PIERCE_R_FWD_TX), tx + 1);
		for (int j = 0; j < PIERCE_MAX_ADDRS; j++)
			if (leg_packets(relay_addrs[j]) != (j <= i ? 1u : 0u))
				fail_msg("after %s: leg of %s has %" PRIu64 " packets", relay_addrs[i], relay_addrs[j],
					 leg_packets(relay_addrs[j]));
	}
}

/* A foreign address with a relay address's last byte is left alone. */
static void test_shared_last_byte_not_ours(void **state)
{
	uint8_t f[2048];
	struct t_run r;
	size_t n;

	set_all_legs();
	for (size_t i = 0; i < sizeof(foreign_addrs) / sizeof(foreign_addrs[0]); i++) {
		uint64_t not_ours = t_count(PIERCE_R_NOT_OURS), all = t_count_all();

		assert_int_equal(run_to(foreign_addrs[i], &r, f, &n), 0);
		if (r.action != XDP_PASS)
			fail_msg("%s: action %d, want XDP_PASS", foreign_addrs[i], r.action);
		assert_int_equal(r.out_len, n);
		assert_memory_equal(r.out, f, n);
		assert_int_equal(t_count(PIERCE_R_NOT_OURS), not_ours + 1);
		assert_int_equal(t_count_all(), all + 1);
	}
	for (int j = 0; j < PIERCE_MAX_ADDRS; j++)
		assert_int_equal(leg_packets(relay_addrs[j]), 0);
}

/* pierce_dp_cfg_set rebuilds the table from addrs whatever it is given:
 * a cleared one, or one from before the addresses moved. */
static void test_cfg_set_rebuilds_table(void **state)
{
	struct pierce_cfg c, orig;
	uint8_t f[2048];
	struct t_run r;
	size_t n;

	set_all_legs();
	assert_int_equal(pierce_dp_cfg_get(T.dp, &orig), 0);
	c = orig;
	memset(c.addr_by_last, 0, sizeof(c.addr_by_last));
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	assert_int_equal(run_to("10.7.0.5", &r, f, &n), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(leg_packets("10.7.0.5"), 1);

	set_all_legs(); /* counters back to 0 */
	/* slots 0 and 1 swap addresses (the same slots: legs stay put); the table given is stale */
	c = orig;
	c.addrs[0].addr = orig.addrs[1].addr;
	c.addrs[1].addr = orig.addrs[0].addr;
	assert_int_equal(pierce_dp_cfg_set(T.dp, &c), 0);
	assert_int_equal(pierce_dp_cfg_get(T.dp, &c), 0);
	assert_int_equal(c.addr_by_last[0][5], 1 + 1);
	assert_int_equal(run_to("10.9.0.1", &r, f, &n), 0); /* now slot 0: the leg made for 10.7.0.5 */
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(leg_packets("10.9.0.1"), 1);
	assert_int_equal(run_to("10.7.0.5", &r, f, &n), 0);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(leg_packets("10.7.0.5"), 1); /* slot 1 now, the leg made for 10.9.0.1 */
	assert_int_equal(pierce_dp_cfg_set(T.dp, &orig), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_built_by_open),
		cmocka_unit_test(test_every_address_finds_its_leg),
		cmocka_unit_test(test_shared_last_byte_not_ours),
		cmocka_unit_test(test_cfg_set_rebuilds_table),
	};

	return cmocka_run_group_tests(tests, group_setup, t_group_teardown);
}

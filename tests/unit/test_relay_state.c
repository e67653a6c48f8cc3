// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Restart adoption: the state file round trip, and legs without a record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay/call_legs.h"
#include "relay/relay.h"
#include "relay/state_file.h"
#include "sockaddr.h"

#define PORT_MIN 30000
#define PORT_COUNT 16
#define SEC NS_PER_SEC

static struct pierce_leg legs[PORT_COUNT];

static int fake_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	legs[i] = *l;
	return 0;
}

static int fake_clear(void *ctx, uint32_t i)
{
	memset(&legs[i], 0, sizeof(legs[i]));
	return 0;
}

static int fake_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	if (i >= PORT_COUNT)
		return -ENOENT;
	*out = legs[i];
	return 0;
}

static void init(struct relay *r)
{
	struct relay_addr a = { .slot = 0 };
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600, .delete_delay_s = 30, .tos = -1 };
	struct relay_dp_ops dp = { .leg_set = fake_set, .leg_clear = fake_clear, .leg_get = fake_get };

	sa_parse_ip("10.9.0.1", 0, &a.local);
	a.advertised = a.local;
	assert_int_equal(relay_init(r, &a, 1, PORT_MIN, PORT_COUNT, &set, &dp, 1000 * SEC), 0);
}

/* One answered call made by hand, as offer and answer would leave it. */
static void set_addr(union call_addr *a, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	assert_int_equal(sa_parse_ip(ip, port, &ss), 0);
	call_addr_set(a, &ss);
}

static struct call *make_call(struct relay *r)
{
	struct call *c;
	struct call_media *m;

	assert_int_equal(call_add(&r->calls, "abc@host with space", 1000 * SEC, &c), 0);
	assert_int_equal(call_set_tag(c, 0, "tag-a"), 0);
	assert_int_equal(call_set_tag(c, 1, "tag-b"), 0);
	c->state = CALL_ANSWERED;
	assert_int_equal(call_media_reserve(c, 1), 0);
	c->n_media = 1;
	m = &c->media[0];
	strcpy(m->type, "audio");
	strcpy(m->proto, "RTP/AVP");
	m->port[0] = (uint16_t)port_pool_alloc(&r->ports[0]);
	m->port[1] = (uint16_t)port_pool_alloc(&r->ports[0]);
	set_addr(&m->dest[0], "192.0.2.1", 4000);
	set_addr(&m->dest[1], "192.0.2.2", 5000);
	set_addr(&m->allow[0], "192.0.2.1", 0);
	m->dest_rtcp[0] = 4001;
	m->dest_rtcp[1] = 5001;
	assert_int_equal(call_legs_install(r, c, true), 0);
	return c;
}

static void test_roundtrip(void **state)
{
	struct relay a, b;
	struct call *c, *back;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(legs, 0, sizeof(legs));
	init(&a);
	c = make_call(&a);
	f = open_memstream(&text, &len);
	assert_int_equal(state_file_write(&a, f, 0), 0);
	fclose(f);
	assert_non_null(strstr(text, STATE_FILE_MAGIC "\ncall "));

	init(&b); /* the restarted relay; the legs are still in the map */
	f = fmemopen(text, len, "r");
	assert_int_equal(state_file_adopt(&b, f, 1000 * SEC), 1);
	fclose(f);
	back = call_find(&b.calls, "abc@host with space");
	assert_non_null(back);
	assert_string_equal(call_tag(back, 1), "tag-b");
	assert_string_equal(call_tag(back, 0), "tag-a");
	assert_int_equal(back->state, CALL_ANSWERED);
	assert_int_equal(back->media[0].port[0], c->media[0].port[0]);
	assert_int_equal(back->media[0].port[1], c->media[0].port[1]);
	assert_memory_equal(&back->media[0].dest[1], &c->media[0].dest[1], sizeof(c->media[0].dest[1]));
	assert_int_equal(back->media[0].dest[1].family, AF_INET);
	assert_true(port_pool_in_use(&b.ports[0], c->media[0].port[0]));
	assert_int_equal(port_pool_used(&b.ports[0]), 2);
	/* a new call never gets the adopted ports */
	for (int i = 0; i < 6; i++) {
		int p = port_pool_alloc(&b.ports[0]);

		assert_int_not_equal(p, c->media[0].port[0]);
		assert_int_not_equal(p, c->media[0].port[1]);
	}
	free(text);
	relay_free(&a);
	relay_free(&b);
}

/* The background save: a child writes the snapshot the parent had at fork
 * time, whatever the parent changes afterwards, and renames it in place. */
static void test_save_in_background(void **state)
{
	char dir[] = "/tmp/pierce-state-XXXXXX", path[128], *text = NULL, line[256];
	struct relay a, b;
	size_t len = 0;
	pid_t pid;
	int st;
	FILE *f;

	memset(legs, 0, sizeof(legs));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/state", dir); /* the directory is made too */
	init(&a);
	make_call(&a);
	f = open_memstream(&text, &len);
	assert_int_equal(state_file_write(&a, f, 0), 0);
	fclose(f);

	assert_int_equal(state_file_save_bg(&a, ""), 0); /* no path: nothing to do */
	pid = state_file_save_bg(&a, path);
	assert_true(pid > 0);
	call_remove(&a.calls, call_find(&a.calls, "abc@host with space")); /* after the fork */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	f = fopen(path, "r");
	assert_non_null(f);
	{
		char *got = NULL;
		size_t glen = 0;
		FILE *g = open_memstream(&got, &glen);

		while (fgets(line, sizeof(line), f))
			fputs(line, g);
		fclose(g);
		assert_string_equal(got, text); /* the snapshot, the call still in it */
		free(got);
	}
	fclose(f);
	snprintf(line, sizeof(line), "%s.tmp.%ld", path, (long)pid);
	assert_int_equal(access(line, F_OK), -1); /* renamed, no temporary left */

	/* the saved file adopts as a synchronous one does */
	init(&b);
	assert_int_equal(state_adopt(&b, path, 1000 * SEC), 1);
	assert_non_null(call_find(&b.calls, "abc@host with space"));

	/* a writer that cannot write exits non-zero */
	snprintf(path, sizeof(path), "/proc/pierce-no-such-dir/state");
	pid = state_file_save_bg(&b, path);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);

	snprintf(line, sizeof(line), "rm -rf '%s'", dir);
	assert_int_equal(system(line), 0);
	free(text);
	relay_free(&a);
	relay_free(&b);
}

static void test_orphan_legs_and_garbage(void **state)
{
	struct relay a, b;
	struct call *c;
	char garbage[] = "pierce-relay-state 1\ncall zz - - 9 0 0 0 1\nmedia junk\ncall 41 - - 1 0 -1 0 1\n"
			 "media 61 62 0 99999 1 0 0 0 0 - - - -\n";
	FILE *f;

	memset(legs, 0, sizeof(legs));
	init(&a);
	c = make_call(&a);
	init(&b);
	f = fmemopen(garbage, strlen(garbage), "r");
	/* the bad records are skipped; call "A" has no usable media; the legs become one adopted call */
	assert_int_equal(state_file_adopt(&b, f, 1000 * SEC), 2);
	fclose(f);
	assert_non_null(call_find(&b.calls, "A"));
	assert_int_equal(call_find(&b.calls, "A")->media[0].port[0], 0);
	assert_int_equal(b.calls.count, 2);
	assert_int_equal(port_pool_used(&b.ports[0]), 2);
	assert_true(port_pool_in_use(&b.ports[0], c->media[0].port[0]));
	assert_true(port_pool_in_use(&b.ports[0], c->media[0].port[1]));
	/* the adopted call ends by timeout like any other */
	relay_tick(&b, 1000 * SEC + 3601 * SEC);
	assert_int_equal(port_pool_used(&b.ports[0]), 0);
	relay_free(&a);
	relay_free(&b);
}

/* A call's tags and addresses take what they need (memory per call). */
static void test_call_tags_and_addrs(void **state)
{
	struct call_table t;
	struct call *c;
	struct sockaddr_storage ss, back;
	union call_addr a;
	char longtag[CALL_TAG_MAX + 2];

	assert_int_equal(call_table_init(&t, 4), 0);
	assert_int_equal(call_add(&t, "tags@x", 1, &c), 0);
	assert_string_equal(call_tag(c, 0), "");
	assert_int_equal(call_side_of(c, ""), -1);
	assert_int_equal(call_set_tag(c, 1, "to-1"), 0);
	assert_int_equal(call_set_tag(c, 0, "from"), 0);
	assert_string_equal(call_tag(c, 0), "from");
	assert_string_equal(call_tag(c, 1), "to-1");
	assert_int_equal(call_set_tag(c, 1, "another-fork-tag"), 0); /* a longer one */
	assert_string_equal(call_tag(c, 0), "from");
	assert_string_equal(call_tag(c, 1), "another-fork-tag");
	assert_int_equal(call_set_tag(c, 0, "f"), 0);
	assert_string_equal(call_tag(c, 1), "another-fork-tag");
	assert_int_equal(call_side_of(c, "another-fork-tag"), 1);
	assert_int_equal(call_side_of(c, "f"), 0);
	memset(longtag, 'x', sizeof(longtag) - 1);
	longtag[sizeof(longtag) - 1] = '\0';
	assert_int_equal(call_set_tag(c, 0, longtag), -ENAMETOOLONG);
	assert_string_equal(call_tag(c, 0), "f");
	longtag[CALL_TAG_MAX] = '\0';
	assert_int_equal(call_set_tag(c, 0, longtag), 0);
	assert_string_equal(call_tag(c, 0), longtag);
	assert_string_equal(call_tag(c, 1), "another-fork-tag");

	assert_true(sizeof(a) <= 28);
	assert_int_equal(sa_parse_ip("2001:db8::7", 5004, &ss), 0);
	call_addr_set(&a, &ss);
	call_addr_get(&a, &back);
	assert_true(sa_equal(&back, &ss));
	assert_int_equal(sa_port(&back), 5004);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX; /* not an IP address: unknown */
	call_addr_set(&a, &ss);
	assert_int_equal(a.family, AF_UNSPEC);
	call_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_tags_and_addrs),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_save_in_background),
		cmocka_unit_test(test_orphan_legs_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

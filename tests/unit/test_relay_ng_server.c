// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ng socket serves requests in batches (recvmmsg, sendmmsg): more
 * requests than one batch holds, waiting at once, all get their own reply
 * in one wakeup of the loop; a malformed datagram or one from outside
 * --ng-allow in the middle of a batch gets none and holds up nothing.
 * Loopback only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "relay/ng_server.h"
#include "relay/relay.h"
#include "sockaddr.h"

#define REQUESTS 45 /* more than one batch (32), fewer than one wakeup serves (64) */

static int no_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset) { return 0; }
static int no_clear(void *ctx, uint32_t i) { return 0; }
static int no_get(void *ctx, uint32_t i, struct pierce_leg *out) { return -ENOENT; }

struct fixture {
	struct relay r;
	struct ng_server srv;
	struct ev_loop *loop;
	struct cidr allow;
	struct sockaddr_storage at; /* where the server listens */
	int cli, other;             /* allowed client; one on 127.0.0.2, not allowed */
};

static int client_socket(const char *ip)
{
	struct sockaddr_storage ss;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(sa_parse_ip(ip, 0, &ss), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sa_len(&ss)), 0);
	return fd;
}

static int setup(void **state)
{
	static struct fixture f;
	struct relay_settings set = { .timeout_s = 60, .silent_timeout_s = 3600 };
	struct relay_dp_ops dp = { .leg_set = no_set, .leg_clear = no_clear, .leg_get = no_get };
	struct relay_addr addr;
	struct sockaddr_storage bind_to;
	socklen_t len = sizeof(f.at);

	memset(&f, 0, sizeof(f));
	memset(&addr, 0, sizeof(addr));
	sa_parse_ip("127.0.0.1", 0, &addr.local);
	addr.advertised = addr.local;
	assert_int_equal(relay_init(&f.r, &addr, 1, 30000, 16, &set, &dp, 0), 0);
	f.loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f.loop);
	sa_parse_ip("127.0.0.1", 0, &f.allow.net);
	f.allow.prefix = 32;
	sa_parse_ip("127.0.0.1", 0, &bind_to);
	assert_int_equal(ng_server_start(&f.srv, f.loop, &f.r, &bind_to, &f.allow, 1), 0);
	assert_int_equal(getsockname(f.srv.fd, (struct sockaddr *)&f.at, &len), 0);
	f.cli = client_socket("127.0.0.1");
	f.other = client_socket("127.0.0.2");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->cli);
	close(f->other);
	ng_server_stop(&f->srv, f->loop);
	ev_loop_destroy(f->loop);
	relay_free(&f->r);
	return 0;
}

static void send_to(struct fixture *f, int fd, const char *msg)
{
	assert_int_equal(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&f->at, sa_len(&f->at)),
			 (ssize_t)strlen(msg));
}

/* Waits until the server's socket has something to read (a bounded wait). */
static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 2000), 1);
}

static void test_batches_answer_every_request(void **state)
{
	struct fixture *f = *state;
	bool seen[REQUESTS] = { false };
	char msg[128], reply[2048];
	unsigned got = 0;

	for (int i = 0; i < REQUESTS; i++) {
		snprintf(msg, sizeof(msg), "c%d d7:command4:pinge", i);
		send_to(f, f->cli, msg);
		if (i == 10)
			send_to(f, f->cli, "no-dictionary-here"); /* no cookie: no reply */
		if (i == 20)
			send_to(f, f->other, "x1 d7:command4:pinge"); /* not allowed: no reply */
	}
	wait_readable(f->srv.fd);
	ev_run(f->loop, EVRUN_NOWAIT); /* one wakeup */
	for (;;) {
		ssize_t n = recv(f->cli, reply, sizeof(reply) - 1, MSG_DONTWAIT);
		int i;

		if (n < 0)
			break;
		reply[n] = '\0';
		assert_int_equal(sscanf(reply, "c%d ", &i), 1);
		assert_true(i >= 0 && i < REQUESTS);
		assert_false(seen[i]);
		assert_non_null(strstr(reply, "6:result4:pong"));
		seen[i] = true;
		got++;
	}
	assert_int_equal(got, REQUESTS);
	assert_int_equal(recv(f->other, reply, sizeof(reply), MSG_DONTWAIT), -1);
	assert_int_equal(f->r.cnt.ng_denied, 1);
	assert_int_equal(f->r.cnt.ng_malformed, 1);
	assert_int_equal(f->r.cnt.ng[NG_CMD_PING][NG_OK], REQUESTS);
}

/* A retransmission inside the same batch as its original gets the same
 * reply from the cache, not a second answer. */
static void test_retransmission_in_one_batch(void **state)
{
	struct fixture *f = *state;
	char a[2048], b[2048];
	ssize_t na, nb;

	send_to(f, f->cli, "r1 d7:command5:offer7:call-id1:xe");
	send_to(f, f->cli, "r1 d7:command5:offer7:call-id1:xe");
	wait_readable(f->srv.fd);
	ev_run(f->loop, EVRUN_NOWAIT);
	na = recv(f->cli, a, sizeof(a), MSG_DONTWAIT);
	nb = recv(f->cli, b, sizeof(b), MSG_DONTWAIT);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	assert_int_equal(f->r.cnt.ng_retransmits, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_answer_every_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_in_one_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

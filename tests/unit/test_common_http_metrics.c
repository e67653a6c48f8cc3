// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shared /metrics server: routing, and real loopback sockets on a libev
 * loop: a silent client does not hold up another, a large body arrives
 * whole through partial sends, extra clients are refused, idle ones time out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_metrics.h"

#define BIG_BODY (512 * 1024)

static int route(const char *s)
{
	return http_metrics_route(s, strlen(s));
}

static void test_route(void **state)
{
	char full[HTTP_METRICS_REQ_MAX];

	assert_int_equal(route("GET /metrics HTTP/1.0\r\n\r\n"), 200);
	assert_int_equal(route("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
	assert_int_equal(route("GET /metrics HTTP/1.0\n\n"), 200);
	assert_int_equal(route("GET / HTTP/1.0\r\n\r\n"), 404);
	assert_int_equal(route("GET /metricsx HTTP/1.0\r\n\r\n"), 404);
	assert_int_equal(route("GET /metrics"), 400); /* not complete yet */
	assert_int_equal(route("POST /metrics HTTP/1.0\r\n\r\n"), 405);
	assert_int_equal(route("\r\n\r\n"), 405);
	memset(full, 'a', sizeof(full));
	assert_int_equal(http_metrics_route(full, sizeof(full)), 431);
}

static size_t rendered;

static int render_big(void *arg, FILE *out)
{
	for (size_t i = 0; i < BIG_BODY / 16; i++)
		fputs("metric_x 123456\n", out);
	rendered++;
	return 0;
}

static int render_fail(void *arg, FILE *out)
{
	return -EIO;
}

static int free_port(struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	socklen_t l = sizeof(*in);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)in, sizeof(*in)) || getsockname(fd, (struct sockaddr *)in, &l))
		return -1;
	close(fd);
	return 0;
}

static int connect_to(const struct sockaddr_storage *ss)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	if (connect(fd, (const struct sockaddr *)ss, sizeof(struct sockaddr_in)) && errno != EINPROGRESS)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Runs the loop and reads fd until the server closes it or `secs` pass;
 * returns the bytes read into buf (NUL-terminated), -1 on timeout. */
static ssize_t read_all(struct ev_loop *loop, int fd, char *buf, size_t cap, double secs)
{
	double end = now_s() + secs;
	size_t got = 0;

	while (now_s() < end) {
		ssize_t n;

		ev_run(loop, EVRUN_NOWAIT);
		n = recv(fd, buf + got, cap - 1 - got, MSG_DONTWAIT);
		if (n == 0) {
			buf[got] = '\0';
			return (ssize_t)got;
		}
		if (n > 0)
			got += (size_t)n;
		else if (errno != EAGAIN)
			return -1;
		else
			poll(NULL, 0, 1);
	}
	return -1;
}

static void send_str(int fd, const char *s)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void test_serve(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sockaddr_storage at;
	struct http_metrics *h = NULL;
	char *buf = malloc(BIG_BODY + 4096);
	int silent, fd, extra[HTTP_METRICS_CLIENTS];
	ssize_t n;
	const char *body;

	assert_non_null(buf);
	assert_int_equal(free_port(&at), 0);
	assert_int_equal(http_metrics_start(loop, &at, render_big, NULL, &h), 0);

	/* a client that says nothing holds one slot, not the loop */
	silent = connect_to(&at);
	ev_run(loop, EVRUN_NOWAIT);
	fd = connect_to(&at);
	send_str(fd, "GET /metrics HTTP/1.0\r\n\r\n");
	n = read_all(loop, fd, buf, BIG_BODY + 4096, 5);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "HTTP/1.0 200 OK\r\n"));
	body = strstr(buf, "\r\n\r\n");
	assert_non_null(body);
	assert_int_equal((size_t)n - (size_t)(body + 4 - buf), BIG_BODY); /* whole, through partial sends */
	assert_non_null(strstr(buf, "Content-Length: 524288\r\n"));
	close(fd);

	/* a wrong path is 404 and renders nothing */
	rendered = 0;
	fd = connect_to(&at);
	send_str(fd, "GET /other HTTP/1.0\r\n\r\n");
	assert_true(read_all(loop, fd, buf, 4096, 5) > 0);
	assert_non_null(strstr(buf, "HTTP/1.0 404 "));
	assert_int_equal(rendered, 0);
	close(fd);

	/* every slot taken (the silent one and 7 more): the next is closed at once */
	for (int i = 0; i < HTTP_METRICS_CLIENTS - 1; i++) {
		extra[i] = connect_to(&at);
		ev_run(loop, EVRUN_NOWAIT);
	}
	fd = connect_to(&at);
	assert_int_equal(read_all(loop, fd, buf, 4096, 2), 0);
	close(fd);
	for (int i = 0; i < HTTP_METRICS_CLIENTS - 1; i++)
		close(extra[i]);

	/* the silent client is closed when its time is up */
	assert_int_equal(read_all(loop, silent, buf, 4096, HTTP_METRICS_TIMEOUT_S + 2), 0);
	close(silent);

	http_metrics_stop(h);
	ev_loop_destroy(loop);
	free(buf);
}

static void test_render_error(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sockaddr_storage at;
	struct http_metrics *h = NULL;
	char buf[4096];
	int fd;

	assert_int_equal(free_port(&at), 0);
	assert_int_equal(http_metrics_start(loop, &at, render_fail, NULL, &h), 0);
	fd = connect_to(&at);
	send_str(fd, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_true(read_all(loop, fd, buf, sizeof(buf), 5) > 0);
	assert_non_null(strstr(buf, "HTTP/1.0 500 "));
	assert_non_null(strstr(buf, "Content-Length: 0\r\n"));
	close(fd);
	/* a second start on the same address fails and says so */
	{
		struct http_metrics *h2 = (void *)1;

		assert_true(http_metrics_start(loop, &at, render_fail, NULL, &h2) < 0);
		assert_null(h2);
	}
	http_metrics_stop(h);
	http_metrics_stop(NULL);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_render_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "metrics.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "log.h"
#include "sockaddr.h"

#define REQ_MAX 4096
#define CLIENT_TIMEOUT_MS 1000

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_render(struct relay *r, FILE *out)
{
	struct pierce_stats st;
	bool have_dp = r->dp.stats && !r->dp.stats(r->dp.ctx, &st);

	family(out, "pierce_relay_sessions", "gauge", "Calls being relayed.");
	fprintf(out, "pierce_relay_sessions %u\n", r->calls.active);
	family(out, "pierce_relay_calls_created_total", "counter", "Calls created by offers.");
	fprintf(out, "pierce_relay_calls_created_total %llu\n", (unsigned long long)r->cnt.calls_created);
	family(out, "pierce_relay_calls_rejected_total", "counter", "Offers refused by --max-sessions.");
	fprintf(out, "pierce_relay_calls_rejected_total %llu\n", (unsigned long long)r->cnt.calls_rejected);
	family(out, "pierce_relay_calls_ended_total", "counter", "Calls ended, by reason (timeouts included).");
	for (unsigned i = 0; i < CALL_END__COUNT; i++)
		fprintf(out, "pierce_relay_calls_ended_total{reason=\"%s\"} %llu\n", call_end_name((enum call_end)i),
			(unsigned long long)r->cnt.ended[i]);
	family(out, "pierce_relay_ports_in_use", "gauge", "Relay ports booked (RTP and RTCP).");
	fprintf(out, "pierce_relay_ports_in_use %u\n", relay_pairs_used(r) * 2);
	family(out, "pierce_relay_ports_total", "gauge", "Relay ports in the range (whole pairs).");
	fprintf(out, "pierce_relay_ports_total %u\n", relay_pairs_total(r) * 2);
	if (have_dp) {
		family(out, "pierce_relay_packets_total", "counter", "Packets seen by the XDP program, by verdict.");
		for (unsigned i = 0; i < PIERCE_R__COUNT; i++)
			fprintf(out, "pierce_relay_packets_total{verdict=\"%s\"} %llu\n", pierce_reason_name(i),
				(unsigned long long)st.packets[i]);
		family(out, "pierce_relay_bytes_total", "counter", "Bytes seen by the XDP program, by verdict.");
		for (unsigned i = 0; i < PIERCE_R__COUNT; i++)
			fprintf(out, "pierce_relay_bytes_total{verdict=\"%s\"} %llu\n", pierce_reason_name(i),
				(unsigned long long)st.bytes[i]);
	}
	family(out, "pierce_relay_slowpath_packets_total", "counter",
	       "Packets the user-space slow path handled, by reason and result.");
	for (unsigned i = 0; i < PIERCE_R__COUNT; i++) {
		if (!r->cnt.slow_forwarded[i] && !r->cnt.slow_dropped[i] && strncmp(pierce_reason_name(i), "slow_", 5))
			continue;
		fprintf(out, "pierce_relay_slowpath_packets_total{reason=\"%s\",result=\"forwarded\"} %llu\n",
			pierce_reason_name(i), (unsigned long long)r->cnt.slow_forwarded[i]);
		fprintf(out, "pierce_relay_slowpath_packets_total{reason=\"%s\",result=\"dropped\"} %llu\n",
			pierce_reason_name(i), (unsigned long long)r->cnt.slow_dropped[i]);
	}
	family(out, "pierce_relay_ng_requests_total", "counter", "ng requests by command and result.");
	for (unsigned c = 0; c < NG_CMD__COUNT; c++)
		for (unsigned o = 0; o < NG_OUTCOME__COUNT; o++)
			fprintf(out, "pierce_relay_ng_requests_total{command=\"%s\",result=\"%s\"} %llu\n",
				ng_cmd_name((enum ng_cmd)c), ng_outcome_name((enum ng_outcome)o),
				(unsigned long long)r->cnt.ng[c][o]);
	family(out, "pierce_relay_ng_malformed_total", "counter", "ng datagrams that could not be decoded.");
	fprintf(out, "pierce_relay_ng_malformed_total %llu\n", (unsigned long long)r->cnt.ng_malformed);
	family(out, "pierce_relay_ng_retransmits_total", "counter", "ng requests answered from the reply cache.");
	fprintf(out, "pierce_relay_ng_retransmits_total %llu\n", (unsigned long long)r->cnt.ng_retransmits);
	family(out, "pierce_relay_ng_denied_total", "counter", "ng datagrams from outside --ng-allow.");
	fprintf(out, "pierce_relay_ng_denied_total %llu\n", (unsigned long long)r->cnt.ng_denied);
	family(out, "pierce_relay_timeout_checks_total", "counter",
	       "Calls whose legs the timeout tick read (each when its deadline came).");
	fprintf(out, "pierce_relay_timeout_checks_total %llu\n", (unsigned long long)r->cnt.timeout_checks);
	family(out, "pierce_relay_tick_seconds", "gauge", "Time the once-a-second timeout tick took: last and max.");
	fprintf(out, "pierce_relay_tick_seconds{stat=\"last\"} %.6f\n", (double)r->cnt.tick_ns_last / 1e9);
	fprintf(out, "pierce_relay_tick_seconds{stat=\"max\"} %.6f\n", (double)r->cnt.tick_ns_max / 1e9);
	return ferror(out) ? -EIO : 0;
}

/*
 * A client is served inline on the event loop, so the whole exchange, not
 * each wait, is bounded: a client trickling a byte at a time must not hold
 * the ng socket for longer than CLIENT_TIMEOUT_MS in all.
 */
static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline; true when they came. */
static bool wait_until(struct pollfd *p, int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left > 0 && poll(p, 1, (int)left) > 0;
}

/* Sends all of buf before the deadline. */
static void send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_until(&p, deadline))
				return;
		} else {
			return;
		}
	}
}

/* One short request per connection; reading it is bounded in size and time. */
static void serve(struct metrics_server *m, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t deadline = now_ms() + CLIENT_TIMEOUT_MS;
	char req[REQ_MAX + 1], head[160];
	size_t got = 0;
	char *body = NULL;
	size_t blen = 0;
	FILE *out;

	while (got < REQ_MAX && !memmem(req, got, "\r\n\r\n", 4)) {
		ssize_t n;

		if (!wait_until(&p, deadline))
			return;
		n = recv(fd, req + got, REQ_MAX - got, MSG_DONTWAIT);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
	req[got] = '\0';
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET /metrics?", 13)) {
		static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n";

		send_all(fd, nf, sizeof(nf) - 1, deadline);
		return;
	}
	out = open_memstream(&body, &blen);
	if (!out)
		return;
	metrics_render(m->relay, out);
	fclose(out);
	snprintf(head, sizeof(head),
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", blen);
	send_all(fd, head, strlen(head), deadline);
	send_all(fd, body, blen, deadline);
	free(body);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct metrics_server *m = (struct metrics_server *)w;
	int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	serve(m, fd);
	close(fd);
}

int metrics_start(struct metrics_server *m, struct ev_loop *loop, struct relay *r, const struct sockaddr_storage *at)
{
	char where[SA_STR_MAX];
	int one = 1, err;

	m->relay = r;
	m->fd = socket(at->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0)
		return -errno;
	setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->fd, (const struct sockaddr *)at, sa_len(at)) < 0 || listen(m->fd, 16) < 0) {
		err = -errno;
		log_err("metrics: cannot listen on %s: %s", sa_format(at, where, sizeof(where)), strerror(errno));
		close(m->fd);
		m->fd = -1;
		return err;
	}
	ev_io_init(&m->io, on_accept, m->fd, EV_READ);
	ev_io_start(loop, &m->io);
	log_info("metrics: http://%s/metrics", sa_format(at, where, sizeof(where)));
	return 0;
}

void metrics_stop(struct metrics_server *m, struct ev_loop *loop)
{
	if (m->fd < 0)
		return;
	ev_io_stop(loop, &m->io);
	close(m->fd);
	m->fd = -1;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce-rtpgen: sends and receives RTP streams for pierce's tests and
 * benchmarks, and reports loss, duplicates, reordering, jitter and latency.
 * One thread, one epoll: a timerfd paces the sending, readable sockets are
 * drained with recvmmsg. See --help for the design.
 */
#include "rtpgen.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

#define TIMER_TAG UINT32_MAX
#define MAX_EVENTS 256

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { stop_requested = sig; }

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: epoll_wait returns */

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	return 0;
}

static int setup_cpu(const struct rtpgen_cfg *c)
{
	if (c->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)c->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			log_err("--cpu %lld: %s", c->cpu, strerror(errno));
			return -errno;
		}
	}
	if (c->rt_prio > 0) {
		struct sched_param sp = { .sched_priority = (int)c->rt_prio };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			log_err("--rt-prio %lld: %s", c->rt_prio, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int setup_epoll(struct rtpgen *g, int *epfd, int *tfd)
{
	struct itimerspec its = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };

	*epfd = epoll_create1(EPOLL_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*epfd < 0 || *tfd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)(g->cfg.tick_ns / 1000000000ull);
	its.it_interval.tv_nsec = (long)(g->cfg.tick_ns % 1000000000ull);
	its.it_value = its.it_interval;
	if (timerfd_settime(*tfd, 0, &its, NULL))
		return -errno;
	ev.data.u32 = TIMER_TAG;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, *tfd, &ev))
		return -errno;
	if (!rtpgen_mode_receives(g->cfg.mode))
		return 0;
	for (unsigned j = 0; j < g->nsocks; j++) {
		ev.data.u32 = j;
		if (epoll_ctl(*epfd, EPOLL_CTL_ADD, g->socks[j].fd, &ev))
			return -errno;
	}
	return 0;
}

static void refresh_clock_offset(struct rtpgen *g)
{
	g->clock_offset_ns = g->cfg.clock_id == CLOCK_REALTIME
				     ? 0
				     : rtpgen_now_ns(CLOCK_REALTIME) - rtpgen_now_ns(g->cfg.clock_id);
}

/* Sending lasts --duration (sink and echo just listen that long); then the
 * run ends once nothing has arrived for --idle-ms, or at --wait. */
static bool run_over(const struct rtpgen *g, uint64_t now)
{
	const struct rtpgen_cfg *c = &g->cfg;
	uint64_t send_end = g->t0_ns + (uint64_t)(c->duration_s * 1e9);
	uint64_t last = g->last_rx_ns > send_end ? g->last_rx_ns : send_end;

	if (rtpgen_mode_sends(c->mode) && !g->sending_done)
		return false;
	if (now < send_end)
		return false;
	if (!rtpgen_mode_receives(c->mode))
		return true;
	return now >= send_end + (uint64_t)(c->wait_s * 1e9) || now - last >= (uint64_t)c->idle_ms * 1000000ull;
}

static int on_tick(struct rtpgen *g, int tfd, uint64_t *next_progress, bool show_progress)
{
	uint64_t expirations, now;

	if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	now = rtpgen_now_ns(CLOCK_MONOTONIC);
	if (rtpgen_mode_sends(g->cfg.mode))
		rtpgen_send_due(g, now);
	if (show_progress && now >= *next_progress) {
		rtpgen_progress(g, now);
		*next_progress += 1000000000ull;
		refresh_clock_offset(g); /* once a second: realtime may be slewed */
	}
	return 0;
}

static int run(struct rtpgen *g)
{
	struct epoll_event events[MAX_EVENTS];
	int epfd = -1, tfd = -1, rc;
	bool show_progress = !g->cfg.quiet && (g->cfg.progress || g->cfg.duration_s >= 5);
	uint64_t next_progress;

	rc = setup_epoll(g, &epfd, &tfd);
	if (rc) {
		log_err("epoll/timerfd setup: %s", strerror(-rc));
		goto out;
	}
	refresh_clock_offset(g);
	g->t0_ns = rtpgen_now_ns(CLOCK_MONOTONIC);
	next_progress = g->t0_ns + 1000000000ull;
	while (!stop_requested && !run_over(g, rtpgen_now_ns(CLOCK_MONOTONIC))) {
		int n = epoll_wait(epfd, events, MAX_EVENTS, 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			log_err("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			rc = events[i].data.u32 == TIMER_TAG ? on_tick(g, tfd, &next_progress, show_progress)
							     : rtpgen_recv(g, events[i].data.u32);
			if (rc)
				goto out;
		}
	}
	if (stop_requested)
		log_info("signal %d: ending the run early", (int)stop_requested);
out:
	if (tfd >= 0)
		close(tfd);
	if (epfd >= 0)
		close(epfd);
	return rc;
}

int main(int argc, char *argv[])
{
	static struct rtpgen g; /* large; zeroed */
	char err[256];
	enum log_level lvl;
	int rc, status = RTPGEN_EXIT_RUNTIME;

	rc = rtpgen_parse_args(&g.cfg, argc, argv);
	if (rc == OPTS_HELP)
		return RTPGEN_EXIT_OK;
	if (rc)
		return RTPGEN_EXIT_USAGE;
	if (log_parse_level(g.cfg.log_level, &lvl)) {
		fprintf(stderr, "pierce-rtpgen: --log-level: '%s' is not err, warn, info or debug\n", g.cfg.log_level);
		return RTPGEN_EXIT_USAGE;
	}
	log_init("pierce-rtpgen", lvl, false);
	rc = rtpgen_streams_build(&g, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pierce-rtpgen: %s\n", err);
		status = rc == -ENOMEM ? RTPGEN_EXIT_RUNTIME : RTPGEN_EXIT_USAGE;
		goto out;
	}
	if (setup_signals() || setup_cpu(&g.cfg) || rtpgen_sockets_open(&g))
		goto out;
	if (run(&g))
		goto out;
	status = rtpgen_report(&g, rtpgen_now_ns(CLOCK_MONOTONIC));
out:
	rtpgen_free(&g);
	return status;
}

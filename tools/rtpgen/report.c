// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The end of a run: per-stream and total figures, the JSON report, the human
 * summary, the threshold checks, and the progress line during the run. */
#include "rtpgen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sockaddr.h"

#define MAX_FAIL_LINES 10
#define SUMMARY_STREAMS 16 /* the human summary lists streams up to this many */

struct stream_figures {
	bool silent; /* expected to receive, got nothing */
	bool looped; /* receives its own packets back (an echo peer) */
	uint64_t expected, lost;
	double loss_pct;
	double jitter_ms, jitter_max_ms;
	uint64_t p50_ns, p99_ns, max_ns;
};

struct rtpgen_totals {
	uint64_t tx_packets, tx_bytes, tx_errors;
	uint64_t rx_packets, rx_bytes, received, expected, lost;
	uint64_t duplicates, reordered, stray, other_ssrc;
	unsigned silent;
	double loss_pct, jitter_max_ms, jitter_mean_ms;
	struct rtp_latency latency;
};

static void figures(const struct rtpgen *g, const struct rtpgen_stream *s, struct stream_figures *f)
{
	uint32_t rate = (uint32_t)g->cfg.clock_rate;

	memset(f, 0, sizeof(*f));
	f->looped = s->rx_have && s->rx_ssrc == s->tx_ssrc && rtpgen_mode_sends(g->cfg.mode);
	/* our own packets back: we know exactly how many left, so loss at the
	 * end of the stream counts too */
	f->expected = f->looped ? s->tx_packets : rtp_seq_expected(&s->seq);
	f->lost = f->expected > s->seq.received ? f->expected - s->seq.received : 0;
	f->silent = rtpgen_mode_receives(g->cfg.mode) && !s->rx_have;
	f->loss_pct = f->silent ? 100.0 : f->expected ? 100.0 * (double)f->lost / (double)f->expected : 0;
	f->jitter_ms = rtp_jitter_ms(&s->jitter, rate);
	f->jitter_max_ms = rtp_jitter_max_ms(&s->jitter, rate);
	f->p50_ns = rtp_latency_percentile(s->latency, 50);
	f->p99_ns = rtp_latency_percentile(s->latency, 99);
	f->max_ns = s->latency->max_ns;
}

static void totals(const struct rtpgen *g, struct rtpgen_totals *t)
{
	double jitter_sum = 0;
	unsigned with_rx = 0;

	memset(t, 0, sizeof(*t));
	rtp_latency_init(&t->latency);
	for (unsigned i = 0; i < g->nstreams; i++) {
		const struct rtpgen_stream *s = &g->streams[i];
		struct stream_figures f;

		figures(g, s, &f);
		t->tx_packets += s->tx_packets;
		t->tx_bytes += s->tx_bytes;
		t->tx_errors += s->tx_errors;
		t->rx_packets += s->rx_packets;
		t->rx_bytes += s->rx_bytes;
		t->received += s->seq.received;
		t->expected += f.expected;
		t->lost += f.lost;
		t->duplicates += s->seq.duplicates;
		t->reordered += s->seq.reordered;
		t->stray += s->seq.stray;
		t->other_ssrc += s->rx_other_ssrc;
		t->silent += f.silent;
		if (s->rx_have) {
			with_rx++;
			jitter_sum += f.jitter_ms;
			if (f.jitter_ms > t->jitter_max_ms)
				t->jitter_max_ms = f.jitter_ms;
		}
		rtp_latency_merge(&t->latency, s->latency);
	}
	t->jitter_mean_ms = with_rx ? jitter_sum / with_rx : 0;
	t->loss_pct = t->expected ? 100.0 * (double)t->lost / (double)t->expected : 0;
	if (t->silent && rtpgen_mode_receives(g->cfg.mode) && !with_rx)
		t->loss_pct = 100.0;
}

void rtpgen_progress(const struct rtpgen *g, uint64_t now_ns)
{
	uint64_t tx = 0, rx = 0, lost = 0;
	double t = (double)(now_ns - g->t0_ns) / 1e9;

	for (unsigned i = 0; i < g->nstreams; i++) {
		tx += g->streams[i].tx_packets;
		rx += g->streams[i].seq.received;
		lost += rtp_seq_lost(&g->streams[i].seq);
	}
	if (g->cfg.mode == MODE_ECHO)
		tx = g->rx_echoed;
	fprintf(stderr, "pierce-rtpgen: %6.1fs  tx %llu (%.0f pps)  rx %llu (%.0f pps)  lost %llu\n", t,
		(unsigned long long)tx, t > 0 ? (double)tx / t : 0, (unsigned long long)rx, t > 0 ? (double)rx / t : 0,
		(unsigned long long)lost);
}

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void json_latency(FILE *out, const struct rtp_latency *l, uint64_t p50, uint64_t p99)
{
	fprintf(out, "{\"samples\": %llu, \"p50_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f, \"mean_us\": %.3f}",
		(unsigned long long)l->count, us(p50), us(p99), us(l->max_ns),
		l->count ? l->sum_ns / (double)l->count / 1000.0 : 0);
}

static void json_stream(FILE *out, const struct rtpgen *g, unsigned i)
{
	const struct rtpgen_stream *s = &g->streams[i];
	char local[SA_STR_MAX], remote[SA_STR_MAX], from[SA_STR_MAX];
	struct stream_figures f;

	figures(g, s, &f);
	sa_format(&s->local, local, sizeof(local));
	if (s->remote.ss_family != AF_UNSPEC)
		sa_format(&s->remote, remote, sizeof(remote));
	else
		snprintf(remote, sizeof(remote), "-");
	if (s->rx_have)
		sa_format(&s->rx_from, from, sizeof(from));
	else
		snprintf(from, sizeof(from), "-");
	fprintf(out,
		"    {\"index\": %u, \"local\": \"%s\", \"remote\": \"%s\", \"tx_ssrc\": %u, \"tx_packets\": %llu, "
		"\"tx_bytes\": %llu, \"tx_errors\": %llu,\n"
		"     \"rx_ssrc\": %u, \"rx_from\": \"%s\", \"rx_packets\": %llu, \"rx_bytes\": %llu, \"received\": %llu, "
		"\"expected\": %llu, \"lost\": %llu, \"loss_pct\": %.4f, \"silent\": %s, \"looped\": %s,\n"
		"     \"duplicates\": %llu, \"reordered\": %llu, \"stray\": %llu, \"resyncs\": %llu, \"other_ssrc\": %llu, "
		"\"jitter_ms\": %.4f, \"jitter_max_ms\": %.4f, \"latency\": ",
		i, local, remote, s->tx_ssrc, (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		(unsigned long long)s->tx_errors, s->rx_ssrc, from, (unsigned long long)s->rx_packets,
		(unsigned long long)s->rx_bytes, (unsigned long long)s->seq.received, (unsigned long long)f.expected,
		(unsigned long long)f.lost, f.loss_pct, f.silent ? "true" : "false", f.looped ? "true" : "false",
		(unsigned long long)s->seq.duplicates, (unsigned long long)s->seq.reordered,
		(unsigned long long)s->seq.stray, (unsigned long long)s->seq.resyncs,
		(unsigned long long)s->rx_other_ssrc, f.jitter_ms, f.jitter_max_ms);
	json_latency(out, s->latency, f.p50_ns, f.p99_ns);
	fprintf(out, "}%s\n", i + 1 < g->nstreams ? "," : "");
}

static void json_threshold(FILE *out, const char *name, double v, bool last)
{
	if (v < 0)
		fprintf(out, "\"%s\": null%s", name, last ? "" : ", ");
	else
		fprintf(out, "\"%s\": %g%s", name, v, last ? "" : ", ");
}

static void write_json(FILE *out, const struct rtpgen *g, const struct rtpgen_totals *t, double elapsed_s,
		       unsigned failures)
{
	const struct rtpgen_cfg *c = &g->cfg;

	fprintf(out,
		"{\n  \"mode\": \"%s\", \"streams\": %u, \"sockets\": %u, \"rate_pps\": %g, \"payload_type\": %lld, "
		"\"payload_size\": %lld, \"clock_rate\": %lld, \"clock\": \"%s\",\n"
		"  \"duration_s\": %g, \"elapsed_s\": %.3f,\n  \"thresholds\": {",
		c->mode_name, g->nstreams, g->nsocks, c->rate_pps, c->payload_type, c->payload_size, c->clock_rate,
		c->clock_name, c->duration_s, elapsed_s);
	json_threshold(out, "max_loss_pct", c->max_loss_pct, false);
	json_threshold(out, "max_jitter_ms", c->max_jitter_ms, false);
	json_threshold(out, "max_latency_ms", c->max_latency_ms, true);
	fprintf(out, "},\n  \"result\": \"%s\", \"failures\": %u,\n", failures ? "fail" : "pass", failures);
	fprintf(out,
		"  \"totals\": {\"tx_packets\": %llu, \"tx_bytes\": %llu, \"tx_errors\": %llu, \"tx_pps\": %.1f, "
		"\"unsent\": %llu, \"echoed\": %llu,\n"
		"    \"rx_packets\": %llu, \"rx_bytes\": %llu, \"rx_pps\": %.1f, \"received\": %llu, \"expected\": %llu, "
		"\"lost\": %llu, \"loss_pct\": %.4f, \"silent_streams\": %u,\n"
		"    \"duplicates\": %llu, \"reordered\": %llu, \"stray\": %llu, \"other_ssrc\": %llu, \"invalid\": %llu, "
		"\"unmatched\": %llu,\n"
		"    \"jitter_max_ms\": %.4f, \"jitter_mean_ms\": %.4f, \"latency\": ",
		(unsigned long long)t->tx_packets, (unsigned long long)t->tx_bytes, (unsigned long long)t->tx_errors,
		elapsed_s > 0 ? (double)t->tx_packets / elapsed_s : 0, (unsigned long long)g->tx_unsent,
		(unsigned long long)g->rx_echoed,
		(unsigned long long)t->rx_packets, (unsigned long long)t->rx_bytes,
		elapsed_s > 0 ? (double)t->rx_packets / elapsed_s : 0, (unsigned long long)t->received,
		(unsigned long long)t->expected, (unsigned long long)t->lost, t->loss_pct, t->silent,
		(unsigned long long)t->duplicates, (unsigned long long)t->reordered, (unsigned long long)t->stray,
		(unsigned long long)t->other_ssrc, (unsigned long long)g->rx_invalid,
		(unsigned long long)g->rx_unmatched, t->jitter_max_ms, t->jitter_mean_ms);
	json_latency(out, &t->latency, rtp_latency_percentile(&t->latency, 50), rtp_latency_percentile(&t->latency, 99));
	fprintf(out, "},\n  \"streams_detail\": [\n");
	for (unsigned i = 0; i < g->nstreams; i++)
		json_stream(out, g, i);
	fprintf(out, "  ]\n}\n");
}

static void write_summary(FILE *out, const struct rtpgen *g, const struct rtpgen_totals *t, double elapsed_s)
{
	const struct rtpgen_cfg *c = &g->cfg;

	if (rtpgen_mode_sends(c->mode))
		fprintf(out, "pierce-rtpgen %s: %u stream(s) on %u socket(s), %g pps each, %lld-byte payload, %.2f s\n",
			c->mode_name, g->nstreams, g->nsocks, c->rate_pps, c->payload_size, elapsed_s);
	else
		fprintf(out, "pierce-rtpgen %s: %u stream(s) on %u socket(s), %.2f s\n", c->mode_name, g->nstreams,
			g->nsocks, elapsed_s);
	if (c->mode == MODE_ECHO)
		fprintf(out, "  echoed   %llu packets\n", (unsigned long long)g->rx_echoed);
	if (rtpgen_mode_sends(c->mode))
		fprintf(out, "  sent     %llu packets (%.0f pps), %llu send errors, %llu not sent (fell behind)\n",
			(unsigned long long)t->tx_packets, elapsed_s > 0 ? (double)t->tx_packets / elapsed_s : 0,
			(unsigned long long)t->tx_errors, (unsigned long long)g->tx_unsent);
	if (!rtpgen_mode_receives(c->mode))
		return;
	fprintf(out,
		"  received %llu packets of %llu expected: lost %llu (%.3f%%), %llu duplicates, %llu reordered, "
		"%llu stray, %u silent stream(s)\n",
		(unsigned long long)t->received, (unsigned long long)t->expected, (unsigned long long)t->lost,
		t->loss_pct, (unsigned long long)t->duplicates, (unsigned long long)t->reordered,
		(unsigned long long)t->stray, t->silent);
	fprintf(out, "  jitter   max %.3f ms, mean %.3f ms\n", t->jitter_max_ms, t->jitter_mean_ms);
	fprintf(out, "  latency  p50 %.1f us, p99 %.1f us, max %.1f us (%llu samples)\n",
		us(rtp_latency_percentile(&t->latency, 50)), us(rtp_latency_percentile(&t->latency, 99)),
		us(t->latency.max_ns), (unsigned long long)t->latency.count);
	if (g->nstreams > SUMMARY_STREAMS)
		return;
	fprintf(out, "  %-4s %-22s %10s %10s %8s %9s %9s %10s %10s\n", "#", "local", "sent", "received", "lost",
		"loss%", "jitter", "p50 us", "p99 us");
	for (unsigned i = 0; i < g->nstreams; i++) {
		const struct rtpgen_stream *s = &g->streams[i];
		char local[SA_STR_MAX];
		struct stream_figures f;

		figures(g, s, &f);
		fprintf(out, "  %-4u %-22s %10llu %10llu %8llu %8.3f%% %7.3fms %10.1f %10.1f\n", i,
			sa_format(&s->local, local, sizeof(local)), (unsigned long long)s->tx_packets,
			(unsigned long long)s->seq.received, (unsigned long long)f.lost, f.loss_pct, f.jitter_ms,
			us(f.p50_ns), us(f.p99_ns));
	}
}

/* Counts the streams over a threshold; the first few are named on stderr. */
static unsigned check_thresholds(const struct rtpgen *g)
{
	const struct rtpgen_cfg *c = &g->cfg;
	unsigned failures = 0;

	for (unsigned i = 0; i < g->nstreams; i++) {
		const struct rtpgen_stream *s = &g->streams[i];
		char local[SA_STR_MAX], why[160];
		struct stream_figures f;
		bool bad = false;

		figures(g, s, &f);
		if (c->max_loss_pct >= 0 && f.loss_pct > c->max_loss_pct) {
			bad = true;
			if (f.silent)
				snprintf(why, sizeof(why), "received nothing (100%% loss) > --max-loss %g", c->max_loss_pct);
			else
				snprintf(why, sizeof(why), "lost %llu of %llu (%.3f%%) > --max-loss %g",
					 (unsigned long long)f.lost, (unsigned long long)f.expected, f.loss_pct,
					 c->max_loss_pct);
		} else if (c->max_jitter_ms >= 0 && f.jitter_ms > c->max_jitter_ms) {
			bad = true;
			snprintf(why, sizeof(why), "jitter %.3f ms > --max-jitter-ms %g", f.jitter_ms, c->max_jitter_ms);
		} else if (c->max_latency_ms >= 0 && (f.silent || us(f.p99_ns) / 1000.0 > c->max_latency_ms)) {
			bad = true;
			snprintf(why, sizeof(why), "p99 latency %.3f ms > --max-latency-ms %g%s", us(f.p99_ns) / 1000.0,
				 c->max_latency_ms, f.silent ? " (received nothing)" : "");
		}
		if (!bad)
			continue;
		if (failures++ < MAX_FAIL_LINES)
			fprintf(stderr, "pierce-rtpgen: FAIL stream %u (local %s): %s\n", i,
				sa_format(&s->local, local, sizeof(local)), why);
	}
	if (failures > MAX_FAIL_LINES)
		fprintf(stderr, "pierce-rtpgen: FAIL ... and %u more stream(s)\n", failures - MAX_FAIL_LINES);
	return failures;
}

int rtpgen_report(struct rtpgen *g, uint64_t end_ns)
{
	static struct rtpgen_totals t; /* holds a histogram: keep it off the stack */
	double elapsed_s = (double)(end_ns - g->t0_ns) / 1e9;
	bool json_stdout = !strcmp(g->cfg.json_path, "-");
	unsigned failures;
	int rc = 0;

	totals(g, &t);
	failures = check_thresholds(g);
	if (g->cfg.json_path[0]) {
		FILE *out = json_stdout ? stdout : fopen(g->cfg.json_path, "w");

		if (!out) {
			log_err("--json %s: %s", g->cfg.json_path, strerror(errno));
			return RTPGEN_EXIT_RUNTIME;
		}
		write_json(out, g, &t, elapsed_s, failures);
		if (!json_stdout && fclose(out)) {
			log_err("--json %s: %s", g->cfg.json_path, strerror(errno));
			rc = RTPGEN_EXIT_RUNTIME;
		}
	}
	write_summary(json_stdout ? stderr : stdout, g, &t, elapsed_s);
	fflush(stdout);
	if (rc)
		return rc;
	return failures ? RTPGEN_EXIT_THRESHOLD : RTPGEN_EXIT_OK;
}

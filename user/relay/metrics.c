// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "metrics.h"

#include <errno.h>

#include "dataplane/dataplane.h"

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
	family(out, "pierce_relay_leg_write_errors_total", "counter",
	       "Legs the data plane refused when a batch of ng requests was written (logged).");
	fprintf(out, "pierce_relay_leg_write_errors_total %llu\n", (unsigned long long)r->cnt.leg_write_errors);
	family(out, "pierce_relay_timeout_checks_total", "counter",
	       "Calls whose legs the timeout tick read (each when its deadline came).");
	fprintf(out, "pierce_relay_timeout_checks_total %llu\n", (unsigned long long)r->cnt.timeout_checks);
	family(out, "pierce_relay_tick_seconds", "gauge", "Time the once-a-second timeout tick took: last and max.");
	fprintf(out, "pierce_relay_tick_seconds{stat=\"last\"} %.6f\n", (double)r->cnt.tick_ns_last / 1e9);
	fprintf(out, "pierce_relay_tick_seconds{stat=\"max\"} %.6f\n", (double)r->cnt.tick_ns_max / 1e9);
	return ferror(out) ? -EIO : 0;
}

static int render(void *arg, FILE *out)
{
	return metrics_render(arg, out);
}

int metrics_start(struct metrics_server *m, struct ev_loop *loop, struct relay *r, const struct sockaddr_storage *at)
{
	return http_metrics_start(loop, at, render, r, &m->http);
}

void metrics_stop(struct metrics_server *m, struct ev_loop *loop)
{
	http_metrics_stop(m->http);
	m->http = NULL;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Latency samples and the JSON report. */
#include "ngbench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"

int ngb_lat_init(struct ngb_result *res)
{
	int i;

	for (i = 0; i < NGB_NCMDS; i++) {
		res->lat[i].us = calloc(NGB_LAT_SAMPLES, sizeof(uint32_t));
		if (!res->lat[i].us) {
			ngb_result_free(res);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Past NGB_LAT_SAMPLES, samples are dropped: the percentiles then describe
 * the first million requests, which for a bounded run is all of them. */
void ngb_lat_add(struct ngb_lat *l, uint64_t us)
{
	if (l->n < NGB_LAT_SAMPLES)
		l->us[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

void ngb_result_free(struct ngb_result *res)
{
	int i;

	for (i = 0; i < NGB_NCMDS; i++) {
		free(res->lat[i].us);
		res->lat[i].us = NULL;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t pct(const struct ngb_lat *l, double p)
{
	size_t k;

	if (!l->n)
		return 0;
	k = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return l->us[k];
}

/* Strings in the report are ours or an ng error-reason: escape what JSON needs. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void ngb_report_json(const struct ngb_cfg *cfg, struct ngb_result *res, FILE *out)
{
	char addr[SA_STR_MAX];
	uint64_t err = 0, tmo = 0;
	int i;

	for (i = 0; i < NGB_NCMDS; i++) {
		err += res->errors[i];
		tmo += res->timeouts[i];
		qsort(res->lat[i].us, res->lat[i].n, sizeof(uint32_t), cmp_u32);
	}
	fprintf(out, "{\"label\": ");
	json_str(out, cfg->label);
	fprintf(out, ", \"server\": ");
	json_str(out, sa_format(&cfg->server, addr, sizeof(addr)));
	fprintf(out, ", \"window\": %lld, \"busy_poll\": %s, \"timeout_ms\": %lld, \"elapsed_s\": %.3f,\n",
		cfg->window, cfg->busy_poll ? "true" : "false", cfg->timeout_ms, res->elapsed_s);
	fprintf(out, " \"hold\": %s, \"first_call_id\": \"ngbench-%llu\",\n", cfg->hold ? "true" : "false",
		(unsigned long long)res->first_id);
	fprintf(out, " \"cycles_started\": %llu, \"cycles_ok\": %llu, \"cycles_per_s\": %.1f,\n",
		(unsigned long long)res->started, (unsigned long long)res->completed,
		res->elapsed_s > 0 ? (double)res->completed / res->elapsed_s : 0.0);
	fprintf(out, " \"errors\": %llu, \"timeouts\": %llu, \"stale_replies\": %llu, \"send_failures\": %llu,\n",
		(unsigned long long)err, (unsigned long long)tmo, (unsigned long long)res->stale,
		(unsigned long long)res->send_failures);
	fprintf(out, " \"first_error\": ");
	json_str(out, res->first_error);
	fprintf(out, ",\n \"commands\": {");
	for (i = 0; i < NGB_NCMDS; i++) {
		const struct ngb_lat *l = &res->lat[i];
		uint64_t replies = res->ok[i] + res->errors[i];

		fprintf(out,
			"%s\n  \"%s\": {\"sent\": %llu, \"ok\": %llu, \"errors\": %llu, \"timeouts\": %llu, "
			"\"latency_us\": {\"p50\": %u, \"p90\": %u, \"p99\": %u, \"max\": %u}, "
			"\"reply_bytes\": {\"mean\": %llu, \"max\": %llu}}",
			i ? "," : "", ngb_cmd_names[i], (unsigned long long)res->sent[i],
			(unsigned long long)res->ok[i], (unsigned long long)res->errors[i],
			(unsigned long long)res->timeouts[i], pct(l, 50), pct(l, 90), pct(l, 99),
			l->n ? l->us[l->n - 1] : 0,
			(unsigned long long)(replies ? res->reply_bytes[i] / replies : 0),
			(unsigned long long)res->reply_bytes_max[i]);
	}
	fprintf(out, "\n }\n}\n");
}

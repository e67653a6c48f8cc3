/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pierce-ngbench: drives offer -> answer -> delete cycles against an ng
 * server (rtpengine or pierce-relay) as fast as a bounded window of
 * concurrent cycles allows, and reports cycles per second, errors,
 * timeouts and per-command latency as JSON.
 */
#ifndef PIERCE_NGBENCH_H
#define PIERCE_NGBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define NGB_MAX_WINDOW 4096
#define NGB_MSG_MAX 65536         /* one reply datagram */
#define NGB_REQ_MAX 2048          /* one request (ours are about 600 bytes) */
#define NGB_LAT_SAMPLES (1u << 20) /* latency samples kept per command */

enum ngb_cmd { NGB_OFFER = 0, NGB_ANSWER, NGB_DELETE, NGB_NCMDS };

struct ngb_cfg {
	struct sockaddr_storage server;
	char sdp_ip[64];          /* c= address in the SDPs (default: the server's) */
	char label[64];
	double duration_s;        /* stop starting cycles after this */
	long long cycles;         /* or after this many (0: no limit) */
	long long window;         /* cycles in flight at once */
	long long timeout_ms;     /* a request with no reply by then has failed */
	long long cpu;            /* -1: no pinning */
	bool busy_poll;           /* spin on the socket instead of sleeping in poll() */
	bool hold;                /* offer and answer only: the calls stay up */
	char log_level[16];
};

struct ngb_lat {
	uint32_t *us;             /* samples, microseconds */
	size_t n;
};

struct ngb_result {
	double elapsed_s;
	uint64_t started;          /* cycles begun */
	uint64_t first_id;         /* cycle i is call "ngbench-<first_id + i>" */
	uint64_t completed;        /* cycles whose three replies were all "ok" */
	uint64_t sent[NGB_NCMDS];
	uint64_t ok[NGB_NCMDS];
	uint64_t errors[NGB_NCMDS];   /* replies with result "error" or unparseable */
	uint64_t timeouts[NGB_NCMDS];
	uint64_t reply_bytes[NGB_NCMDS];     /* sum over the replies read for a request in flight */
	uint64_t reply_bytes_max[NGB_NCMDS];
	uint64_t stale;               /* replies for no request in flight (late, duplicate) */
	uint64_t send_failures;
	char first_error[160];        /* the first error-reason seen, for the report */
	struct ngb_lat lat[NGB_NCMDS];
};

extern const char *const ngb_cmd_names[NGB_NCMDS];

/* ng_msg.c: requests and replies */
/* Writes "<cookie> <bencoded request>" for cycle `id` into buf; returns its
 * length or a negative errno. */
int ngb_build_request(char *buf, size_t size, const char *cookie, enum ngb_cmd cmd, uint64_t id,
		      const char *sdp_ip);
/* Splits a reply into cookie and body and reads "result": 1 ok, 0 error
 * (reason copied to why), negative errno if malformed. */
int ngb_parse_reply(const char *buf, size_t len, const char **cookie, size_t *cookie_len, char *why,
		    size_t why_size);

/* run.c */
int ngb_run(const struct ngb_cfg *cfg, struct ngb_result *res);

/* report.c */
int ngb_lat_init(struct ngb_result *res);
void ngb_lat_add(struct ngb_lat *l, uint64_t us);
void ngb_result_free(struct ngb_result *res);
void ngb_report_json(const struct ngb_cfg *cfg, struct ngb_result *res, FILE *out);

#endif

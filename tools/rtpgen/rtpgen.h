/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_RTPGEN_H
#define PIERCE_RTPGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtp_jitter.h"
#include "rtp_latency.h"
#include "rtp_seq.h"

#define RTPGEN_MAX_STREAMS 16384
#define RTPGEN_MAX_PAYLOAD 1400
#define RTPGEN_BATCH 64 /* datagrams per sendmmsg/recvmmsg */

/* Exit statuses, as --help lists them. */
#define RTPGEN_EXIT_OK 0
#define RTPGEN_EXIT_THRESHOLD 1
#define RTPGEN_EXIT_USAGE 2
#define RTPGEN_EXIT_RUNTIME 3

enum rtpgen_mode {
	MODE_BIDIR, /* send our streams, receive the peer's on the same sockets */
	MODE_SEND,  /* send only */
	MODE_SINK,  /* receive only */
	MODE_ECHO,  /* receive, and send every packet back to where it came from */
};

struct rtpgen_cfg {
	char mode_name[16];
	enum rtpgen_mode mode;
	long long streams;
	bool streams_given;
	struct sockaddr_storage local;  /* first stream's local address (AF_UNSPEC: none) */
	struct sockaddr_storage remote; /* first stream's remote address (AF_UNSPEC: none) */
	long long local_step;
	long long remote_step;
	long long sockets; /* 0: one per stream */
	char streams_file[256];
	long long payload_type;
	double ptime_ms;
	long long clock_rate;
	long long payload_size;
	long long ssrc;     /* base; -1: derived from the pid and clock */
	long long seq_start; /* -1: derived from the SSRC */
	double rate_pps;    /* per stream; 0: 1000 / ptime */
	double duration_s;
	double wait_s;
	long long idle_ms;
	char json_path[256];
	double max_loss_pct;    /* < 0: no check */
	double max_jitter_ms;   /* < 0: no check */
	double max_latency_ms;  /* p99; < 0: no check */
	long long cpu;          /* -1: no pinning */
	long long rt_prio;      /* 0: normal scheduling */
	char clock_name[16];
	int clock_id;           /* CLOCK_MONOTONIC or CLOCK_REALTIME */
	long long tick_us;
	uint64_t tick_ns; /* from --tick-us, or fitted to the packet interval */
	long long sockbuf;
	bool quiet;
	bool progress;
	char log_level[16];
};

struct rtpgen_sock {
	int fd;
	struct sockaddr_storage local;
	unsigned nstreams; /* streams that send from it */
	unsigned first_stream;
};

struct rtpgen_stream {
	struct sockaddr_storage local;
	struct sockaddr_storage remote; /* AF_UNSPEC: receive only */
	unsigned sock;
	/* sending */
	uint32_t tx_ssrc;
	bool tx_ssrc_fixed; /* given in the streams file */
	uint16_t tx_seq;
	uint32_t tx_ts0;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_errors;
	/* receiving */
	bool rx_have;
	uint32_t rx_ssrc;
	struct sockaddr_storage rx_from;
	uint64_t rx_packets; /* every datagram matched to the stream, duplicates too */
	uint64_t rx_bytes;
	uint64_t rx_other_ssrc; /* matched by probe or socket, but from another SSRC */
	uint64_t rx_first_ns, rx_last_ns;
	struct rtp_seq seq;
	struct rtp_jitter jitter;
	struct rtp_latency *latency;
};

struct rtpgen {
	struct rtpgen_cfg cfg;
	struct rtpgen_stream *streams;
	unsigned nstreams;
	struct rtpgen_sock *socks;
	unsigned nsocks;
	uint64_t per_stream_planned; /* packets each stream sends */
	/* pacing: packet g of the run goes to stream g % nstreams at t0 + g / (n * rate) */
	uint64_t t0_ns;
	uint64_t sent_total; /* packets scheduled so far, over all streams */
	bool sending_done;
	uint64_t tx_unsent; /* packets given up because the sender fell behind */
	uint64_t last_rx_ns;
	/* datagrams that matched no stream */
	uint64_t rx_invalid;   /* not RTP */
	uint64_t rx_unmatched; /* RTP, but no probe and a shared socket */
	uint64_t rx_echoed;
	uint64_t clock_offset_ns; /* CLOCK_REALTIME - cfg clock, for kernel timestamps */
};

/* config.c */
/* Parses argv into cfg; 0, OPTS_HELP (help printed), or -EINVAL (message printed). */
int rtpgen_parse_args(struct rtpgen_cfg *cfg, int argc, char *argv[]);
bool rtpgen_mode_sends(enum rtpgen_mode m);
bool rtpgen_mode_receives(enum rtpgen_mode m);

/* streams.c: the stream table (from flags or a file), then the sockets. */
int rtpgen_streams_build(struct rtpgen *g, char *err, size_t errlen);
int rtpgen_sockets_open(struct rtpgen *g);
void rtpgen_free(struct rtpgen *g);

/* clock.c */
uint64_t rtpgen_now_ns(int clock_id);

/* send.c */
/* Sends every packet due by now (at most a bounded burst per call). */
int rtpgen_send_due(struct rtpgen *g, uint64_t now_ns);

/* recv.c */
/* Drains socket `sock`; echoes in echo mode. */
int rtpgen_recv(struct rtpgen *g, unsigned sock);

/* report.c */
void rtpgen_progress(const struct rtpgen *g, uint64_t now_ns);
/* Writes the JSON and the human summary, checks thresholds: the exit status. */
int rtpgen_report(struct rtpgen *g, uint64_t end_ns);

#endif

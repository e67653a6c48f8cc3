/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_PROXY_PROXY_H
#define PIERCE_PROXY_PROXY_H

#include <ev.h>
#include <osipparser2/osip_message.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "metrics.h"
#include "nat.h"
#include "ratelimit.h"
#include "registrar.h"
#include "relay_pool.h"

#define PROXY_MAX_LISTEN 8
#define PROXY_MAX_DOMAINS 16
#define PROXY_DOMAIN_MAX 128
#define PROXY_MAX_TCP 256
#define PROXY_BRANCH_PREFIX "z9hG4bKpp"
#define PROXY_PUBLISH_PREFIX "z9hG4bKpp-pub"
#define PROXY_REPUBLISH_DEFAULT_S 30
#define PROXY_NAT_KEEPALIVE_DEFAULT_S 15
#define PROXY_REDIRECT_TIMEOUT_DEFAULT_S 4
/* work per one-second tick; what is left waits for the next tick */
#define PROXY_REPUBLISH_PER_TICK 256
#define PROXY_KEEPALIVE_PER_TICK 1024

struct proxy_config {
	struct sockaddr_storage listen[PROXY_MAX_LISTEN];
	unsigned n_listen;
	char advertise[64];
	char domains[PROXY_MAX_DOMAINS][PROXY_DOMAIN_MAX];
	unsigned n_domains;
	char relays[RELAY_MAX][128];
	unsigned n_relays;
	struct sockaddr_storage redirect;
	char nat_policy[16];
	char rate_limit[32];
	char config[256];
	struct sockaddr_storage metrics;
	long long republish_s;        /* publish every binding again at least this often; 0: only as needed */
	long long nat_keepalive_s;    /* CRLF to NATed UDP contacts this often; 0: off */
	long long redirect_timeout_s; /* a redirect query unanswered this long: 503 */
	bool verbose;
};

/* Parses argv (and --config FILE); 0, or -EINVAL with err filled. */
int proxy_config_load(struct proxy_config *cfg, int argc, char *const argv[], char *err, size_t errlen);
/* "N/s" or "N" into per-second; 0 disables. */
int proxy_rate_parse(const char *s, unsigned *out);

struct tcp_conn {
	int fd;
	ev_io w;
	struct sockaddr_storage peer;
	char buf[65536 + 4];
	size_t len;
};

struct txn;
struct call;
struct ng_req;
struct txn_index;

struct proxy {
	struct ev_loop *loop;
	struct proxy_config cfg;
	enum nat_policy nat_policy;
	char self_host[64]; /* what goes into Via, Record-Route, Contact */
	uint16_t self_port;
	int udp_fd[PROXY_MAX_LISTEN];
	ev_io udp_w[PROXY_MAX_LISTEN];
	int tcp_lfd[PROXY_MAX_LISTEN];
	ev_io tcp_lw[PROXY_MAX_LISTEN];
	unsigned n_listen;
	struct tcp_conn *tcp[PROXY_MAX_TCP];
	int ng_fd[2]; /* IPv4, IPv6 */
	ev_io ng_w[2];
	struct http_metrics *metrics_http; /* NULL: no --metrics */
	ev_timer tick;
	struct registrar reg;
	struct relay_pool relays;
	struct ratelimit rl;
	struct txn *txns;
	struct call *calls;
	struct txn_index *index; /* txns by branch and id, calls by Call-ID (core.c) */
	struct ng_req *ng;
	uint64_t next_id;
	uint32_t publish_cseq;
	uint64_t last_ping_ms, last_query_ms;
	struct proxy_metrics m;
};

uint64_t proxy_now_ms(void);

/* transport.c */
int transport_open(struct proxy *p);
void transport_close(struct proxy *p);
/* Sends over the TCP connection to dst when one exists, else UDP. */
int proxy_send(struct proxy *p, const struct sockaddr_storage *dst, const char *buf, size_t len);
bool proxy_has_tcp(const struct proxy *p, const struct sockaddr_storage *dst);
/* SO_RCVBUF of 4 MiB, best effort. */
void proxy_big_rcvbuf(int fd);

/* core.c: one validated-or-not message from src */
void proxy_on_message(struct proxy *p, const char *buf, size_t len, const struct sockaddr_storage *src,
		      bool tcp);
void proxy_on_tick(struct proxy *p);
void proxy_shutdown(struct proxy *p);

/* reload.c: SIGHUP re-reads argv and --config; log level, rate limit, relays,
 * nat policy, domains and redirect take effect, listening sockets need a restart. */
int proxy_reload(struct proxy *p, int argc, char *const argv[]);

/* metrics endpoint */
int metrics_http_open(struct proxy *p);

#endif

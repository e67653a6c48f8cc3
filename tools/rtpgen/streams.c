// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stream table, from the flags or a streams file, and the sockets the
 * streams send from and receive on. */
#include "rtpgen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sockaddr.h"

#define LINE_MAX_LEN 512

static int port_plus(const struct sockaddr_storage *base, unsigned long long add, struct sockaddr_storage *out,
		     const char *what, char *err, size_t errlen)
{
	unsigned long long port = (unsigned long long)sa_port(base) + add;

	*out = *base;
	if (port > 65535) {
		snprintf(err, errlen, "%s: port %llu is beyond 65535 (fewer streams or a smaller step)", what, port);
		return -ERANGE;
	}
	sa_set_port(out, (uint16_t)port);
	return 0;
}

static int alloc_streams(struct rtpgen *g, unsigned n)
{
	g->streams = calloc(n, sizeof(*g->streams));
	g->socks = calloc(n, sizeof(*g->socks));
	if (!g->streams || !g->socks)
		return -ENOMEM;
	g->nstreams = n;
	for (unsigned i = 0; i < n; i++)
		g->socks[i].fd = -1;
	return 0;
}

static int build_from_flags(struct rtpgen *g, char *err, size_t errlen)
{
	const struct rtpgen_cfg *c = &g->cfg;
	unsigned n = (unsigned)c->streams, nsocks = c->sockets ? (unsigned)c->sockets : n;
	int rc = alloc_streams(g, n);

	if (rc)
		return rc;
	g->nsocks = nsocks;
	for (unsigned i = 0; i < n; i++) {
		struct rtpgen_stream *s = &g->streams[i];

		s->sock = (unsigned)((unsigned long long)i * nsocks / n);
		if (c->remote.ss_family != AF_UNSPEC) {
			rc = port_plus(&c->remote, (unsigned long long)i * (unsigned long long)c->remote_step, &s->remote,
				       "--remote", err, errlen);
			if (rc)
				return rc;
		}
	}
	for (unsigned j = 0; j < nsocks; j++) {
		struct rtpgen_sock *k = &g->socks[j];

		if (c->local.ss_family != AF_UNSPEC) {
			rc = port_plus(&c->local, (unsigned long long)j * (unsigned long long)c->local_step, &k->local,
				       "--local", err, errlen);
			if (rc)
				return rc;
		} else { /* send only, no --local: any address, a kernel-chosen port */
			sa_parse_ip(c->remote.ss_family == AF_INET6 ? "::" : "0.0.0.0", 0, &k->local);
		}
	}
	return 0;
}

/* "-" for none, else IP:PORT. */
static int parse_addr_field(const char *tok, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(tok, "-"))
		return 0;
	return sa_parse_hostport(tok, 0, ss);
}

/* Finds the socket bound to `local`, adding it if new; port 0 never shares. */
static unsigned sock_for(struct rtpgen *g, const struct sockaddr_storage *local)
{
	if (sa_port(local))
		for (unsigned j = 0; j < g->nsocks; j++)
			if (sa_equal(&g->socks[j].local, local))
				return j;
	g->socks[g->nsocks].local = *local;
	return g->nsocks++;
}

static int parse_file_line(struct rtpgen *g, char *line, const char *where, char *err, size_t errlen)
{
	struct rtpgen_stream *s = &g->streams[g->nstreams];
	struct sockaddr_storage local;
	char *save = NULL, *tok[4];
	unsigned ntok = 0;
	enum rtpgen_mode m = g->cfg.mode;

	for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (ntok == 3) {
			snprintf(err, errlen, "%s: more than LOCAL REMOTE [SSRC]", where);
			return -EINVAL;
		}
		tok[ntok++] = t;
	}
	if (ntok < 2) {
		snprintf(err, errlen, "%s: expected LOCAL REMOTE [SSRC]", where);
		return -EINVAL;
	}
	if (parse_addr_field(tok[0], &local) || parse_addr_field(tok[1], &s->remote)) {
		snprintf(err, errlen, "%s: '%s %s' is not IP:PORT or '-'", where, tok[0], tok[1]);
		return -EINVAL;
	}
	if (rtpgen_mode_sends(m) && s->remote.ss_family == AF_UNSPEC) {
		snprintf(err, errlen, "%s: --mode %s needs a REMOTE", where, g->cfg.mode_name);
		return -EINVAL;
	}
	if (m != MODE_SEND && local.ss_family == AF_UNSPEC) {
		snprintf(err, errlen, "%s: --mode %s needs a LOCAL", where, g->cfg.mode_name);
		return -EINVAL;
	}
	if (local.ss_family == AF_UNSPEC)
		sa_parse_ip(s->remote.ss_family == AF_INET6 ? "::" : "0.0.0.0", 0, &local);
	if (s->remote.ss_family != AF_UNSPEC && s->remote.ss_family != local.ss_family) {
		snprintf(err, errlen, "%s: LOCAL and REMOTE are of different address families", where);
		return -EINVAL;
	}
	if (ntok == 3) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(tok[2], &end, 0);
		if (errno || *end || v > 0xffffffffULL) {
			snprintf(err, errlen, "%s: SSRC '%s' is not a 32-bit number", where, tok[2]);
			return -EINVAL;
		}
		s->tx_ssrc = (uint32_t)v;
		s->tx_ssrc_fixed = true;
	}
	s->sock = sock_for(g, &local);
	g->nstreams++;
	return 0;
}

static int build_from_file(struct rtpgen *g, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN], where[300];
	unsigned lineno = 0;
	FILE *f = fopen(g->cfg.streams_file, "r");
	int rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "--streams-file %s: %s", g->cfg.streams_file, strerror(errno));
		return rc;
	}
	rc = alloc_streams(g, RTPGEN_MAX_STREAMS);
	if (rc)
		goto out;
	g->nstreams = 0;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", g->cfg.streams_file, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line longer than %d bytes", where, LINE_MAX_LEN - 2);
			rc = -EINVAL;
			goto out;
		}
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (g->nstreams == RTPGEN_MAX_STREAMS) {
			snprintf(err, errlen, "%s: more than %d streams", where, RTPGEN_MAX_STREAMS);
			rc = -E2BIG;
			goto out;
		}
		rc = parse_file_line(g, line, where, err, errlen);
		if (rc)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "--streams-file %s: read error", g->cfg.streams_file);
		rc = -EIO;
	} else if (!g->nstreams) {
		snprintf(err, errlen, "--streams-file %s: no streams", g->cfg.streams_file);
		rc = -EINVAL;
	}
out:
	fclose(f);
	return rc;
}

/* A random-looking base that differs between two instances started together. */
static uint32_t default_ssrc_base(void)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 20 ^ (uint64_t)ts.tv_sec;
	x ^= x >> 29;
	return (uint32_t)(x * 0xbf58476d1ce4e5b9ull >> 32);
}

static void init_tx_state(struct rtpgen *g)
{
	const struct rtpgen_cfg *c = &g->cfg;
	uint32_t base = c->ssrc >= 0 ? (uint32_t)c->ssrc : default_ssrc_base();

	for (unsigned i = 0; i < g->nstreams; i++) {
		struct rtpgen_stream *s = &g->streams[i];
		uint32_t mix;

		s->local = g->socks[s->sock].local;
		if (!s->tx_ssrc_fixed)
			s->tx_ssrc = base + i;
		mix = s->tx_ssrc * 2654435761u;
		s->tx_seq = c->seq_start >= 0 ? (uint16_t)c->seq_start : (uint16_t)(mix >> 16);
		s->tx_ts0 = mix ^ 0x5a5a5a5au;
		g->socks[s->sock].nstreams++;
		if (g->socks[s->sock].nstreams == 1)
			g->socks[s->sock].first_stream = i;
		rtp_seq_init(&s->seq);
		rtp_jitter_init(&s->jitter);
	}
}

int rtpgen_streams_build(struct rtpgen *g, char *err, size_t errlen)
{
	int rc = g->cfg.streams_file[0] ? build_from_file(g, err, errlen) : build_from_flags(g, err, errlen);

	if (rc)
		return rc;
	g->streams = realloc(g->streams, g->nstreams * sizeof(*g->streams)) ?: g->streams;
	for (unsigned i = 0; i < g->nstreams; i++) {
		g->streams[i].latency = malloc(sizeof(*g->streams[i].latency));
		if (!g->streams[i].latency) {
			snprintf(err, errlen, "out of memory for %u latency histograms", g->nstreams);
			return -ENOMEM;
		}
		rtp_latency_init(g->streams[i].latency);
	}
	init_tx_state(g);
	g->per_stream_planned = (uint64_t)(g->cfg.duration_s * g->cfg.rate_pps);
	if (!g->per_stream_planned)
		g->per_stream_planned = 1;
	return 0;
}

static int open_one(struct rtpgen *g, struct rtpgen_sock *k)
{
	char buf[SA_STR_MAX];
	int one = 1, size = (int)g->cfg.sockbuf, rc;

	k->fd = socket(k->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		rc = -errno;
		log_err("socket: %s%s", strerror(errno),
			errno == EMFILE ? " (share sockets among streams with --sockets N)" : "");
		return rc;
	}
	/* FORCE variants pass the rmem_max/wmem_max caps when we are root */
	if (setsockopt(k->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(k->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(k->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(k->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(k->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
		rc = -errno;
		log_err("SO_TIMESTAMPNS: %s", strerror(errno));
		return rc;
	}
	if (k->local.ss_family == AF_INET6)
		setsockopt(k->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(k->fd, (struct sockaddr *)&k->local, sa_len(&k->local))) {
		rc = -errno;
		log_err("bind %s: %s", sa_format(&k->local, buf, sizeof(buf)), strerror(errno));
		return rc;
	}
	return 0;
}

/* A socket per stream can pass the default soft limit on open files. */
static void raise_fd_limit(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need + 16)
		return;
	rl.rlim_cur = rl.rlim_max < need + 16 ? rl.rlim_max : need + 16;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int rtpgen_sockets_open(struct rtpgen *g)
{
	raise_fd_limit(g->nsocks);
	for (unsigned j = 0; j < g->nsocks; j++) {
		int rc = open_one(g, &g->socks[j]);

		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < g->nstreams; i++) /* port 0 binds: learn the real port */
		if (!sa_port(&g->streams[i].local)) {
			struct rtpgen_sock *k = &g->socks[g->streams[i].sock];
			socklen_t len = sizeof(k->local);

			if (!getsockname(k->fd, (struct sockaddr *)&k->local, &len))
				g->streams[i].local = k->local;
		}
	return 0;
}

void rtpgen_free(struct rtpgen *g)
{
	for (unsigned j = 0; g->socks && j < g->nsocks; j++)
		if (g->socks[j].fd >= 0)
			close(g->socks[j].fd);
	for (unsigned i = 0; g->streams && i < g->nstreams; i++)
		free(g->streams[i].latency);
	free(g->streams);
	free(g->socks);
	g->streams = NULL;
	g->socks = NULL;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The relay's control-plane state: relay addresses, ports, calls, the ng
 * reply cache and counters. Everything here is pure user-space logic; the
 * data plane is reached through relay_dp_ops so that tests run without BPF.
 */
#ifndef PIERCE_RELAY_RELAY_H
#define PIERCE_RELAY_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pierce/abi.h"
#include "relay/call.h"
#include "relay/cookie_cache.h"
#include "relay/ports.h"

#define NS_PER_SEC 1000000000ULL

struct relay_addr {
	struct sockaddr_storage local;      /* the address packets arrive on (port 0) */
	struct sockaddr_storage advertised; /* what the SDP names (IP!ADVERTISED) */
	uint32_t slot;                      /* legs index base is slot * port_count */
};

struct relay_dp_ops {
	void *ctx;
	int (*leg_set)(void *ctx, uint32_t index, const struct pierce_leg *leg, bool reset_counters);
	int (*leg_clear)(void *ctx, uint32_t index);
	int (*leg_get)(void *ctx, uint32_t index, struct pierce_leg *out);
	int (*stats)(void *ctx, struct pierce_stats *out); /* optional */
	/* Optional: writes n whole entries (counters and next-hop cache as
	 * given, i.e. zero) at once: a fresh install or a clear costs one
	 * system call per call, not two per leg. */
	int (*legs_write)(void *ctx, const uint32_t *index, const struct pierce_leg *legs, unsigned n);
};

#define NG_COMMANDS(X)                  \
	X(PING, "ping")                 \
	X(OFFER, "offer")               \
	X(ANSWER, "answer")             \
	X(DELETE, "delete")             \
	X(QUERY, "query")               \
	X(LIST, "list")                 \
	X(STATISTICS, "statistics")     \
	X(UNKNOWN, "unknown")

enum ng_cmd {
#define NG_X_ENUM(name, str) NG_CMD_##name,
	NG_COMMANDS(NG_X_ENUM)
#undef NG_X_ENUM
	NG_CMD__COUNT
};

enum ng_outcome { NG_OK = 0, NG_ERROR, NG_LOAD_LIMIT, NG_OUTCOME__COUNT };

struct relay_settings {
	uint32_t timeout_s;          /* no packet for this long after media started */
	uint32_t silent_timeout_s;   /* no packet at all for this long */
	uint32_t final_timeout_s;    /* 0: calls may last forever */
	uint32_t delete_delay_s;
	uint32_t max_sessions;       /* 0: no limit beyond ports */
	int tos;                     /* -1: leave DSCP alone */
};

struct relay_counters {
	uint64_t ng[NG_CMD__COUNT][NG_OUTCOME__COUNT];
	uint64_t ng_malformed;
	uint64_t ng_retransmits;
	uint64_t ng_denied;
	uint64_t leg_write_errors;   /* legs the map refused at a batch's end (logged) */
	uint64_t calls_created;
	uint64_t calls_rejected;
	uint64_t ended[CALL_END__COUNT];
	uint64_t slow_forwarded[PIERCE_R__COUNT];
	uint64_t slow_dropped[PIERCE_R__COUNT];
	uint64_t timeout_checks;     /* calls whose legs a tick read */
	uint64_t tick_ns_last, tick_ns_max; /* time relay_tick took (set by the daemon) */
};

struct relay {
	struct relay_addr addrs[PIERCE_MAX_ADDRS];
	unsigned n_addrs;
	uint16_t port_min;
	uint32_t port_count;
	struct relay_settings set;
	struct port_pool ports[PIERCE_MAX_ADDRS]; /* one per relay address: 100k calls need 400k ports */
	struct call_table calls;
	struct cookie_cache cookies;
	struct relay_dp_ops dp;
	struct relay_counters cnt;
	uint64_t started_ns;         /* monotonic */
	int64_t real_minus_mono_s;   /* wall clock = monotonic + this (for ng timestamps) */
	bool state_dirty;            /* the restart state file needs rewriting */
};

/* addrs[i].slot must be set; ports in [port_min, port_min + port_count). */
int relay_init(struct relay *r, const struct relay_addr *addrs, unsigned n_addrs, uint16_t port_min,
	       uint32_t port_count, const struct relay_settings *set, const struct relay_dp_ops *dp, uint64_t now_ns);
void relay_free(struct relay *r);
uint64_t relay_wallclock(const struct relay *r, uint64_t mono_ns);
/* Pairs booked, and pairs in all, over every relay address. */
uint32_t relay_pairs_used(const struct relay *r);
uint32_t relay_pairs_total(const struct relay *r);

/* One ng datagram in, one reply out (malloc'd; NULL when nothing should be
 * sent back, e.g. no cookie). Retransmissions get the cached reply. */
int ng_process(struct relay *r, const char *msg, size_t len, const struct sockaddr_storage *from, uint64_t now_ns,
	       char **reply, size_t *reply_len);
const char *ng_cmd_name(enum ng_cmd cmd);
const char *ng_outcome_name(enum ng_outcome o);

/* Timeouts and delayed deletes of the calls that are due (see
 * call_sched.h); call about once a second. */
void relay_tick(struct relay *r, uint64_t now_ns);
/* Makes every call due at now_ns (the timeouts changed). */
void relay_recheck_all(struct relay *r, uint64_t now_ns);
/* Ends a call now: legs cleared, ports freed, record kept for the delete delay. */
void relay_call_end(struct relay *r, struct call *c, enum call_end why, uint64_t now_ns);

#endif

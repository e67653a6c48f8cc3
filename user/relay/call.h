/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A relayed call: two sides (the SIP tags), and for each SDP media the relay
 * port each side sends to. port[s] is where side s sends; packets arriving
 * there go to dest[1-s] from port[1-s], so each side only ever sees the
 * relay. The RTCP port is always the RTP port + 1.
 */
#ifndef PIERCE_RELAY_CALL_H
#define PIERCE_RELAY_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "relay/call_sched.h"
#include "relay/relay_sdp.h"

#define CALL_ID_MAX 255
#define CALL_TAG_MAX 127

#define CALL_END_REASONS(X)                              \
	X(DELETED, "deleted")                            \
	X(TIMEOUT, "timeout")                            \
	X(SILENT_TIMEOUT, "silent_timeout")              \
	X(FINAL_TIMEOUT, "final_timeout")

enum call_end {
#define CALL_X_ENUM(name, str) CALL_END_##name,
	CALL_END_REASONS(CALL_X_ENUM)
#undef CALL_X_ENUM
	CALL_END__COUNT
};

enum call_state { CALL_OFFERED = 0, CALL_ANSWERED, CALL_ENDED };

/* An address a call keeps (RTP destination, allowed source): the size of a
 * sockaddr_in6 (28 bytes) rather than a sockaddr_storage (128), four per
 * media at 100,000s of calls. family AF_UNSPEC: not known. */
union call_addr {
	sa_family_t family;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* AF_INET and AF_INET6 are kept, anything else becomes AF_UNSPEC. */
void call_addr_set(union call_addr *a, const struct sockaddr_storage *ss);
void call_addr_get(const union call_addr *a, struct sockaddr_storage *ss);

struct call_media {
	char type[16];
	char proto[32];
	uint16_t port[2];                    /* relay RTP port side s sends to; 0: none */
	uint8_t addr[2];                     /* relay address index used towards side s */
	union call_addr dest[2];             /* side s's RTP address; AF_UNSPEC: not known */
	uint16_t dest_rtcp[2];               /* side s's RTCP port */
	union call_addr allow[2];            /* side s's allowed source IP; AF_UNSPEC: learn */
	/* Side s has not described itself yet (the callee before the answer,
	 * or an answer that rejected the stream): its legs drop every packet,
	 * so nobody can latch a port before its owner is known. */
	bool closed[2];
	bool disabled;                       /* m= port 0 */
	/* side s's legs were last installed closed: nothing can have latched
	 * them, a re-install need not read them back (call_legs_install) */
	bool legs_closed[2];
};

struct call {
	struct call *hnext;                  /* hash chain */
	struct call *prev, *next;            /* every call, oldest first */
	/* the two tags at their own length, one allocation: side 0's (the
	 * first offerer), NUL, side 1's, NUL; NULL: none yet (see call_tag) */
	char *tags;
	unsigned n_media;
	unsigned media_cap;                  /* entries allocated in media[] */
	struct call_media *media;            /* allocated as offers need: most calls have one */
	enum call_state state;
	enum call_end end_reason;            /* valid in CALL_ENDED */
	uint64_t created_ns;                 /* monotonic */
	uint64_t last_signal_ns;
	uint64_t ended_ns;
	uint64_t remove_at_ns;               /* 0: not scheduled */
	uint64_t check_at_ns;                /* next look at timeouts and removal */
	uint32_t sched_pos;                  /* place in call_table.sched */
	uint8_t policy;                      /* enum pierce_src_policy */
	uint8_t tag1_at;                     /* side 1's tag: tags + tag1_at */
	int tos;                             /* -1: leave DSCP */
	bool legs_installed;
	char call_id[];                      /* as long as it is (at most CALL_ID_MAX) */
};

struct call_table {
	struct call **buckets;
	uint32_t n_buckets;
	struct call *head, *tail;
	uint32_t count;                      /* every call in the table */
	uint32_t active;                     /* not CALL_ENDED */
	struct call_sched sched;             /* every call, by check_at_ns */
};

int call_table_init(struct call_table *t, uint32_t n_buckets);
void call_table_free(struct call_table *t);
struct call *call_find(struct call_table *t, const char *call_id);
/* -ENAMETOOLONG for an oversized Call-ID, -ENOMEM. The new call is due
 * for its first check at now_ns. */
int call_add(struct call_table *t, const char *call_id, uint64_t now_ns, struct call **out);
void call_remove(struct call_table *t, struct call *c);
/* Room for n media (new entries zeroed, n <= RSDP_MAX_MEDIA): -ENOMEM, -E2BIG. */
int call_media_reserve(struct call *c, unsigned n);
/* Side s's tag, stored at its own length: -ENAMETOOLONG (> CALL_TAG_MAX), -ENOMEM. */
int call_set_tag(struct call *c, int s, const char *tag);
/* Side s's tag, "" when none yet. */
static inline const char *call_tag(const struct call *c, int s)
{
	return !c->tags ? "" : s ? c->tags + c->tag1_at : c->tags;
}
/* 0 or 1 for a known tag, -1 otherwise. */
int call_side_of(const struct call *c, const char *tag);
const char *call_end_name(enum call_end e);

#endif

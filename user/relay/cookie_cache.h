/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Replies kept by (source address, cookie), so that a retransmitted ng
 * request gets the same answer instead of being executed twice (a second
 * offer must not allocate new ports). Bounded in entries and in age; the
 * oldest entry makes room for a new one.
 */
#ifndef PIERCE_RELAY_COOKIE_CACHE_H
#define PIERCE_RELAY_COOKIE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define COOKIE_MAX 64

struct cookie_entry {
	union {                     /* the sender: an IP address is all a UDP peer can be */
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} from;
	char cookie[COOKIE_MAX + 1];
	uint64_t stored_ns;
	char *reply;                /* NULL: slot unused */
	size_t reply_len;
	uint32_t hnext;             /* next index in the bucket chain, UINT32_MAX at the end */
	uint32_t hash;
};

struct cookie_cache {
	struct cookie_entry *e;     /* ring, oldest at `head` */
	uint32_t cap;
	uint32_t head;
	uint32_t n_buckets;
	uint32_t *buckets;
	uint64_t ttl_ns;
};

int cookie_cache_init(struct cookie_cache *c, uint32_t cap, uint64_t ttl_ns);
void cookie_cache_free(struct cookie_cache *c);
/* The cached reply, or NULL when absent or expired. */
const char *cookie_cache_get(struct cookie_cache *c, const struct sockaddr_storage *from, const char *cookie,
			     uint64_t now_ns, size_t *len);
/* Copies reply; -EINVAL for a cookie longer than COOKIE_MAX, -EAFNOSUPPORT
 * for a sender that is not IPv4 or IPv6, -ENOMEM. */
int cookie_cache_put(struct cookie_cache *c, const struct sockaddr_storage *from, const char *cookie,
		     const char *reply, size_t len, uint64_t now_ns);

#endif

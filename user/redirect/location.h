/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_LOCATION_H
#define PIERCE_REDIRECT_LOCATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * The location service: which proxy serves an address-of-record. Proxies
 * publish their users with third-party REGISTERs; the redirect server reads
 * the bindings back to answer INVITEs with a 302.
 *
 * A backend is a struct location whose ops implement the calls below. The
 * in-memory hash table is the default; a shared store (Redis) can be plugged
 * in behind the same interface so that several redirect servers agree.
 *
 * Times are milliseconds on a monotonic clock, passed in by the caller so the
 * store never reads a clock itself (and tests control time).
 */

#define LOC_AOR_MAX          256 /* "user@host[:port]", NUL included */
#define LOC_CONTACT_MAX      256 /* serving proxy URI, NUL included */
#define LOC_CONTACTS_PER_AOR 8   /* proxies that may serve one AOR at once */

struct loc_binding {
	char contact[LOC_CONTACT_MAX];
	uint64_t expires_at_ms;
	uint64_t updated_at_ms;
};

struct location;

/* Returning non-zero stops the iteration; iterate then returns that value. */
typedef int (*loc_iter_fn)(const char *aor, const struct loc_binding *b, void *arg);

struct location_ops {
	const char *name;
	/* Adds or refreshes aor -> contact for expires_s seconds (> 0).
	 * -ENOSPC when the store or the AOR is full, -EINVAL on bad strings. */
	int (*put)(struct location *loc, const char *aor, const char *contact, uint32_t expires_s, uint64_t now_ms);
	/* Live bindings of aor, most recently refreshed first, into out[max].
	 * Returns how many (0 when unknown) or a negative errno. */
	int (*get)(struct location *loc, const char *aor, uint64_t now_ms, struct loc_binding *out, size_t max);
	/* Removes one binding, or every binding of aor when contact is NULL.
	 * -ENOENT when nothing matched. */
	int (*del)(struct location *loc, const char *aor, const char *contact);
	/* Drops bindings whose time is up; returns how many. */
	int (*expire)(struct location *loc, uint64_t now_ms);
	/* Calls fn for every live binding; order is unspecified. */
	int (*iterate)(struct location *loc, uint64_t now_ms, loc_iter_fn fn, void *arg);
	/* Live and not yet reaped bindings. */
	size_t (*count)(const struct location *loc);
	void (*destroy)(struct location *loc);
};

struct location {
	const struct location_ops *ops;
};

/* "memory" is the only backend built in; others give -EPROTONOSUPPORT. */
int location_open(const char *spec, size_t max_bindings, struct location **out);
int location_mem_open(size_t max_bindings, struct location **out);

static inline void location_close(struct location *loc)
{
	if (loc)
		loc->ops->destroy(loc);
}

#endif

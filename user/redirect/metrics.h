/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_REDIRECT_METRICS_H
#define PIERCE_REDIRECT_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* One list for the counters, their names and their help text. */
#define REDIRECT_COUNTERS(X)                                                    \
	X(requests, "SIP requests received")                                    \
	X(replies_200, "200 OK sent (REGISTER, OPTIONS)")                       \
	X(replies_302, "302 Moved Temporarily sent")                            \
	X(replies_404, "404 Not Found sent")                                    \
	X(replies_400, "400 Bad Request sent")                                  \
	X(replies_other, "other responses sent (416, 481, 503, ...)")           \
	X(registrations, "bindings added or refreshed by REGISTER")             \
	X(unregistrations, "bindings removed by REGISTER with expires 0")       \
	X(expired, "bindings dropped because their time ran out")              \
	X(acks_absorbed, "ACKs absorbed without a response")                    \
	X(responses_dropped, "SIP responses received and dropped")              \
	X(unanswerable, "malformed messages dropped: no Via to answer to")      \
	X(send_errors, "responses that could not be sent")

struct redirect_metrics {
#define X(name, help) uint64_t name;
	REDIRECT_COUNTERS(X)
#undef X
};

/* Writes "pierce_redirect_<name> <value>\n" lines (with # HELP) into buf;
 * returns the length written, truncated to fit len. bindings is the current
 * store size, reported as a gauge. */
size_t redirect_metrics_format(const struct redirect_metrics *m, size_t bindings, char *buf, size_t len);
/* Logs every counter on one line (for SIGUSR1). */
void redirect_metrics_log(const struct redirect_metrics *m, size_t bindings);

#endif

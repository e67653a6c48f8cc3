/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ng control socket: UDP on one address, sources outside --ng-allow ignored. */
#ifndef PIERCE_RELAY_NG_SERVER_H
#define PIERCE_RELAY_NG_SERVER_H

#include <ev.h>
#include <sys/socket.h>

#include "relay/relay.h"
#include "relay/relay_config.h"

struct ng_server {
	ev_io io;
	int fd;
	struct relay *relay;
	const struct cidr *allow;
	unsigned n_allow;
};

int ng_server_start(struct ng_server *s, struct ev_loop *loop, struct relay *r, const struct sockaddr_storage *bind_to,
		    const struct cidr *allow, unsigned n_allow);
void ng_server_stop(struct ng_server *s, struct ev_loop *loop);
uint64_t mono_now_ns(void);

/* The largest UDP payload over IPv4: no reply can be longer. */
#define NG_REPLY_BUF 65507

/* ng_process into the caller's buffer (no allocation): the reply's length
 * in *reply_len; -EBADMSG when nothing should be sent back (no cookie),
 * -E2BIG when it does not fit `size`. */
int ng_process_into(struct relay *r, const char *msg, size_t len, const struct sockaddr_storage *from,
		    uint64_t now_ns, char *reply, size_t size, size_t *reply_len);

#endif

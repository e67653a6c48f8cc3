/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The slow path: frames the XDP program cannot forward itself (no
 * neighbour yet, fib failure, IP options, IPv6 extension headers, v4<->v6)
 * arrive untouched on the `slowpath` ring buffer. Each is forwarded from
 * user space with the same rewrite, sent from the relay address and port
 * over a raw socket (no socket per relay port), and counted by reason.
 * Fragments are counted and dropped: there is no reassembly.
 */
#ifndef PIERCE_RELAY_SLOWPATH_H
#define PIERCE_RELAY_SLOWPATH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "relay/relay.h"

struct ring_buffer;

struct slow_pkt {
	struct sockaddr_storage src;    /* with port */
	struct sockaddr_storage dst;
	const uint8_t *payload;         /* UDP payload */
	size_t payload_len;
	bool fragment;
};

/* Ethernet (optionally one VLAN tag), IPv4 (options allowed) or IPv6
 * (extension headers walked), UDP. -EBADMSG when it is none of that. */
int slow_parse(const uint8_t *frame, size_t len, struct slow_pkt *out);

/* IPv4 + UDP datagram into buf (the raw-socket form); returns its length or -ENOSPC. */
int slow_build_ipv4(uint8_t *buf, size_t size, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, uint8_t tos, const uint8_t *payload, size_t len);

/* The XDP program's source policy for a frame it handed over from leg
 * (without latching: the program latches on the fast path only). */
bool slowpath_source_allowed(const struct pierce_leg *leg, const struct sockaddr_storage *from);

struct slowpath {
	ev_io io;
	struct ring_buffer *rb;
	int raw4, raw6;
	struct relay *relay;
	uint64_t forwarded, dropped;
};

int slowpath_start(struct slowpath *s, struct ev_loop *loop, struct relay *r, int ringbuf_fd);
void slowpath_stop(struct slowpath *s, struct ev_loop *loop);

#endif

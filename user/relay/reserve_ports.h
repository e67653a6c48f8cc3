/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Keeps the kernel's ephemeral port allocator away from the relay range
 * (net.ipv4.ip_local_reserved_ports, which covers IPv6 too): a local socket
 * that got a relay port would have its packets taken by the XDP program.
 * The previous value is written back when the relay exits, also after a
 * failed start; after a crash the
 * range simply stays reserved.
 */
#ifndef PIERCE_RELAY_RESERVE_PORTS_H
#define PIERCE_RELAY_RESERVE_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#define RESERVED_PORTS_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"

struct port_reservation {
	char path[128];
	char saved[4096];
	bool changed;
};

int ports_reserve(struct port_reservation *r, const char *path, uint16_t min, uint16_t max);
int ports_unreserve(struct port_reservation *r);

#endif

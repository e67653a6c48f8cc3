/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PIERCE_SOCKADDR_H
#define PIERCE_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SA_STR_MAX 64 /* "[v6%scope]:port" fits */

/* "1.2.3.4", "::1" into ss with port; -EINVAL on anything else. */
int sa_parse_ip(const char *s, uint16_t port, struct sockaddr_storage *ss);
/* "1.2.3.4:5060", "[::1]:5060"; a missing port uses default_port (0: required). */
int sa_parse_hostport(const char *s, uint16_t default_port, struct sockaddr_storage *ss);
/* "1.2.3.4:5060" or "[::1]:5060" into buf (>= SA_STR_MAX); returns buf. */
const char *sa_format(const struct sockaddr_storage *ss, char *buf, size_t len);
/* The address alone, no port. */
const char *sa_format_ip(const struct sockaddr_storage *ss, char *buf, size_t len);
socklen_t sa_len(const struct sockaddr_storage *ss);
uint16_t sa_port(const struct sockaddr_storage *ss);
void sa_set_port(struct sockaddr_storage *ss, uint16_t port);
bool sa_equal_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
bool sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Restart adoption. The pinned legs map keeps forwarding while pierce-relay
 * restarts, but it holds no Call-IDs or tags. A small text file (default
 * /run/pierce/relay-state, rewritten atomically at most once a second, by a
 * forked child so the event loop does not stall on a large table, and on
 * exit) carries them: one `call` line per call and one `media` line per
 * m= line. On start, records whose legs are still active in the map are
 * rebuilt and their ports claimed; active legs without a record become
 * calls named "adopted-<slot>-<port>", so their ports stay booked and the
 * timeouts still end them.
 */
#ifndef PIERCE_RELAY_STATE_FILE_H
#define PIERCE_RELAY_STATE_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "relay/relay.h"

#define STATE_FILE_MAGIC "pierce-relay-state 1"

int state_file_write(struct relay *r, FILE *out, uint64_t now_ns);
int state_file_save(struct relay *r, const char *path);
/* state_file_save in a forked child (a copy-on-write snapshot): its pid,
 * 0 when path is empty (nothing to do), or -errno when fork failed. The
 * caller reaps it; the child exits 0 when the file was written. */
pid_t state_file_save_bg(struct relay *r, const char *path);
/* Reads records from in (may be NULL) and then adopts orphan legs.
 * Returns the number of calls adopted. */
int state_file_adopt(struct relay *r, FILE *in, uint64_t now_ns);
int state_adopt(struct relay *r, const char *path, uint64_t now_ns);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * piercectl's shared state and the subcommands. A subcommand returns the
 * process exit status: CTL_OK, CTL_FAIL (the operation failed) or CTL_USAGE
 * (bad command line, with a message naming the problem).
 */
#ifndef PIERCECTL_CTL_H
#define PIERCECTL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"

enum ctl_status { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl {
	const char *pin_dir;
	bool json;
};

/* "strict", "trust", "relatch" for enum pierce_src_policy. */
const char *ctl_policy_name(unsigned policy);
/* Adopts the pinned data plane; prints why not on failure. */
int ctl_adopt(const struct ctl *ctl, struct pierce_dp **dp);
/* Prints "piercectl: <msg>" to stderr and returns CTL_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "piercectl: <what>: <strerror(-err)>" and returns CTL_FAIL. */
int ctl_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The option getopt refused: "-x" from a group like -xj (optopt), else the
 * argument itself ("--bogus"). buf holds at least 3 bytes. */
const char *ctl_bad_option(char **argv, char *buf);

/* The relay ip:port a legs[] index stands for; -ENOENT when no slot has it. */
int ctl_leg_relay(const struct pierce_cfg *cfg, uint32_t index, struct sockaddr_storage *out);

int cmd_attach(const struct ctl *ctl, int argc, char **argv);
int cmd_detach(const struct ctl *ctl, int argc, char **argv);
int cmd_unload(const struct ctl *ctl, int argc, char **argv);
int cmd_cfg(const struct ctl *ctl, int argc, char **argv);
int cmd_leg(const struct ctl *ctl, int argc, char **argv);
int cmd_legs(const struct ctl *ctl, int argc, char **argv);
int cmd_sessions(const struct ctl *ctl, int argc, char **argv);
int cmd_stats(const struct ctl *ctl, int argc, char **argv);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: the per-reason counters, summed over CPUs, named from the X-macro. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"

int cmd_stats(const struct ctl *ctl, int argc, char **argv)
{
	struct pierce_dp *dp = NULL;
	struct pierce_stats st;
	struct json j;
	bool all = false;
	int err, ret = CTL_FAIL;

	if (argc == 2 && !strcmp(argv[1], "--all"))
		all = true;
	else if (argc != 1)
		return ctl_usage_error("stats: unexpected argument '%s' (only --all)", argv[1]);
	if (ctl_adopt(ctl, &dp))
		return CTL_FAIL;
	err = pierce_dp_stats(dp, &st);
	if (err) {
		ctl_fail(err, "stats: cannot read the stats map");
		goto out;
	}
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		for (unsigned r = 0; r < PIERCE_R__COUNT; r++) {
			json_obj_begin(&j, pierce_reason_name(r));
			json_u64(&j, "packets", st.packets[r]);
			json_u64(&j, "bytes", st.bytes[r]);
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_done(&j);
	} else {
		printf("%-20s %14s %16s  %s\n", "reason", "packets", "bytes", "meaning");
		for (unsigned r = 0; r < PIERCE_R__COUNT; r++) {
			if (!all && !st.packets[r])
				continue;
			printf("%-20s %14" PRIu64 " %16" PRIu64 "  %s\n", pierce_reason_name(r),
			       (uint64_t)st.packets[r], (uint64_t)st.bytes[r], pierce_reason_help(r));
		}
	}
	ret = CTL_OK;
out:
	pierce_dp_close(dp);
	return ret;
}

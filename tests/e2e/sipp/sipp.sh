#!/bin/bash
# shellcheck shell=bash
# Helpers for running the scenarios in this directory. Source it.
#
#   sipp_scn NAME                 path of scenario NAME (uac, uas, reg, ...)
#   sipp_stat FILE COLUMN         the last value of COLUMN (e.g.
#                                 "SuccessfulCall(C)") in a sipp -trace_stat
#                                 CSV file; empty when missing
#   sipp_common_args DIR TAG      prints the arguments every run wants: no
#                                 stdin, errors and statistics in DIR/TAG.*
#                                 (never next to the scenario), final stats
#
# sipp exit status: 0 all calls succeeded, 1 some failed, 97 stopped by a
# command, 99 no call processed, 255/254 fatal (254: cannot bind).

SIPP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sipp_scn() {
	echo "$SIPP_DIR/$1.xml"
}

sipp_common_args() {
	local dir=$1 tag=$2
	echo -nostdin -trace_err -error_file "$dir/$tag.errors" \
		-trace_stat -stf "$dir/$tag.csv" -fd 1 \
		-trace_screen -screen_file "$dir/$tag.screen" \
		${SIPP_TRACE_MSG:+-trace_msg -message_file "$dir/$tag.msg"}
}

sipp_stat() {
	local file=$1 col=$2
	[ -f "$file" ] || return 0
	awk -F';' -v c="$col" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k { v = $k }
		END { if (k) print v }' "$file"
}

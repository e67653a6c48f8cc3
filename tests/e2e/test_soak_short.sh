#!/bin/bash
# The soak (tests/soak/run.sh) in short, as a CI check: 2 minutes of calls at
# 50 cps with 5 % random SIP loss on both NATs, daemons built with ASan and
# UBSan (SOAK_BUILD, default build-asan, built here). It asserts what the long
# soak does: the relay leaks no port or session and its XDP maps agree with
# it, every session it created was ended, no sanitizer report (LeakSanitizer
# at exit included: every daemon must exit 0 on SIGTERM), at least 90 % of the
# calls completed, and no daemon's RSS grew 5 % or more from the end of a
# 60 s warm-up to the end of the calls (the warm-up and why it is enough:
# tests/soak/run.sh). About 3 minutes in all.
# Environment: BUILD (unused: the soak builds its own sanitizer build,
# SOAK_BUILD), SOAK_CPS, SOAK_SECONDS (default 120), SOAK_WARMUP_S (default 60).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SOAK_SECONDS=${SOAK_SECONDS:-120} SOAK_WARMUP_S=${SOAK_WARMUP_S:-60} exec tests/soak/run.sh

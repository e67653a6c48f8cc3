#!/bin/bash
# The soak (tests/soak/run.sh) for 2 minutes at 50 cps with 5 % SIP loss, as
# a CI check. Draft: with ASan-built daemons the relay's RSS grows ~20 % and
# pierce-redirect's ~9 % between the 1/4 mark and the end of a 2-minute run,
# which fails the 5 % check (see tests/RELIABILITY.md); it becomes
# test_soak_short.sh once that is explained or fixed.
# Environment: BUILD (unused: the soak builds its own sanitizer build,
# SOAK_BUILD, default build-asan), SOAK_CPS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SOAK_MINUTES=2 exec tests/soak/run.sh

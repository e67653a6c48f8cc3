#!/bin/bash
# The fuzz suite of `make test`: builds every libFuzzer target, replays the
# committed corpora (each input once), then fuzzes each target for
# FUZZ_SHORT_TIME seconds (default 20). Fails on any crash, leak, UB report
# or broken invariant. The seed is fixed (FUZZ_SEED, default 1) so that a CI
# result can be reproduced; exploration with fresh seeds is `make fuzz
# FUZZ_TIME=600`.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" fuzz-build || { echo "FAIL: fuzz targets do not build"; exit 1; }
n=$(ls tests/fuzz/fuzz_*.c | wc -l)
[ "$n" -gt 0 ] || { echo "FAIL: no fuzz targets"; exit 1; }
rc=0
echo "== replaying committed corpora"
BUILD=$BUILD tests/fuzz/run.sh --replay tests/fuzz/corpus || rc=1
echo "== fuzzing each target for ${FUZZ_SHORT_TIME:-20}s"
BUILD=$BUILD FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_TIME=${FUZZ_SHORT_TIME:-20} tests/fuzz/run.sh || rc=1
exit $rc

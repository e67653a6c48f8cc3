#!/bin/bash
# Runs libFuzzer targets built by `make fuzz-build` (tests/fuzz/fuzz.mk).
#   run.sh [TARGET...]               fuzz each for FUZZ_TIME seconds (default 60);
#                                    FUZZ_SEED fixes libFuzzer's seed (default: random)
#   run.sh --replay DIR [TARGET...]  run each target once over DIR/<target>/*
#                                    (corpus or regressions), no fuzzing
# A crash, leak, sanitizer report or invariant failure fails the run: the
# input lands in $BUILD/fuzz/artifacts/<target>/. Discovered inputs go to
# $BUILD/fuzz/work/<target>, never into the tree. Prints exec/s per target.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS_RSS=${FUZZ_RSS_MB:-2048}
replay=
if [ "${1:-}" = "--replay" ]; then
	replay=${2:?--replay needs a directory}
	shift 2
fi
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
# Known leaks in libraries pierce uses, each documented in lsan.supp with a
# regression input; the regression replay runs without them.
lsupp=":suppressions=$PWD/tests/fuzz/lsan.supp"
asupp=":suppressions=$PWD/tests/fuzz/asan.supp"
if [ "$replay" = tests/fuzz/regressions ]; then lsupp=""; asupp=""; export FUZZ_STRICT_OUT=1; fi
export LSAN_OPTIONS=print_suppressions=0${lsupp}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1${asupp}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
fail() { # $1 = message, $2 = log
	echo "FAIL $1 (log $2)"
	grep -E "ERROR|INVARIANT|SUMMARY|Running:|runtime error|Test unit written" "$2" | head -20 | sed 's/^/     /'
	failed=$((failed + 1))
}
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t
	log=$BUILD/fuzz/logs/$t.log
	art=$BUILD/fuzz/artifacts/$t/
	mkdir -p "$BUILD/fuzz/logs" "$art"
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin not built (make BUILD=$BUILD fuzz-build)"
		failed=$((failed + 1)); continue
	fi
	if [ -n "$replay" ]; then
		inputs=("$replay/$t"/*)
		if [ ! -e "${inputs[0]}" ]; then
			echo "ok   $t: no inputs in $replay/$t"
			continue
		fi
		bad=0
		: >"$log"
		for input in "${inputs[@]}"; do # one process each: every failing input is reported
			if ! "$bin" -runs=1 -artifact_prefix="$art" "$input" >"$log.one" 2>&1; then
				bad=$((bad + 1))
				cat "$log.one" >>"$log"
			fi
		done
		rm -f "$log.one"
		if [ "$bad" -eq 0 ]; then
			echo "ok   $t: ${#inputs[@]} inputs from $replay/$t"
		else
			fail "$t: $bad of ${#inputs[@]} inputs from $replay/$t" "$log"
		fi
		continue
	fi
	work=$BUILD/fuzz/work/$t
	mkdir -p "$work"
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	seed=()
	[ -n "${FUZZ_SEED:-}" ] && seed=(-seed="$FUZZ_SEED")
	if "$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb="$FUZZ_JOBS_RSS" -print_final_stats=1 \
		-artifact_prefix="$art" "${seed[@]}" "${dict[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "ok   $t: ${runs:-?} runs, ${execs:-?} exec/s, ${cov:-cov: ?}, ${FUZZ_TIME}s"
	else
		fail "$t: finding in $art" "$log"
	fi
done
[ "$failed" -eq 0 ]

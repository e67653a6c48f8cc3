#!/bin/bash
# Runs pierce's test suites: unit (cmocka + sanitizers, no root), bpf
# (BPF_PROG_TEST_RUN on the real program, root) and e2e (network namespaces,
# root). A suite that cannot run fails; nothing is skipped quietly.
# Closes with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
passed=0
failed=0
failures=()

count_cmocka() { # $1 = log, $2 = exit code, $3 = name
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, sanitizer report, or died before cmocka's summary
	fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then failures+=("$3"); fi
	echo "  $3: $p passed, $f failed"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: $1 tests need root (XDP, network namespaces); run as root" >&2
		failed=$((failed + 1)); failures+=("$1: not root")
		return 1
	fi
}

run_bins() { # $1 = suite
	local bin log rc any=0
	for bin in "$BUILD"/tests/"$1"/test_*; do
		[ -x "$bin" ] || continue
		any=1
		log=$LOGDIR/$1-$(basename "$bin").log
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			timeout 300 "$bin" >"$log" 2>&1
		rc=$?
		count_cmocka "$log" "$rc" "$1/$(basename "$bin")"
		if [ "$rc" -ne 0 ]; then sed 's/^/    | /' "$log" | tail -40; fi
	done
	if [ "$any" = 0 ]; then
		echo "FAIL: no $1 test binaries in $BUILD/tests/$1" >&2
		failed=$((failed + 1)); failures+=("$1: none built")
	fi
}

run_scripts() { # $1 = dir
	local t log rc any=0
	for t in tests/"$1"/test_*.sh; do
		[ -f "$t" ] || continue
		if [ -n "${ONLY:-}" ] && [[ "$t" != *"$ONLY"* ]]; then continue; fi
		any=1
		log=$LOGDIR/$1-$(basename "$t" .sh).log
		echo "  running $t"
		timeout 900 bash "$t" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			passed=$((passed + 1)); echo "  $t: passed"
		else
			failed=$((failed + 1)); failures+=("$t (exit $rc)")
			echo "  $t: FAILED (exit $rc)"; sed 's/^/    | /' "$log" | tail -60
		fi
	done
	if [ "$any" = 0 ]; then
		echo "FAIL: no tests/$1/test_*.sh${ONLY:+ matching ONLY=$ONLY}" >&2
		failed=$((failed + 1)); failures+=("$1: no test ran")
	fi
}

suites=${1:-all}
case $suites in
all) suites="unit bpf fuzz e2e" ;;
esac
for s in $suites; do
	echo "== $s"
	case $s in
	unit) run_bins unit ;;
	bpf) need_root bpf && run_bins bpf ;;
	e2e) need_root e2e && run_scripts e2e ;;
	fuzz) run_scripts fuzz ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
done
if [ "${#failures[@]}" -ne 0 ]; then
	echo "failures:"; printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

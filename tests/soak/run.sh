#!/bin/bash
# Soak: the patent topology (tests/e2e/test_proxy_topology.sh), sipp calls at
# SOAK_CPS calls per second for SOAK_MINUTES, and both NAT routers dropping
# 5 % of the SIP datagrams at random each way (nftables numgen random mod
# 20 == 0). Two kinds of daemon:
#   - default: built with AddressSanitizer and UBSan (SOAK_BUILD, default
#     build-asan);
#   - SOAK_VALGRIND=1: built plain (-O1 -g, SOAK_BUILD default build-valgrind)
#     and run under valgrind memcheck, at a rate valgrind keeps up with
#     (SOAK_CPS default 5).
#
# At the end (after the last call and the relay's --silent-timeout):
#   - the relay holds no session and no port, by its metrics and by ng
#     statistics, and its XDP maps hold no leg (piercectl legs): the maps
#     agree with the daemon; every session it created was ended;
#   - ASan: the RSS of each daemon grew less than SOAK_RSS_PCT (5) % from the
#     end of the warm-up (SOAK_WARMUP_S) to the end of the calls (see
#     "Warm-up" below);
#   - ASan: no sanitizer report in any daemon's log, and each daemon exited 0
#     on SIGTERM, so LeakSanitizer's check at exit ran and found nothing;
#   - valgrind: each daemon exited on SIGTERM with no memcheck error and no
#     definite leak (--error-exitcode, and the ERROR SUMMARY of its log);
#   - at least SOAK_MIN_OK_PCT (90) % of the calls completed (the UAS is
#     sipp's plain uas.xml: a call whose 180 and 200 were both lost and whose
#     INVITE comes again is aborted by it, which is sipp's limit, not the
#     proxy's).
# The RSS of every daemon is sampled every SOAK_SAMPLE_S seconds into
# SOAK_RSS_LOG (default $E2E_TMP/rss.tsv, removed at exit unless set) and
# summed up at the end: start, end of warm-up, half way, end. A line of
# figures is printed at the end ("soak: ...") for RELIABILITY.md.
#
# Warm-up: after the calls start, memory grows until every kind of state has
# reached the number a constant call rate keeps alive: the proxies' finished
# transactions linger 32 s (and a client transaction lives up to Timer B/F,
# 32 s), a relay session whose delete was lost lives until the silent timeout
# (20 s here), the proxy queries its calls every 10 s, and the relay's ng
# cookie cache (8192 replies) is full after ~8192 / (3.3 * SOAK_CPS) s (~50 s
# at 50 cps) and from then on replaces its oldest reply. SOAK_WARMUP_S
# (default: a quarter of the run, at least 60 s) must cover all of these;
# from then on memory held at a constant call rate is constant, so RSS growth
# measured from there is a leak (or the allocator fragmenting without bound),
# which is what the check is for. The 30-minute run measures from 7.5 min.
#
# AddressSanitizer settings (ASAN_OPTIONS), each because of what RSS measures:
#   - quarantine_size_mb=0: no list of freed blocks held back;
#   - malloc_context_size=2: the stack kept per allocation and free is the
#     allocating function only (no unwinding). With a deeper context, the
#     frame-pointer unwinder walks through libosip2 (built without frame
#     pointers) into whatever a register points at on the stack (SIP text in
#     a buffer), so nearly every allocation stores a stack never seen before:
#     ASan's stack depot grew by ~1 million stacks (58 MB) in 12 minutes at
#     50 cps, a slope in RSS that is ASan's own and no leak. Reports of bad
#     accesses keep their full stack; a leak report names the allocating
#     function (rerun a short soak with SOAK_ASAN_CONTEXT=10 for more);
#   - atexit=1:print_stats=1 (daemons only): the allocator's and stack
#     depot's figures in each daemon's log at exit (the depot's size goes
#     into the figures).
#
# Environment: SOAK_MINUTES (default 30) or SOAK_SECONDS (overrides it),
# SOAK_CPS (default 50: half of a conservative measured maximum; pass half of
# yours; 5 under valgrind), SOAK_BUILD, SOAK_RSS_PCT, SOAK_WARMUP_S,
# SOAK_MIN_OK_PCT, SOAK_HOLD_MS (call length, default 1000), SOAK_SAMPLE_S,
# SOAK_RSS_LOG, SOAK_LOG_DIR (the daemons' and sipp's logs are copied there
# at the end), SOAK_ASAN_CONTEXT (default 2), SOAK_PLAIN=1 (daemons built
# as for production, -O2 -g, SOAK_BUILD default build-plain: RSS figures free
# of ASan's allocator; no sanitizer check then), SOAK_VALGRIND=1.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SOAK_VALGRIND=${SOAK_VALGRIND:-0}
SOAK_PLAIN=${SOAK_PLAIN:-0}
SOAK_MINUTES=${SOAK_MINUTES:-30}
SOAK_SECONDS=${SOAK_SECONDS:-$((SOAK_MINUTES * 60))}
if [ "$SOAK_VALGRIND" = 1 ]; then
	SOAK_CPS=${SOAK_CPS:-5}
	SOAK_BUILD=${SOAK_BUILD:-build-valgrind}
	BUILD_CFLAGS="-O1 -g"
elif [ "$SOAK_PLAIN" = 1 ]; then
	SOAK_CPS=${SOAK_CPS:-50}
	SOAK_BUILD=${SOAK_BUILD:-build-plain}
	BUILD_CFLAGS="-O2 -g"
else
	SOAK_CPS=${SOAK_CPS:-50}
	SOAK_BUILD=${SOAK_BUILD:-build-asan}
	BUILD_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
fi
SOAK_RSS_PCT=${SOAK_RSS_PCT:-5}
SOAK_MIN_OK_PCT=${SOAK_MIN_OK_PCT:-90}
SOAK_HOLD_MS=${SOAK_HOLD_MS:-1000}
SOAK_ASAN_CONTEXT=${SOAK_ASAN_CONTEXT:-2}
total_s=$SOAK_SECONDS
q=$((total_s / 4))
SOAK_WARMUP_S=${SOAK_WARMUP_S:-$((q > 60 ? q : 60))}
s=$((total_s / 60))
SOAK_SAMPLE_S=${SOAK_SAMPLE_S:-$((s < 5 ? 5 : s > 30 ? 30 : s))}
for v in SOAK_SECONDS SOAK_CPS SOAK_RSS_PCT SOAK_MIN_OK_PCT SOAK_HOLD_MS SOAK_WARMUP_S SOAK_SAMPLE_S SOAK_ASAN_CONTEXT; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || { echo "FAIL: $v must be a positive integer" >&2; exit 2; }
done
[ "$SOAK_SECONDS" -le 86400 ] && [ "$SOAK_CPS" -le 1000 ] ||
	{ echo "FAIL: SOAK_SECONDS <= 86400, SOAK_CPS <= 1000" >&2; exit 2; }
[ $((total_s - SOAK_WARMUP_S)) -ge 60 ] ||
	{ echo "FAIL: the run ($total_s s) must last at least 60 s past the warm-up ($SOAK_WARMUP_S s)" >&2; exit 2; }
if [ "$SOAK_VALGRIND" = 1 ]; then
	command -v valgrind >/dev/null || { echo "FAIL: valgrind missing (apt-get install valgrind)" >&2; exit 1; }
fi

# make is incremental: a build directory left from older sources is brought
# up to date (SOAK_BUILD holds one kind of build only: its CFLAGS are fixed)
targets=()
for p in pierce-relay pierce-proxy pierce-redirect piercectl bpf/pass.bpf.o; do
	targets+=("$SOAK_BUILD/$p")
done
echo "soak: building ${targets[*]} with $BUILD_CFLAGS"
make -j2 BUILD="$SOAK_BUILD" CFLAGS="$BUILD_CFLAGS" "${targets[@]}" >/dev/null ||
	{ echo "FAIL: build in $SOAK_BUILD" >&2; exit 1; }
asan=0
nm "$SOAK_BUILD/pierce-relay" | grep __asan_init >/dev/null && asan=1
if { [ "$SOAK_VALGRIND" = 1 ] || [ "$SOAK_PLAIN" = 1 ]; } && [ $asan = 1 ]; then
	echo "FAIL: $SOAK_BUILD/pierce-relay is built with ASan: valgrind and SOAK_PLAIN=1 need a plain build" >&2
	exit 1
fi
if [ "$SOAK_VALGRIND" != 1 ] && [ "$SOAK_PLAIN" != 1 ] && [ $asan = 0 ]; then
	echo "FAIL: $SOAK_BUILD/pierce-relay is not built with ASan" >&2
	exit 1
fi
BUILD=$SOAK_BUILD
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0:malloc_context_size=$SOAK_ASAN_CONTEXT
export UBSAN_OPTIONS=print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp

# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init

# BUILD becomes a directory in which each daemon is a script that execs it
# with what the mode needs (the same PID all along: spawn's PID is the
# daemon's); piercectl and the BPF objects link to SOAK_BUILD
wrap=$E2E_TMP/bin
mkdir -p "$wrap" || fail "mkdir $wrap"
ln -s "$PWD/$SOAK_BUILD/bpf" "$wrap/bpf" && ln -s "$PWD/$SOAK_BUILD/piercectl" "$wrap/piercectl" ||
	fail "links in $wrap"
for d in pierce-relay pierce-proxy pierce-redirect; do
	if [ "$SOAK_VALGRIND" = 1 ]; then
		run="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite"
		run+=" --error-exitcode=99 --num-callers=30 --suppressions=$PWD/tests/soak/valgrind.supp"
		# the relay's forked state-file writers run the code its exit runs too
		run+=" --child-silent-after-fork=yes --log-file=$E2E_TMP/valgrind.$d.%p"
	else
		# the allocator's figures at exit, in the daemons' logs only
		run="env ASAN_OPTIONS=$ASAN_OPTIONS:atexit=1:print_stats=1"
	fi
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$run" "$PWD/$SOAK_BUILD/$d" >"$wrap/$d" && chmod +x "$wrap/$d" ||
		fail "wrapper $wrap/$d"
done
BUILD=$wrap

pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

SILENT=20
hp_stack_up --ports 30000-39999 --ng-allow 203.0.113.0/24 --timeout 10 --silent-timeout $SILENT \
	--delete-delay 0 --max-sessions 0
hp_sip_loss natA natB
pass "natA and natB drop 5 % of SIP datagrams each way"

calls=$((SOAK_CPS * total_s))
pt_uas "$(pt_scn uas)" -timeout $((total_s + 120))s -max_recv_loops 10000
HP_UAC_LIMIT=$((total_s + 120)) hp_uac_on phoneA $PHONE_A 5060 6000 uac "$(pt_scn uac)" \
	-d "$SOAK_HOLD_MS" -r "$SOAK_CPS" -m "$calls" -timeout $((total_s + 60))s -recv_timeout 20000 &
UAC_JOB=$!
t_start=$SECONDS
echo "soak: $SOAK_CPS cps for $total_s s ($calls calls), daemons from $BUILD, warm-up $SOAK_WARMUP_S s"

DAEMONS=(relay:$RELAY_PID proxy1:$PROXY1_PID proxy2:$PROXY2_PID redirect:$REDIRECT_PID)
NAMES="relay proxy1 proxy2 redirect"
# the RSS curve: seconds since the calls started, then kB per daemon
SOAK_RSS_LOG=${SOAK_RSS_LOG:-$E2E_TMP/rss.tsv}
rss_sampler() {
	local d line
	echo "# s $NAMES" >"$SOAK_RSS_LOG"
	while [ $((SECONDS - t_start)) -le $((total_s + 180)) ]; do
		line="$((SECONDS - t_start))"
		for d in "${DAEMONS[@]}"; do
			line+=" $(hp_rss_kb "${d#*:}" 2>/dev/null || echo -)"
		done
		echo "$line" >>"$SOAK_RSS_LOG"
		sleep "$SOAK_SAMPLE_S"
	done
}
rss_sampler &
E2E_PIDS+=($!)

rss_all() { # NAME: RSS of every daemon into the array NAME, by daemon name
	local -n out=$1
	local d
	for d in "${DAEMONS[@]}"; do
		out[${d%%:*}]=$(hp_rss_kb "${d#*:}") || fail "${d%%:*} died during the soak"
	done
}
declare -A rss_w rss_e
sleep "$SOAK_WARMUP_S"
rss_all rss_w
echo "soak: warm-up over at ${SOAK_WARMUP_S} s: RSS kB relay ${rss_w[relay]} proxy1 ${rss_w[proxy1]} proxy2 ${rss_w[proxy2]}" \
	"redirect ${rss_w[redirect]}; relay sessions $(hp_relay_metric pierce_relay_sessions)" \
	"ports $(hp_relay_metric pierce_relay_ports_in_use) legs $(hp_relay_legs)"
# the end: RSS while the calls still come at the full rate (once they stop,
# the memory they held is freed, which would hide growth)
sleep $((total_s - 2 - (SECONDS - t_start)))
rss_all rss_e
wait "$UAC_JOB"
uac_rc=$?
ok=$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")
failed=$(sipp_stat "$E2E_TMP/uac.csv" "FailedCall(C)")
retrans=$(sipp_stat "$E2E_TMP/uac.csv" "Retransmissions(C)")
echo "soak: sipp UAC exit $uac_rc after $((SECONDS - t_start)) s: ${ok:-0} calls completed, ${failed:-0} failed," \
	"${retrans:-0} retransmissions"
stop_pid "$UAS_PID"

wait_for $((SILENT + 30)) "the relay idle after the soak (no session, port or leg)" hp_relay_idle
stats=$(hp_ng '{"command": "statistics"}') || fail "ng statistics"
ng_sessions=$(echo "$stats" | json_get 'd["statistics"]["currentstatistics"]["sessionstotal"]')
ng_ports=$(echo "$stats" | json_get 'd["statistics"]["currentstatistics"]["portsinuse"]')
legs=$(hp_relay_legs)
assert_eq "$ng_sessions/$ng_ports/$legs" 0/0/0 "ng statistics sessions/ports and piercectl legs after the soak"
created=$(hp_relay_metric pierce_relay_calls_created_total)
ended=$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="deleted"}')
t_out=$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="timeout"}')
s_out=$(hp_relay_metric 'pierce_relay_calls_ended_total{reason="silent_timeout"}')
assert_eq "$((ended + t_out + s_out))" "$created" "every relay session created was ended (deleted $ended, timeout $t_out, silent $s_out)"
assert_ge "$created" $((calls * SOAK_MIN_OK_PCT / 100)) "the relay made a session for the calls"

figures="soak: $total_s s at $SOAK_CPS cps, 5 % SIP loss, $([ "$SOAK_VALGRIND" = 1 ] && echo valgrind || { [ $asan = 1 ] && echo ASan+UBSan || echo plain; }):"
figures+=" ${ok:-0}/$calls calls ok, ${failed:-0} failed, ${retrans:-0} retransmissions; relay sessions created $created,"
figures+=" deleted $ended, timed out $((t_out + s_out)); RSS kB start / warm-up ${SOAK_WARMUP_S} s / half / end ($((total_s - 2)) s):"
rss_bad=()
col=2
for n in $NAMES; do
	# the sample nearest the start and the half-way point, from the curve
	r0=$(awk -v c=$col '!/^#/ { print $c; exit }' "$SOAK_RSS_LOG")
	rh=$(awk -v c=$col -v h=$((total_s / 2)) '!/^#/ && $1 >= h { print $c; exit }' "$SOAK_RSS_LOG")
	col=$((col + 1))
	figures+=" $n ${r0:--} / ${rss_w[$n]} / ${rh:--} / ${rss_e[$n]}"
	[ "$((rss_e[$n] * 100))" -lt "$((rss_w[$n] * (100 + SOAK_RSS_PCT)))" ] ||
		rss_bad+=("$n ${rss_w[$n]} -> ${rss_e[$n]} kB")
done

# SIGTERM: each daemon exits; LeakSanitizer, or valgrind's leak check, runs
# at exit. A daemon that does not exit 0 did not finish that check, or failed it.
exit_bad=()
for d in "${DAEMONS[@]}"; do
	kill -TERM "${d#*:}" 2>/dev/null
done
for d in "${DAEMONS[@]}"; do
	wait_pid 300 "${d#*:}"
	rc=$?
	[ "$rc" = 0 ] || exit_bad+=("${d%%:*} exit $rc")
done
if [ -n "${SOAK_LOG_DIR:-}" ]; then
	mkdir -p "$SOAK_LOG_DIR" && cp "$E2E_TMP"/relay.log.* "$E2E_TMP"/proxy*.log.* "$E2E_TMP"/redirect.log "$SOAK_RSS_LOG" \
		"$E2E_TMP"/uac.* "$SOAK_LOG_DIR"/ && { [ "$SOAK_VALGRIND" != 1 ] || cp "$E2E_TMP"/valgrind.* "$SOAK_LOG_DIR"/; } ||
		fail "copying the logs to $SOAK_LOG_DIR"
fi
depot=$(grep -a -h -o 'StackDepot: [0-9]* ids; [0-9]*M allocated' "$E2E_TMP"/relay.log.* "$E2E_TMP"/proxy*.log.* \
	"$E2E_TMP"/redirect.log 2>/dev/null | awk '{ printf "%s%s ids %s", sep, $2, $4; sep = ", " }')
[ -n "$depot" ] && figures+="; ASan stack depot at exit (relay, proxies, redirect): $depot"
echo "$figures"
echo "soak: RSS curve (s $NAMES, kB):"
awk -v every=$(((total_s / SOAK_SAMPLE_S + 11) / 12)) '!/^#/ && (n++ % every == 0) { print "  " $0 }' "$SOAK_RSS_LOG"

if [ "$SOAK_VALGRIND" = 1 ]; then
	vg_bad=()
	for f in "$E2E_TMP"/valgrind.*; do
		[ -e "$f" ] || fail "no valgrind log in $E2E_TMP"
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$f" || grep -q 'definitely lost: [1-9]' "$f"; then
			vg_bad+=("$f")
			echo "---- $f"
			grep -E -A40 '^==[0-9]+== (Invalid|Conditional|Syscall|Use of|Mismatched|Source and|Argument|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' \
				"$f" | head -120
		fi
		grep -h -E 'ERROR SUMMARY|definitely lost|in use at exit' "$f" | sed "s|^|  ${f##*/}: |"
	done
	[ "${#vg_bad[@]}" -eq 0 ] || fail "valgrind errors or definite leaks in: ${vg_bad[*]}"
	pass "valgrind: no memcheck error and no definite leak in any daemon"
else
	san=$(grep -a -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' \
		"$E2E_TMP"/relay.log.* "$E2E_TMP"/proxy*.log.* "$E2E_TMP"/redirect.log 2>/dev/null)
	if [ -n "$san" ]; then
		for f in $san; do
			echo "---- $f"
			grep -a -E -A30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -60
		done
		fail "sanitizer reports in: $san"
	fi
	[ $asan = 1 ] && pass "no sanitizer report in any daemon's log (including leaks at exit)"
fi
[ "${#exit_bad[@]}" -eq 0 ] || fail "daemons that did not exit cleanly on SIGTERM: ${exit_bad[*]}"
pass "every daemon exited 0 on SIGTERM (its leak check at exit ran)"
if [ "$SOAK_VALGRIND" = 1 ]; then
	# valgrind's own memory (translated code, shadow bits) is in the RSS: no figure for the daemons
	echo "soak: RSS not checked under valgrind"
else
	[ "${#rss_bad[@]}" -eq 0 ] || fail "RSS grew $SOAK_RSS_PCT % or more after the warm-up: ${rss_bad[*]}"
	pass "no daemon's RSS grew $SOAK_RSS_PCT % or more from the end of the warm-up to the end of the calls"
fi
assert_ge "$((${ok:-0} * 100))" $((calls * SOAK_MIN_OK_PCT)) "at least $SOAK_MIN_OK_PCT % of the calls completed (x100)"
echo "soak: $SECONDS s in all"
echo "PASS"

#!/bin/bash
# Soak: the patent topology (tests/e2e/test_proxy_topology.sh) with every
# daemon built with AddressSanitizer and UBSan, sipp calls at SOAK_CPS calls
# per second for SOAK_MINUTES, and both NAT routers dropping 5 % of the SIP
# datagrams at random each way (nftables numgen random mod 20 == 0).
#
# At the end (after the last call and the relay's --silent-timeout):
#   - the relay holds no session and no port, by its metrics and by ng
#     statistics, and its XDP maps hold no leg (piercectl legs): the maps
#     agree with the daemon;
#   - the RSS of each daemon grew less than SOAK_RSS_PCT (5) % between the
#     1/4 mark and the end;
#   - no sanitizer report in any daemon's log, including LeakSanitizer's at
#     exit (the daemons are stopped with SIGTERM);
#   - at least SOAK_MIN_OK_PCT (90) % of the calls completed (the UAS is
#     sipp's plain uas.xml: a call whose 180 and 200 were both lost and whose
#     INVITE comes again is aborted by it, which is sipp's limit, not the
#     proxy's).
# A line of figures is printed at the end ("soak: ...") for RELIABILITY.md.
#
# Environment: SOAK_MINUTES (default 30), SOAK_CPS (default 50: half of a
# conservative measured maximum; pass half of yours), SOAK_BUILD (the
# sanitizer build directory, default build-asan; built here with
# CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" when a
# daemon is missing), SOAK_RSS_PCT, SOAK_MIN_OK_PCT, SOAK_HOLD_MS (call
# length, default 1000), SOAK_PLAIN=1 (accept daemons built without
# sanitizers: RSS figures free of ASan's allocator).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SOAK_MINUTES=${SOAK_MINUTES:-30}
SOAK_CPS=${SOAK_CPS:-50}
SOAK_BUILD=${SOAK_BUILD:-build-asan}
SOAK_RSS_PCT=${SOAK_RSS_PCT:-5}
SOAK_MIN_OK_PCT=${SOAK_MIN_OK_PCT:-90}
SOAK_HOLD_MS=${SOAK_HOLD_MS:-1000}
for v in SOAK_MINUTES SOAK_CPS SOAK_RSS_PCT SOAK_MIN_OK_PCT SOAK_HOLD_MS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || { echo "FAIL: $v must be a positive integer" >&2; exit 2; }
done
[ "$SOAK_MINUTES" -le 1440 ] && [ "$SOAK_CPS" -le 1000 ] || { echo "FAIL: SOAK_MINUTES <= 1440, SOAK_CPS <= 1000" >&2; exit 2; }

SAN_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
need=()
for p in pierce-relay pierce-proxy pierce-redirect piercectl bpf/pass.bpf.o; do
	[ -e "$SOAK_BUILD/$p" ] || need+=("$SOAK_BUILD/$p")
done
if [ "${#need[@]}" -ne 0 ]; then
	echo "soak: building ${need[*]} with $SAN_CFLAGS"
	make -j2 BUILD="$SOAK_BUILD" CFLAGS="$SAN_CFLAGS" "${need[@]}" >/dev/null ||
		{ echo "FAIL: sanitizer build in $SOAK_BUILD" >&2; exit 1; }
fi
if [ "${SOAK_PLAIN:-0}" != 1 ]; then
	nm "$SOAK_BUILD/pierce-relay" | grep -q __asan_init ||
		{ echo "FAIL: $SOAK_BUILD/pierce-relay is not built with ASan (SOAK_PLAIN=1 allows it)" >&2; exit 1; }
fi
BUILD=$SOAK_BUILD
# no quarantine, so RSS measures the daemons, not ASan's list of freed blocks
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0:malloc_context_size=10
export UBSAN_OPTIONS=print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp

# shellcheck source=tests/e2e/topo_patent.sh
. tests/e2e/topo_patent.sh
e2e_init
pt_need pierce-proxy pierce-redirect pierce-relay piercectl bpf/pass.bpf.o sipp

SILENT=20
hp_stack_up --ports 30000-39999 --ng-allow 203.0.113.0/24 --timeout 10 --silent-timeout $SILENT \
	--delete-delay 0 --max-sessions 0
hp_sip_loss natA natB
pass "natA and natB drop 5 % of SIP datagrams each way"

total_s=$((SOAK_MINUTES * 60))
calls=$((SOAK_CPS * total_s))
pt_uas "$(pt_scn uas)" -timeout $((total_s + 120))s -max_recv_loops 10000
HP_UAC_LIMIT=$((total_s + 120)) hp_uac_on phoneA $PHONE_A 5060 6000 uac "$(pt_scn uac)" \
	-d "$SOAK_HOLD_MS" -r "$SOAK_CPS" -m "$calls" -timeout $((total_s + 60))s -recv_timeout 20000 &
UAC_JOB=$!
echo "soak: $SOAK_CPS cps for $SOAK_MINUTES min ($calls calls), daemons from $BUILD"

DAEMONS=(relay:$RELAY_PID proxy1:$PROXY1_PID proxy2:$PROXY2_PID redirect:$REDIRECT_PID)
sleep $((total_s / 4))
declare -A rss_q
for d in "${DAEMONS[@]}"; do
	rss_q[${d%%:*}]=$(hp_rss_kb "${d#*:}") || fail "${d%%:*} died before the 1/4 mark"
done
echo "soak: 1/4 mark: RSS kB relay ${rss_q[relay]} proxy1 ${rss_q[proxy1]} proxy2 ${rss_q[proxy2]} redirect ${rss_q[redirect]};" \
	"relay sessions $(hp_relay_metric pierce_relay_sessions) ports $(hp_relay_metric pierce_relay_ports_in_use) legs $(hp_relay_legs)"
wait "$UAC_JOB"
uac_rc=$?
ok=$(sipp_stat "$E2E_TMP/uac.csv" "SuccessfulCall(C)")
failed=$(sipp_stat "$E2E_TMP/uac.csv" "FailedCall(C)")
retrans=$(sipp_stat "$E2E_TMP/uac.csv" "Retransmissions(C)")
echo "soak: sipp UAC exit $uac_rc: ${ok:-0} calls completed, ${failed:-0} failed, ${retrans:-0} retransmissions"
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

figures="soak: $SOAK_MINUTES min at $SOAK_CPS cps, 5 % SIP loss: ${ok:-0}/$calls calls ok, ${failed:-0} failed, ${retrans:-0} retransmissions; relay sessions created $created, deleted $ended, timed out $((t_out + s_out)); RSS kB 1/4 -> end:"
rss_bad=()
for d in "${DAEMONS[@]}"; do
	n=${d%%:*}
	r=$(hp_rss_kb "${d#*:}") || fail "$n died during the soak"
	figures+=" $n ${rss_q[$n]} -> $r"
	[ "$((r * 100))" -lt "$((rss_q[$n] * (100 + SOAK_RSS_PCT)))" ] || rss_bad+=("$n ${rss_q[$n]} -> $r kB")
done

# SIGTERM: each daemon exits, LeakSanitizer reports at exit
for d in "${DAEMONS[@]}"; do
	stop_pid "${d#*:}"
done
san=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' \
	"$E2E_TMP"/relay.log.* "$E2E_TMP"/proxy*.log.* "$E2E_TMP"/redirect.log 2>/dev/null)
echo "$figures"
if [ -n "$san" ]; then
	for f in $san; do
		echo "---- $f"
		grep -E -A30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -60
	done
	fail "sanitizer reports in: $san"
fi
pass "no sanitizer report in any daemon's log (including leaks at exit)"
[ "${#rss_bad[@]}" -eq 0 ] || fail "RSS grew $SOAK_RSS_PCT % or more after the 1/4 mark: ${rss_bad[*]}"
pass "no daemon's RSS grew $SOAK_RSS_PCT % or more after the 1/4 mark"
assert_ge "$((${ok:-0} * 100))" $((calls * SOAK_MIN_OK_PCT)) "at least $SOAK_MIN_OK_PCT % of the calls completed (x100)"
echo "PASS"

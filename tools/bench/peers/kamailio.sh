#!/bin/bash
# Runs the interop Kamailio (tests/e2e/kamailio/kamailio.cfg) in the
# foreground, logging to stderr, with a private runtime directory.
#
# Usage: kamailio.sh RUNDIR SIP_IP NG_SOCK [CHILDREN]
#   NG_SOCK  the media relay's ng socket as the rtpengine module writes it,
#            e.g. udp:10.0.0.1:2223 (rtpengine or pierce-relay)
# Environment: KAMAILIO_CFG (default: the interop config), KAMAILIO_SHM_MB
# (default 128), KAMAILIO_DEBUG=1 (logs every ng exchange).
set -euo pipefail
if [ $# -lt 3 ]; then
	echo "usage: $0 RUNDIR SIP_IP NG_SOCK [CHILDREN]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
rundir=$1 ip=$2 sock=$3 children=${4:-2}
cfg=${KAMAILIO_CFG:-$here/../../../tests/e2e/kamailio/kamailio.cfg}
command -v kamailio >/dev/null || { echo "kamailio missing: apt-get install kamailio" >&2; exit 1; }
mkdir -p "$rundir"
case $ip in *:*) listen="udp:[$ip]:5060" ;; *) listen="udp:$ip:5060" ;; esac
defs=(-A "RTPENGINE_SOCK=\"$sock\"" -A "CHILDREN=$children")
if [ "${KAMAILIO_DEBUG:-0}" = 1 ]; then defs+=(-A WITH_DEBUG); fi
# -DD: foreground, workers still forked; -E: log to stderr; -Y: runtime dir
exec kamailio -f "$cfg" -DD -E -Y "$rundir" -P "$rundir/kamailio.pid" \
	-m "${KAMAILIO_SHM_MB:-128}" -M 16 -l "$listen" "${defs[@]}"

#!/bin/sh
# Installs the Debian packages pierce builds and tests with. Idempotent: it
# only calls apt-get when something is missing.
set -eu
PKGS="build-essential pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
libosip2-dev libev-dev libcmocka-dev sip-tester nftables iproute2 tcpdump ethtool
xdp-tools procps psmisc python3 kamailio rtpengine-daemon gnuplot-nox valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

#!/bin/bash
# Draft until pierce-relay has its daemon (user/relay/main.c): the Kamailio
# interop test with pierce-relay in place of rtpengine. Once it passes,
# test_kamailio.sh should default to RELAY=pierce and this file go away.
RELAY=pierce exec bash "$(dirname "$0")/test_kamailio.sh" "$@"

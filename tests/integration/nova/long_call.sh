#!/bin/sh
# The 30-minute call: one Nova session against the fake Bedrock, which cuts
# every stream after 25 s; the session renews every 15 s (+ up to 5 s waiting
# for a turn boundary). Not part of the 'integration' suite (it takes
# NOVA_LONG_CALL_S seconds). Usage, from a configured build directory:
#   tests/integration/nova/long_call.sh BUILD_DIR [SECONDS]
set -eu
b=${1:?build directory}
secs=${2:-1800}
NOVA_LONG_CALL_S=$secs NOVA_LONG_CUT_MS=${NOVA_LONG_CUT_MS:-25000} \
NOVA_LONG_RENEW_MS=${NOVA_LONG_RENEW_MS:-15000} CK_RUN_CASE=long-call \
  "$b/tests/integration/nova/nova_session_test" \
  "$b/tests/fakes/common/test-ca.pem" "$b/tests/fakes/common/test-server.pem" \
  "$b/tests/fakes/common/test-server.key"

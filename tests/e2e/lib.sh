# Shared pieces of the end-to-end tests and the demo: start the fake Bedrock and
# the gateway on free loopback ports, place SIPp calls whose media rtp-peer
# handles, and clean everything up. Source it; set BUILD (the meson build dir)
# and WORK (a scratch dir) first.

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${BUILD:=$E2E_SRC/build}"
E2E_PIDS=()

e2e_cleanup() {
  local p
  for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  E2E_PIDS=()
}

e2e_ports() { python3 "$E2E_SRC/tests/e2e/sip/freeports.py" "$1"; }

# A media pool nobody else in this test run is likely to use.
# Below the kernel's ephemeral range (32768-60999), so no client socket of any
# process takes a pool port; gateways skip pairs that are taken anyway.
e2e_media_base() { echo $(( 20000 + (RANDOM % 60) * 200 )); }   # 20000-31999
# Caller-side (rtp-peer) ports: an even pair, never a gateway pool's.
e2e_rtp_port() { python3 "$E2E_SRC/tests/e2e/sip/freeports.py" 1 --pairs; }

e2e_wait_port() {   # host port [tries of 0.1 s]
  local i
  for ((i = 0; i < ${3:-50}; i++)); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
  return 1
}

# e2e_fake_bedrock PORT [extra args...]: TLS on 127.0.0.1:PORT, reports in $WORK.
e2e_fake_bedrock() {
  local port=$1; shift
  "$BUILD/tests/fakes/bedrock/fake-bedrock" --listen "127.0.0.1:$port" \
    --cert "$BUILD/tests/fakes/common/test-server.pem" \
    --key "$BUILD/tests/fakes/common/test-server.key" \
    --report-dir "$WORK" "$@" >"$WORK/fake-bedrock.log" 2>&1 &
  E2E_PIDS+=($!)
  e2e_wait_port 127.0.0.1 "$port"
}

# e2e_gateway SIP_PORT BEDROCK_PORT ADMIN_PORT [VAR=value...]: the real binary
# (run under $E2E_WRAPPER when set, e.g. "valgrind --log-file=...").
e2e_gateway() {
  local sip=$1 bedrock=$2 admin=$3; shift 3
  env AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
      AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
      AWS_EC2_METADATA_DISABLED=true \
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME="https://localhost:$bedrock" \
      AWS_CA_BUNDLE="$BUILD/tests/fakes/common/test-ca.pem" \
      SIP_LISTEN="127.0.0.1:$sip" MEDIA_ADDRESS=127.0.0.1 \
      MEDIA_PORT_BASE="$(e2e_media_base)" MEDIA_PORT_COUNT=200 \
      ADMIN_LISTEN="127.0.0.1:$admin" LOG_LEVEL="${E2E_LOG_LEVEL:-info}" \
      "$@" ${E2E_WRAPPER:-} "$BUILD/gateway/nova-gateway" >"$WORK/gateway.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_GW_PID=$!
  e2e_wait_port 127.0.0.1 "$admin" ${E2E_WRAPPER:+600} &&
    e2e_wait_ready 127.0.0.1 "$admin" ${E2E_WRAPPER:+600}
}

# Calls get 503 until the gateway is ready (credentials loaded): wait for
# /readyz to answer 200, as a load balancer would.
e2e_wait_ready() {   # host port [tries of 0.1 s]
  local i status
  for ((i = 0; i < ${3:-100}; i++)); do
    status=$( { exec 3<>"/dev/tcp/$1/$2" && printf 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n' >&3 &&
                head -c 12 <&3; } 2>/dev/null)
    [ "$status" = "HTTP/1.1 200" ] && return 0
    sleep 0.1
  done
  echo "the gateway on $1:$2 never became ready" >&2
  return 1
}

# e2e_call SIP_PORT RTP_PORT SECONDS SIPP_PORT [rtp-peer args...]: one call whose
# caller plays and records through rtp-peer; rtp-peer's JSON lines in $WORK/peer.json.
e2e_call() {
  local sip=$1 rtp=$2 secs=$3 sport=$4; shift 4
  "$BUILD/tests/tools/rtp-peer" --base "$rtp" --count 1 --seconds "$((secs + 1))" \
    --record-dir "$WORK" "$@" >"$WORK/peer.json" 2>"$WORK/peer.err" &
  local peer=$!
  sipp -sf "$E2E_SRC/tests/sipp/demo_call.xml" -set rtp_port "$rtp" -m 1 \
    -d "$((secs * 1000))" -i 127.0.0.1 -p "$sport" "127.0.0.1:$sip" \
    -timeout 60 -timeout_error -trace_err -error_file "$WORK/sipp-errors.log" \
    >"$WORK/sipp.log" 2>&1
  local rc=$?
  wait "$peer"
  return $rc
}

# Value of a numeric field in the last JSON line of a file that has it.
e2e_json_field() {
  python3 -c 'import json,sys
v=None
for l in open(sys.argv[1]):
    l=l.strip()
    if l.startswith("{"):
        d=json.loads(l)
        if sys.argv[2] in d: v=d[sys.argv[2]]
print(v)' "$1" "$2"
}

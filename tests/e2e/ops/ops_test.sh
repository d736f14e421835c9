#!/usr/bin/env bash
# e2e operations tests: the real nova-gateway, the fake Bedrock, SIPp callers
# whose media rtp-peer handles (tests/e2e/lib.sh), and for `kamailio` a real
# Kamailio load balancer in front of two gateways.
#
# usage: ops_test.sh <metrics|drain|kamailio>
# env:   NOVA_BUILDDIR, NOVA_SRCDIR (meson's test_env); KEEP_WORK=1 keeps logs.
set -u
CASE=$1
BUILD=${NOVA_BUILDDIR:?}
SRC=${NOVA_SRCDIR:?}
HERE=$SRC/tests/e2e/ops
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nova-e2e-ops-$CASE.XXXXXX")
# shellcheck source=tests/e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
BG=()
KAM_PID=

cleanup() {
  local p
  # Kamailio's main process stops its children on SIGTERM.
  [ -n "$KAM_PID" ] && { kill "$KAM_PID" 2>/dev/null; wait "$KAM_PID" 2>/dev/null; }
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
  e2e_cleanup
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  local f
  echo "FAIL [$CASE]: $*"
  for f in "$WORK"/gateway.log "$WORK"/*/gateway.log "$WORK"/kamailio.log \
           "$WORK"/*sipp*.log "$WORK"/*sipp*.out "$WORK"/*errors.log "$WORK"/peer.err \
           "$WORK"/peer.json; do
    [ -s "$f" ] || continue
    echo "--- $f (last 40 lines)"; tail -n 40 "$f"
  done
  exit 1
}

# http PORT PATH: sets HTTP_STATUS and HTTP_BODY (call it outside $(...)).
http() {
  HTTP_STATUS=$(curl -s -m 5 -o "$WORK/http.body" -w '%{http_code}' "http://127.0.0.1:$1$2")
  HTTP_BODY=$(cat "$WORK/http.body" 2>/dev/null)
}

# metric ADMIN_PORT 'name{labels}': the sample's value, "absent", or "unreachable".
metric() {
  curl -s -m 5 -f "http://127.0.0.1:$1/metrics" |
    awk -v k="$2" '$1 == k { v = $2 } END { print (NR == 0 ? "unreachable" : v == "" ? "absent" : v) }'
}

# A family rendered twice makes Prometheus reject the whole scrape.
check_families_once() {
  local dup
  dup=$(curl -s -m 5 "http://127.0.0.1:$1/metrics" | grep '^# TYPE ' | sort | uniq -d | head -n 3)
  [ -z "$dup" ] || fail "/metrics renders these families more than once: $dup"
}

# The admin port opens before the AWS credentials are loaded; until they are,
# INVITEs get 503. Wait for /readyz 200 before placing calls.
wait_ready() {   # ADMIN
  local i
  for ((i = 0; i < 100; i++)); do
    http "$1" /readyz
    [ "$HTTP_STATUS" = 200 ] && return 0
    sleep 0.1
  done
  fail "/readyz still $HTTP_STATUS ($HTTP_BODY) 10 s after start"
}

wait_metric() {   # ADMIN NAME VALUE [tries of 0.1 s]
  local i v
  for ((i = 0; i < ${4:-50}; i++)); do
    v=$(metric "$1" "$2")
    [ "$v" = "$3" ] && return 0
    sleep 0.1
  done
  fail "$2 is $v, expected $3"
}

# peer_field FILE FIELD: from rtp-peer's per-stream line for stream 0.
peer_field() { e2e_json_field "$1" "$2"; }

# The gateway's exit status within N seconds (the process is our child).
wait_exit() {   # PID SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && fail "gateway $1 still running $2 s later"
  wait "$1"
}

case_metrics() {
  local sip bedrock admin sport rtp v
  read -r sip bedrock admin sport <<<"$(e2e_ports 4)"
  rtp=$(e2e_rtp_port)
  e2e_fake_bedrock "$bedrock" || fail "fake Bedrock did not start"
  e2e_gateway "$sip" "$bedrock" "$admin" LOG_FORMAT=text || fail "gateway did not start"
  wait_ready "$admin"

  http "$admin" /healthz
  [ "$HTTP_STATUS" = 200 ] && [ "$HTTP_BODY" = ok ] || fail "/healthz: $HTTP_STATUS $HTTP_BODY"
  http "$admin" /readyz
  [ "$HTTP_STATUS" = 200 ] || fail "/readyz answered $HTTP_STATUS while idle"
  [ "$(metric "$admin" nova_active_calls)" = 0 ] || fail "nova_active_calls not 0 at start"
  v=$(metric "$admin" 'nova_calls_total{outcome="caller_hangup"}')
  [ "$v" = absent ] || [ "$v" = 0 ] || fail "calls counted before any call: $v"

  e2e_call "$sip" "$rtp" 4 "$sport" &
  local call=$!
  BG+=("$call")
  wait_metric "$admin" nova_active_calls 1 30
  local rx_mid
  rx_mid=$(metric "$admin" nova_rtp_rx_packets_total)
  wait "$call" || fail "the call failed (SIPp)"
  BG=()
  wait_metric "$admin" nova_active_calls 0 20
  [ "$(metric "$admin" 'nova_calls_total{outcome="caller_hangup"}')" = 1 ] ||
    fail "nova_calls_total{outcome=\"caller_hangup\"} did not become 1"
  local rx tx
  rx=$(metric "$admin" nova_rtp_rx_packets_total)
  tx=$(metric "$admin" nova_rtp_tx_packets_total)
  # 4 s at 50 packets/s each way; a margin for set-up and hang-up.
  awk -v r="$rx" -v m="$rx_mid" 'BEGIN { exit !(r >= 150 && r > m) }' ||
    fail "RTP rx counter did not grow as expected (mid-call $rx_mid, after $rx)"
  awk -v t="$tx" 'BEGIN { exit !(t >= 150) }' || fail "RTP tx counter $tx < 150"
  http "$admin" /readyz
  [ "$HTTP_STATUS" = 200 ] || fail "/readyz answered $HTTP_STATUS after the call"
  check_families_once "$admin"
  echo "metrics: rx $rx tx $tx packets"
}

case_drain() {
  local sip bedrock admin sport sport2 rtp secs=6
  read -r sip bedrock admin sport sport2 <<<"$(e2e_ports 5)"
  rtp=$(e2e_rtp_port)
  e2e_fake_bedrock "$bedrock" || fail "fake Bedrock did not start"
  e2e_gateway "$sip" "$bedrock" "$admin" LOG_FORMAT=text DRAIN_TIMEOUT_S=60 ||
    fail "gateway did not start"
  local gw=$E2E_GW_PID
  wait_ready "$admin"

  e2e_call "$sip" "$rtp" "$secs" "$sport" &
  local call=$!
  BG+=("$call")
  wait_metric "$admin" nova_active_calls 1 30
  sleep 1
  kill -TERM "$gw"
  local i
  for ((i = 0; i < 20; i++)); do
    http "$admin" /readyz
    [ "$HTTP_STATUS" = 503 ] && break
    sleep 0.1
  done
  [ "$HTTP_STATUS" = 503 ] || fail "/readyz answered $HTTP_STATUS while draining"
  [ "$HTTP_BODY" = "not ready: draining" ] || fail "/readyz says '$HTTP_BODY' while draining"
  # A new INVITE and an OPTIONS probe both get 503 (Retry-After on the INVITE).
  (cd "$WORK" && timeout 30 sipp -sf "$SRC/tests/sipp/busy503.xml" "127.0.0.1:$sip" \
     -i 127.0.0.1 -p "$sport2" -m 1 -timeout 20 -timeout_error -trace_err -nostdin \
     -error_file "$WORK/busy-sipp-errors.log" >"$WORK/busy-sipp.out" 2>&1) ||
    fail "a new INVITE during the drain did not get 503"
  kill -0 "$gw" 2>/dev/null || fail "gateway exited with a call in progress"
  [ "$(metric "$admin" nova_active_calls)" = 1 ] || fail "the call in progress was dropped"

  wait "$call" || fail "the call in progress failed during the drain"
  BG=()
  # The caller heard the gateway to the end: packets for the whole call.
  local rxs aud
  rxs=$(peer_field "$WORK/peer.json" rx_seconds)
  aud=$(peer_field "$WORK/peer.json" audible_seconds)
  awk -v r="$rxs" -v s="$secs" -v a="$aud" 'BEGIN { exit !(r >= s - 0.5 && a > 0.5) }' ||
    fail "caller received $rxs s ($aud s audible) of a $secs s call"
  wait_exit "$gw" 5
  local rc=$?
  [ "$rc" -eq 0 ] || fail "gateway exit status $rc after the drain"
  grep -q "drained: no calls left" "$WORK/gateway.log" || fail "no 'drained' line in the log"
  grep -q "drain deadline" "$WORK/gateway.log" && fail "the call was ended by the deadline"
  echo "drain: call heard for $rxs s, gateway exited 0"
}

# Kamailio (dispatcher, round robin, OPTIONS probing every second) in front of
# two gateways. Calls spread over both; gateway A drains (its OPTIONS answers
# turn 503, it is marked inactive) and new calls go only to B; nothing fails.
kam_batch() {   # NAME CALLS SECONDS SIPP_PORT: CALLS calls through Kamailio
  local name=$1 n=$2 secs=$3 base i
  base=$(( 10000 + (RANDOM % 240) * 40 ))   # below pools and ephemeral ports
  { echo SEQUENTIAL; for ((i = 0; i < n; i++)); do echo "$((base + 2 * i));"; done; } \
    >"$WORK/$name.csv"
  "$BUILD/tests/tools/rtp-peer" --base "$base" --count "$n" --seconds "$((secs + 3))" \
    >"$WORK/$name-peer.json" 2>"$WORK/$name-peer.err" &
  local peer=$!
  BG+=("$peer")
  (cd "$WORK" && timeout 60 sipp -sf "$HERE/lb_call.xml" -inf "$WORK/$name.csv" \
     "127.0.0.1:$KAM_PORT" -i 127.0.0.1 -p "$4" -m "$n" -r 10 -l "$n" -d "$((secs * 1000))" \
     -timeout 30 -timeout_error -trace_err -nostdin \
     -error_file "$WORK/$name-sipp-errors.log" >"$WORK/$name-sipp.out" 2>&1)
  local rc=$?
  wait "$peer"
  return $rc
}

invites() { grep -c "INVITE from" "$1/gateway.log"; }

case_kamailio() {
  command -v kamailio >/dev/null || { echo "kamailio not installed: skipped"; exit 77; }
  local bedrock sip_a sip_b adm_a adm_b sp1 sp2
  read -r bedrock sip_a sip_b adm_a adm_b KAM_PORT sp1 sp2 <<<"$(e2e_ports 8)"
  mkdir -p "$WORK/a" "$WORK/b" "$WORK/kam"
  e2e_fake_bedrock "$bedrock" || fail "fake Bedrock did not start"
  WORK=$WORK/a e2e_gateway "$sip_a" "$bedrock" "$adm_a" LOG_FORMAT=text DRAIN_TIMEOUT_S=60 ||
    fail "gateway A did not start"
  local gw_a=$E2E_GW_PID
  WORK=$WORK/b e2e_gateway "$sip_b" "$bedrock" "$adm_b" LOG_FORMAT=text ||
    fail "gateway B did not start"
  wait_ready "$adm_a"
  wait_ready "$adm_b"

  printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$sip_a" "$sip_b" >"$WORK/kam/dispatcher.list"
  sed -e "s|@KAM_PORT@|$KAM_PORT|g" -e "s|@DS_LIST@|$WORK/kam/dispatcher.list|g" \
    "$HERE/kamailio.cfg" >"$WORK/kam/kamailio.cfg"
  kamailio -f "$WORK/kam/kamailio.cfg" -c >"$WORK/kam/check.log" 2>&1 ||
    { cat "$WORK/kam/check.log"; fail "kamailio rejects the configuration"; }
  # Foreground (-DD), logs on stderr (-E), small memory, private runtime dir.
  kamailio -f "$WORK/kam/kamailio.cfg" -DD -E -m 32 -M 4 -Y "$WORK/kam" \
    -P "$WORK/kam/kamailio.pid" >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!
  local i
  # Let the dispatcher probe both gateways once (ds_ping_interval is 1 s).
  sleep 1.5
  kill -0 "$KAM_PID" 2>/dev/null || fail "kamailio exited at start"

  # Batch 1: 4 calls of 5 s, spread round robin; A drains while they last.
  kam_batch one 4 5 "$sp1" &
  local b1=$!
  BG+=("$b1")
  for ((i = 0; i < 50; i++)); do
    [ "$(metric "$adm_a" nova_active_calls)" -ge 1 ] 2>/dev/null &&
      [ "$(metric "$adm_b" nova_active_calls)" -ge 1 ] 2>/dev/null && break
    sleep 0.1
  done
  local a1 b1n
  a1=$(invites "$WORK/a") b1n=$(invites "$WORK/b")
  [ "$a1" -ge 1 ] && [ "$b1n" -ge 1 ] || fail "calls not spread: A took $a1, B took $b1n"
  kill -TERM "$gw_a"
  # Two probe periods: Kamailio sees A's 503 to OPTIONS and marks it inactive.
  sleep 2.5
  local a_before
  a_before=$(invites "$WORK/a")
  kam_batch two 4 1 "$sp2" || fail "a call placed while A drains failed"
  [ "$(invites "$WORK/a")" -eq "$a_before" ] || fail "a new call reached the draining gateway A"
  wait "$b1" || fail "a call of the first batch failed"
  BG=()
  local rc
  wait_exit "$gw_a" 10
  rc=$?
  [ "$rc" -eq 0 ] || fail "gateway A exit status $rc"
  local b_all
  b_all=$(invites "$WORK/b")
  [ "$b_all" -ge $((b1n + 4)) ] || fail "B took $b_all calls, expected at least $((b1n + 4))"
  grep -q "dialog terminated" "$WORK/a/gateway.log" || fail "A's calls did not end normally"
  echo "kamailio: batch 1 A=$a1 B=$b1n; after the drain A=$(invites "$WORK/a") B=$b_all"
}

case "$CASE" in
metrics) case_metrics ;;
drain) case_drain ;;
kamailio) case_kamailio ;;
*) echo "unknown case $CASE"; exit 2 ;;
esac
echo "PASS [$CASE]"

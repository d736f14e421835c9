#!/bin/sh
# e2e SIP tests: start the real nova-gateway on free loopback ports, drive it
# with SIPp (or cancel.py), stop it with SIGTERM and require a clean exit.
#
# usage: harness.sh <case>     (cases: see the `case` at the bottom)
# env:   NOVA_BUILDDIR, NOVA_SRCDIR (set by meson's test_env)
set -u
CASE=$1
SRC=${NOVA_SRCDIR:?}
BUILD=${NOVA_BUILDDIR:?}
GW=$BUILD/gateway/nova-gateway
SIPP_DIR=$SRC/tests/sipp
HERE=$SRC/tests/e2e/sip
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nova-e2e-sip-$CASE.XXXXXX")
GW_PID=
BG_PIDS=

fail() {
  echo "FAIL [$CASE]: $*"
  echo "--- gateway log (last 60 lines)"; tail -n 60 "$WORK/gw.log" 2>/dev/null
  for f in "$WORK"/*errors.log; do [ -f "$f" ] && { echo "--- $f"; head -n 40 "$f"; }; done
  cleanup
  exit 1
}

cleanup() {
  for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
  [ -n "$GW_PID" ] && kill -9 "$GW_PID" 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}

set -- $(python3 "$HERE/freeports.py" 5)
SIP_PORT=$1 SIPP_PORT=$2 SIPP_PORT2=$3 REG_PORT=$4 ADMIN_PORT=$5
# Media ports are only reserved (not bound) by the SIP layer; keep them apart
# per test anyway.
MEDIA_BASE=$(( 20000 + (SIP_PORT % 600) * 20 ))   # 20000-32379: below the ephemeral range

start_gw() {
  env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
    LSAN_OPTIONS="${LSAN_OPTIONS:-}" \
    SIP_LISTEN=127.0.0.1:$SIP_PORT MEDIA_ADDRESS=127.0.0.1 \
    MEDIA_PORT_BASE=$MEDIA_BASE MEDIA_PORT_COUNT=400 ADMIN_LISTEN=127.0.0.1:$ADMIN_PORT \
    LOG_FORMAT=text LOG_LEVEL=debug "$@" "$GW" >"$WORK/gw.log" 2>&1 &
  GW_PID=$!
  i=0
  until grep -q "SIP listening" "$WORK/gw.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 400 ] && fail "gateway did not start within 20 s"
    kill -0 "$GW_PID" 2>/dev/null || fail "gateway exited at start"
    sleep 0.05
  done
}

stop_gw() {
  kill -TERM "$GW_PID"
  i=0
  while kill -0 "$GW_PID" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 200 ] && fail "gateway did not stop within 10 s of SIGTERM"
    sleep 0.05
  done
  wait "$GW_PID"
  rc=$?
  GW_PID=
  [ $rc -eq 0 ] || fail "gateway exit status $rc"
  grep -q "SIP stopped" "$WORK/gw.log" || fail "no clean SIP shutdown in the log"
  grep -q "runtime error\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$WORK/gw.log" &&
    fail "sanitizer report"
}

# sipp <scenario> [args...]: run one client scenario against the gateway
sipp_run() {
  sc=$1; shift
  (cd "$WORK" && timeout 60 sipp -sf "$SIPP_DIR/$sc.xml" "127.0.0.1:$SIP_PORT" \
     -i 127.0.0.1 -p "$SIPP_PORT" -timeout 30 -timeout_error -trace_err -nostdin \
     -m 1 "$@" >"$WORK/sipp-$sc.out" 2>&1)
}

count() { grep -c "$1" "$WORK/gw.log"; }

case "$CASE" in
call)
  start_gw
  sipp_run call -d 500 || fail "SIPp call scenario failed"
  grep -q "INVITE header X-Amzn-Test: e2e-call" "$WORK/gw.log" || fail "X- header not copied"
  grep -q "INVITE header User-to-User: 0123456789;encoding=hex" "$WORK/gw.log" ||
    fail "User-to-User not copied"
  [ "$(count 'call freed')" -eq 1 ] || fail "call not freed"
  stop_gw ;;
cancel)
  start_gw
  python3 "$HERE/cancel.py" 127.0.0.1 "$SIP_PORT" >"$WORK/cancel.out" 2>&1 ||
    { cat "$WORK/cancel.out"; fail "CANCEL scenario failed"; }
  sleep 0.2
  [ "$(count 'call freed')" -eq 1 ] || fail "cancelled call not freed"
  stop_gw ;;
codec488)
  start_gw
  sipp_run codec488 || fail "488 not received"
  sleep 0.2
  [ "$(count 'call freed')" -eq 1 ] || fail "refused call not freed"
  stop_gw ;;
hold)
  start_gw
  sipp_run hold -d 200 || fail "hold/resume scenario failed"
  grep -q "(hold)" "$WORK/gw.log" || fail "hold not seen by the call"
  stop_gw ;;
info)
  start_gw
  sipp_run info -d 100 || fail "INFO scenario failed"
  grep -q "DTMF 5 (160 ms)" "$WORK/gw.log" || fail "dtmf-relay digit not delivered"
  grep -q "DTMF # " "$WORK/gw.log" || fail "application/dtmf digit not delivered"
  stop_gw ;;
options)
  start_gw
  sipp_run options || fail "OPTIONS did not get 200"
  sipp_run options -t t1 || fail "OPTIONS over TCP did not get 200"
  stop_gw ;;
via)
  start_gw SIP_VIA_ADDR=192.0.2.10
  sipp_run call -d 100 -trace_msg -message_file "$WORK/msg.log" || fail "call failed"
  grep -q "^Contact: <sip:192.0.2.10:$SIP_PORT>" "$WORK/msg.log" ||
    fail "SIP_VIA_ADDR not in our Contact"
  stop_gw ;;
bye481)
  start_gw
  sipp_run bye481 || fail "BYE for an unknown dialog did not get 481"
  stop_gw ;;
register)
  (cd "$WORK" && exec timeout 60 sipp -sf "$SIPP_DIR/registrar.xml" -i 127.0.0.1 \
     -p "$REG_PORT" -m 1 -timeout 30 -timeout_error -trace_err -nostdin \
     >"$WORK/sipp-registrar.out" 2>&1) &
  REG_PID=$!
  BG_PIDS="$REG_PID"
  sleep 0.3
  start_gw SIP_SERVER=127.0.0.1:$REG_PORT SIP_USER=gw AUTH_PASSWORD=s3cret \
    DISPLAY_NAME="Nova Gateway" SIP_KEEPALIVE_TIME=0
  i=0
  until grep -q "registered (200" "$WORK/gw.log"; do
    i=$((i + 1)); [ $i -gt 200 ] && fail "not registered within 10 s"; sleep 0.05
  done
  grep -q "registration challenged" "$WORK/gw.log" || fail "no digest challenge answered"
  grep -q "s3cret" "$WORK/gw.log" && fail "password in the log"
  stop_gw
  grep -q "unregistered (200" "$WORK/gw.log" || fail "no unregistration at stop"
  wait "$REG_PID" || fail "the registrar scenario failed"
  BG_PIDS= ;;
concurrent)
  start_gw
  # 50 calls set up within 0.5 s, each held until the gateway or SIPp (3 s)
  # hangs up.
  sipp_run call_hold -m 50 -l 50 -r 100 -rp 1000 || fail "50 concurrent calls failed"
  grep -q "media 127" "$WORK/gw.log" || fail "no media negotiated"
  [ "$(count 'call freed')" -eq 50 ] || fail "$(count 'call freed') of 50 calls freed"
  stop_gw ;;
maxcalls)
  start_gw MAX_CALLS=2
  (cd "$WORK" && timeout 60 sipp -sf "$SIPP_DIR/call_hold.xml" "127.0.0.1:$SIP_PORT" \
     -i 127.0.0.1 -p "$SIPP_PORT2" -m 2 -l 2 -r 10 -timeout 30 -timeout_error \
     -nostdin >"$WORK/sipp-hold2.out" 2>&1) &
  HOLD_PID=$!
  BG_PIDS="$HOLD_PID"
  i=0
  until [ "$(count 'answered:')" -ge 2 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the two first calls were not answered"; sleep 0.05
  done
  sipp_run busy503 || fail "third call did not get 503 + Retry-After"
  wait "$HOLD_PID" || fail "the two admitted calls failed"
  BG_PIDS=
  sipp_run options || fail "OPTIONS not back to 200 after the calls ended"
  stop_gw ;;
tls)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1 || fail "openssl could not make a test cert"
  LSAN_OPTIONS=suppressions=$HERE/lsan-sofia-tls.supp:print_suppressions=0:fast_unwind_on_malloc=0
  tls_dirs=$(ls -d /tmp/nova-sip-tls-* 2>/dev/null | wc -l)
  start_gw SIP_TLS_LISTEN=127.0.0.1:$REG_PORT SIP_TLS_CERT="$WORK/cert.pem" \
    SIP_TLS_KEY="$WORK/key.pem"
  python3 "$HERE/tls_options.py" 127.0.0.1 "$REG_PORT" "$WORK/cert.pem" ||
    fail "OPTIONS over TLS did not get 200"
  sipp_run options || fail "OPTIONS over UDP did not get 200 next to TLS"
  stop_gw
  [ "$(ls -d /tmp/nova-sip-tls-* 2>/dev/null | wc -l)" -eq "$tls_dirs" ] ||
    fail "TLS temp dir left behind" ;;
shutdown)
  # DRAIN_TIMEOUT_S=0: SIGTERM ends the calls in progress at once.
  start_gw DRAIN_TIMEOUT_S=0
  (cd "$WORK" && exec timeout 60 sipp -sf "$SIPP_DIR/gw_bye.xml" "127.0.0.1:$SIP_PORT" \
     -i 127.0.0.1 -p "$SIPP_PORT" -m 1 -timeout 30 -timeout_error -trace_err -nostdin \
     >"$WORK/sipp-gw_bye.out" 2>&1) &
  CALL_PID=$!
  BG_PIDS="$CALL_PID"
  i=0
  until grep -q "answered:" "$WORK/gw.log"; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "call not answered"; sleep 0.05
  done
  sleep 0.2
  stop_gw
  wait "$CALL_PID" || fail "SIPp did not get the gateway's BYE"
  BG_PIDS=
  grep -q "state ending -> bye" "$WORK/gw.log" || fail "call did not go through ENDING/BYE"
  grep -q "BYE sent: .*cause=" "$WORK/gw.log" || fail "BYE without a Reason" ;;
idle)
  start_gw
  sleep 1
  read_cpu() { awk '{print $14 + $15}' "/proc/$GW_PID/stat"; }
  t0=$(read_cpu); sleep 5; t1=$(read_cpu)
  ticks=$((t1 - t0)); hz=$(getconf CLK_TCK)
  echo "idle CPU over 5 s: $ticks ticks of 1/$hz s"
  # 1 % of one core is 5 ticks at 100 Hz: anything near a busy loop is far above.
  [ "$ticks" -le $((hz / 20)) ] || fail "idle CPU too high: $ticks ticks in 5 s"
  stop_gw ;;
*)
  echo "unknown case $CASE"; exit 2 ;;
esac
echo "PASS [$CASE]"
cleanup
exit 0

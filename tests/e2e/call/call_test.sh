#!/usr/bin/env bash
# End-to-end calls through the real binary: SIPp signalling, rtp-peer media, the
# fake Bedrock over TLS. Each case asserts what the caller heard (duration and
# dominant frequency of the fake's reply WAV) and what the fake heard and
# checked (signatures, input audio, text inputs, the closing order).
#   call_test.sh BUILD_DIR CASE   CASE: full | hangup_mid_reply | dtmf_rfc4733 | dtmf_info | port_taken
#                                       | session_timer
set -uo pipefail
BUILD=$1
case_name=$2
WORK=$(mktemp -d)
. "$(dirname "$0")/../lib.sh"
trap 'e2e_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail=0
check() { if python3 -c "import sys; sys.exit(0 if ($2) else 1)"; then echo "ok - $1"; else echo "not ok - $1 ($2)"; fail=1; fi; }

sox -q -n -r 16000 -b 16 -c 1 "$WORK/reply.wav" synth 1.5 sine 660 vol 0.5
sox -q -n -r 8000 -b 16 -c 1 "$WORK/caller.wav" synth 4 sine 1000 vol 0.5
read -r sip bedrock admin sport <<<"$(e2e_ports 4)"
rtp=$(e2e_rtp_port)
e2e_fake_bedrock "$bedrock" --reply-wav "$WORK/reply.wav" || exit 1
gw_extra=()
[ "$case_name" = session_timer ] && gw_extra=(SIP_SESSION_EXPIRES_S=90 MEDIA_TIMEOUT_S=300)
if [ "$case_name" = port_taken ]; then
  # Another process holds the first pair's RTP port and the second pair's RTCP
  # port: the call must still be answered, on the third pair.
  python3 -c 'import random, socket, sys, time
while True:   # a pool base whose two ports we can hold (parallel tests use pools too)
    base = 20000 + 200 * random.randrange(60)
    s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        s[0].bind(("127.0.0.1", base)); s[1].bind(("127.0.0.1", base + 3))
        break
    except OSError:
        for x in s: x.close()
open(sys.argv[1], "w").write(str(base))
time.sleep(60)' "$WORK/held" &
  E2E_PIDS+=($!)
  for _ in $(seq 50); do [ -s "$WORK/held" ] && break; sleep 0.1; done
  base=$(cat "$WORK/held")
  gw_extra=(MEDIA_PORT_BASE="$base")
fi
e2e_gateway "$sip" "$bedrock" "$admin" CALL_RECORDS_DIR="$WORK" "${gw_extra[@]}" ||
  { cat "$WORK/gateway.log"; exit 1; }

# When a SIP request arrived at SIPp (its message trace), seconds after the 200.
sip_gap() {   # TRACE_FILE METHOD
  python3 - "$1" "$2" <<'PY'
import re, sys, datetime
text = open(sys.argv[1], errors="replace").read()
t0 = t1 = None
for b in re.split(r"-{20,} ", text):
    m = re.match(r"(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)\s*\n.*?message received.*?:\s*\n\s*(\S+ \S+)", b, re.S)
    if not m: continue
    t = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    if m.group(3).startswith("SIP/2.0 200") and t0 is None: t0 = t
    if m.group(3).split()[0] == sys.argv[2] and t1 is None: t1 = t
print(-1 if t0 is None or t1 is None else round(t1 - t0, 2))
PY
}

if [ "$case_name" = session_timer ]; then
  # RFC 4028 at the smallest interval allowed, SIP_SESSION_EXPIRES_S=90. Two
  # callers at once: one without timer support (the gateway must refresh, at
  # about half the interval), one that asks to refresh and never does (the
  # gateway must send BYE before the session expires).
  sport2=$(e2e_ports 1)
  sipp -sf "$E2E_SRC/tests/sipp/timer_expire.xml" -set se 90 -m 1 -i 127.0.0.1 -p "$sport2" \
    "127.0.0.1:$sip" -timeout 100 -timeout_error -trace_msg -message_file "$WORK/msg2.log" \
    -trace_err -error_file "$WORK/sipp-errors2.log" >"$WORK/sipp2.log" 2>&1 &
  expire_pid=$!
  sipp -sf "$E2E_SRC/tests/sipp/timer_refresh.xml" -m 1 -i 127.0.0.1 -p "$sport" "127.0.0.1:$sip" \
    -timeout 100 -timeout_error -trace_msg -message_file "$WORK/msg.log" \
    -trace_err -error_file "$WORK/sipp-errors.log" >"$WORK/sipp.log" 2>&1
  check "the caller without timer support got refresher=uas and a refresh" "$? == 0"
  gap=$(sip_gap "$WORK/msg.log" UPDATE); [ "$gap" = -1 ] && gap=$(sip_gap "$WORK/msg.log" INVITE)
  check "the gateway refreshed well before expiry (30-60 s of 90, got $gap)" "30 <= $gap <= 60"
  wait $expire_pid
  check "the caller that never refreshed got a BYE from the gateway" "$? == 0"
  gap=$(sip_gap "$WORK/msg2.log" BYE)
  check "the BYE came before the 90 s session expired (got $gap s)" "50 <= $gap < 90"
  [ $fail -eq 0 ] || { tail -5 "$WORK"/sipp-errors*.log; tail -30 "$WORK/gateway.log"; }
  exit $fail
fi

if [ "$case_name" = dtmf_info ]; then
  # SIP INFO DTMF (application/dtmf-relay "5", application/dtmf "#") mid-call.
  sipp -sf "$E2E_SRC/tests/sipp/info.xml" -m 1 -d 2000 -i 127.0.0.1 -p "$sport" "127.0.0.1:$sip" \
    -timeout 30 -timeout_error -trace_err -error_file "$WORK/sipp-errors.log" >"$WORK/sipp.log" 2>&1
  rc=$?
  check "SIPp call with INFO DTMF completed" "$rc == 0"
  [ $rc -eq 0 ] || { tail -5 "$WORK/sipp.log"; tail -5 "$WORK/sipp-errors.log"; }
  sleep 1
  report=$(ls "$WORK"/stream-*.json 2>/dev/null | head -1)
  [ -n "$report" ] || { echo "not ok - the fake wrote no stream report"; tail -20 "$WORK/gateway.log"; exit 1; }
  R() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$report" "$1"; }
  check "INFO dtmf-relay digit 5 reached the model as text" \
    "$(R "any('pressed 5' in t for t in d['text_inputs'])")"
  check "INFO application/dtmf digit # reached the model as text" \
    "$(R "any('pressed #' in t for t in d['text_inputs'])")"
  [ $fail -eq 0 ] || { echo "--- gateway.log"; tail -30 "$WORK/gateway.log"; }
  exit $fail
fi

case $case_name in
full)         secs=6; extra=(--wav "$WORK/caller.wav") ;;
hangup_mid_reply) secs=2; extra=(--wav "$WORK/caller.wav") ;;
dtmf_rfc4733) secs=4; extra=(--dtmf 5) ;;
port_taken)   secs=4; extra=(--wav "$WORK/caller.wav") ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac
e2e_call "$sip" "$rtp" "$secs" "$sport" "${extra[@]}"
check "SIPp call completed" "$? == 0"
sleep 1
peer=$(grep '"stream"' "$WORK/peer.json")
report=$(ls "$WORK"/stream-*.json 2>/dev/null | head -1)
summary=$(ls "$WORK"/call-*.json 2>/dev/null | grep -v transcript | head -1)
[ -n "$report" ] || { echo "not ok - the fake wrote no stream report"; cat "$WORK/gateway.log"; exit 1; }
[ -n "$summary" ] || { echo "not ok - the gateway wrote no call summary"; cat "$WORK/gateway.log"; exit 1; }
P() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$peer" "$1"; }
R() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$report" "$1"; }
S() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$summary" "$1"; }

check "the request and every event were correctly signed" \
  "$(R "d['signature']['request_ok'] and d['signature']['events_bad']==0 and d['signature']['end_frame']")"
check "the stream closed in order (audio end, promptEnd, sessionEnd, end frame)" \
  "$(R "d['events'][-4:]==['contentEnd','promptEnd','sessionEnd','end-frame']")"
check "no validation error at the fake" "$(R "d['validation_error'] is None")"
check "the caller's RTP stream latched and flowed" "$(P "d['latched'] and d['rx_packets']>=$((secs*50-10))")"

case $case_name in
full)
  check "the fake heard ~$secs s of caller audio at 8 kHz" "$(R "abs(d['audio']['seconds']-$secs)<1.0 and d['audio']['rate']==8000")"
  check "the fake heard the caller's 1 kHz tone" "$(R "abs(d['audio']['dominant_hz']-1000)<30")"
  check "the caller heard the reply: 660 Hz" "$(P "abs(d['dominant_hz']-660)<25")"
  check "the caller heard >= 1.4 s of reply audio (one 1.5 s reply or more)" "$(P "d['audible_seconds']>=1.4")"
  check "audio events reached the fake every ~40 ms (p99 < 60 ms)" "$(R "d['gaps_ms']['p99']<60")"
  check "summary: outcome caller_hangup, no loss, RTP both ways" \
    "$(S "d['outcome']=='caller_hangup' and d['rtp']['lost']==0 and d['rtp']['tx_packets']>250")"
  ;;
hangup_mid_reply)
  check "the caller hung up mid-reply and heard only part of it" "$(P "0.0<=d['audible_seconds']<1.5")"
  check "the gateway still closed the stream cleanly" "$(R "'sessionEnd' in d['events']")"
  check "summary: caller_hangup" "$(S "d['outcome']=='caller_hangup'")"
  ;;
port_taken)
  check "two taken pairs were skipped" "$(grep -c 'is taken by another process' "$WORK/gateway.log") == 2"
  check "the call ran on the third pair" "$(grep -q "answered: local RTP 127.0.0.1:$((base + 4))" "$WORK/gateway.log" && echo True || echo False)"
  check "the caller heard the reply" "$(P "abs(d['dominant_hz']-660)<25")"
  ;;
dtmf_rfc4733)
  check "the DTMF digit reached the model as text" \
    "$(R "any('pressed 5' in t for t in d['text_inputs'])")"
  check "summary counts one digit" "$(S "d['rtp']['dtmf_digits']==1")"
  ;;
esac
[ $fail -eq 0 ] || { echo "--- gateway.log"; tail -30 "$WORK/gateway.log"; }
exit $fail

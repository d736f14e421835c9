#!/usr/bin/env bash
# End-to-end calls through the real binary: SIPp signalling, rtp-peer media, the
# fake Bedrock over TLS. Each case asserts what the caller heard (duration and
# dominant frequency of the fake's reply WAV) and what the fake heard and
# checked (signatures, input audio, text inputs, the closing order).
#   call_test.sh BUILD_DIR CASE   CASE: full | hangup_mid_reply | dtmf_rfc4733 | dtmf_info
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
e2e_gateway "$sip" "$bedrock" "$admin" CALL_RECORDS_DIR="$WORK" || { cat "$WORK/gateway.log"; exit 1; }

if [ "$case_name" = dtmf_info ]; then
  # SIP INFO DTMF (application/dtmf-relay "5", application/dtmf "#") mid-call.
  sipp -sf "$E2E_SRC/tests/sipp/info.xml" -m 1 -d 2000 -i 127.0.0.1 -p "$sport" "127.0.0.1:$sip" \
    -timeout 30 -timeout_error -trace_err -error_file "$WORK/sipp-errors.log" >"$WORK/sipp.log" 2>&1
  check "SIPp call with INFO DTMF completed" "$? == 0"
  sleep 1
  report=$(ls "$WORK"/stream-*.json 2>/dev/null | head -1)
  [ -n "$report" ] || { echo "not ok - the fake wrote no stream report"; exit 1; }
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
dtmf_rfc4733)
  check "the DTMF digit reached the model as text" \
    "$(R "any('pressed 5' in t for t in d['text_inputs'])")"
  check "summary counts one digit" "$(S "d['rtp']['dtmf_digits']==1")"
  ;;
esac
[ $fail -eq 0 ] || { echo "--- gateway.log"; tail -30 "$WORK/gateway.log"; }
exit $fail

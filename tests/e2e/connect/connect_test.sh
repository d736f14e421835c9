#!/usr/bin/env bash
# End-to-end Amazon Connect calls: the real binary, SIPp playing the Connect
# side (X-Amzn-* headers, hex JSON User-to-User), rtp-peer for the caller's
# media, the fake Bedrock scripted to call tools, and the fake Connect API.
# The central assertion: the fake Connect answered the final attribute write
# (HTTP 200) before the caller side received the gateway's BYE — both taken
# from timestamps at the receiving ends, not from the gateway's own log.
#   connect_test.sh BUILD_DIR CASE
#   CASE: transfer | throttled | hang | caller_hangup | no_connect | refer | drain
#         | nova_failure | max_duration | bedrock_frozen
set -uo pipefail
BUILD=$1
case_name=$2
WORK=$(mktemp -d)
. "$(dirname "$0")/../lib.sh"
fb_pid=
trap '[ -n "$fb_pid" ] && kill -CONT $fb_pid; e2e_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail=0
check() { if python3 -c "import sys; sys.exit(0 if ($2) else 1)"; then echo "ok - $1"; else echo "not ok - $1 ($2)"; fail=1; fi; }

CONTACT=c0ffee00-0000-4000-8000-00000000e2e1
UUI_JSON='{"customer_id":"C-1001","account_number":"AC-77","language":"en-US","tools":"getDateAndTime,updateContactAttributes,endCallAndTransfer,hangUp","intent":"billing","favourite_colour":"teal"}'
UUI=$(printf '%s' "$UUI_JSON" | od -An -v -tx1 | tr -d ' \n')

sox -q -n -r 16000 -b 16 -c 1 "$WORK/reply.wav" synth 1.5 sine 660 vol 0.5
sox -q -n -r 8000 -b 16 -c 1 "$WORK/caller.wav" synth 30 sine 1000 vol 0.5

# The model: a mid-call attribute update, then the decision to hand over.
cat >"$WORK/script.json" <<'JSON'
{"listen_ms": 600, "burst_ms": 400, "burst_interval_ms": 100, "repeat": false, "turns": [
  {"user": "I have a question about my bill",
   "tool": {"name": "updateContactAttributes",
            "args": {"attributes": {"nova_issue_type": "billing", "nova_customer_sentiment": "neutral",
                                    "nova_next": "end"}}},
   "assistant": "Let me look at that.", "reply_ms": 400},
  {"user": "Can I talk to a person?",
   "tool": {"name": "endCallAndTransfer",
            "args": {"next": "agent", "queue": "Billing", "reason": "billing question",
                     "summary": "Caller asks about a charge on the March bill."}},
   "assistant": "I am transferring you to our billing team. Goodbye.", "reply_ms": 1500}
]}
JSON
# A model that never decides: the caller hangs up first.
echo '{"listen_ms": 1000, "repeat": false, "turns": [{"user": "hello", "assistant": "Hi, how can I help?", "reply_ms": 500}]}' \
  >"$WORK/listen.json"

# The model fails for good mid-call.
echo '{"listen_ms": 800, "repeat": false, "turns": [{"user": "hello", "exception": "modelStreamErrorException", "exception_message": "injected"}]}' \
  >"$WORK/fail.json"

read -r sip bedrock admin sport cport <<<"$(e2e_ports 5)"
rtp=$(e2e_rtp_port)
fc_args=(--contact "inst-e2e/$CONTACT")
gw_env=(CALL_RECORDS_DIR="$WORK" CONNECT_FINAL_FLUSH_TIMEOUT_MS=1500 CONNECT_FLUSH_INTERVAL_MS=200
        CONNECT_REGION=us-east-1 AWS_ENDPOINT_URL_CONNECT="https://localhost:$cport")
script="$WORK/script.json"
caller_bye_ms=0
connect_call=1
case $case_name in
transfer) ;;
throttled) fc_args+=(--throttle-every 2 --fail-next 1) ;;
hang) fc_args+=(--hang) ;;
caller_hangup) script="$WORK/listen.json"; caller_bye_ms=3000 ;;
no_connect) connect_call=0; caller_bye_ms=7000 ;;
refer) connect_call=0; gw_env+=(SIP_TRANSFER_TARGET="sip:agents@127.0.0.1:5999") ;;
drain) script="$WORK/listen.json"; gw_env+=(DRAIN_TIMEOUT_S=1) ;;
nova_failure) script="$WORK/fail.json" ;;
max_duration) script="$WORK/listen.json"; gw_env+=(MAX_CALL_DURATION_S=3) ;;
bedrock_frozen) script="$WORK/listen.json" ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac

"$BUILD/tests/fakes/connect/fake-connect" --listen "127.0.0.1:$cport" \
  --cert "$BUILD/tests/fakes/common/test-server.pem" --key "$BUILD/tests/fakes/common/test-server.key" \
  --log "$WORK/connect.jsonl" "${fc_args[@]}" >"$WORK/fake-connect.log" 2>&1 &
E2E_PIDS+=($!)
e2e_wait_port 127.0.0.1 "$cport" || exit 1
touch "$WORK/connect.jsonl"
e2e_fake_bedrock "$bedrock" --reply-wav "$WORK/reply.wav" --script "$script" || exit 1
e2e_gateway "$sip" "$bedrock" "$admin" "${gw_env[@]}" || { cat "$WORK/gateway.log"; exit 1; }

# The call. A plain call has no X-Amzn headers and no User-to-User.
scenario="$E2E_SRC/tests/sipp/connect_call.xml"
if [ "$connect_call" = 0 ]; then
  # (SIPp refuses variables set but unused: keep them in harmless headers)
  sed -e 's/X-Amzn-ConnectContactId:/X-Test-Contact:/' -e '/X-Amzn-/d' \
      -e 's/User-to-User:/X-Test-Data:/' "$scenario" >"$WORK/plain_call.xml"
  scenario="$WORK/plain_call.xml"
fi
"$BUILD/tests/tools/rtp-peer" --base "$rtp" --count 1 --seconds 25 --wav "$WORK/caller.wav" \
  --record-dir "$WORK" >"$WORK/peer.json" 2>"$WORK/peer.err" &
peer=$!
if [ "$case_name" = bedrock_frozen ]; then
  # Bedrock stops answering mid-call (SIGSTOP: the TCP connection stays up, a
  # black hole). Only HTTP/2 PINGs can tell; the new stream cannot come up
  # either, so the call must end with the fallback prompt, agent.
  fb_pid=$(pgrep -f "fake-bedrock --listen 127.0.0.1:$bedrock")
  (sleep 2; kill -STOP $fb_pid) &
fi
if [ "$case_name" = drain ]; then
  # SIGTERM mid-call; the call outlives DRAIN_TIMEOUT_S, so the gateway ends it.
  (sleep 2.5; kill -TERM "$E2E_GW_PID") &
fi
(cd "$WORK" && sipp -sf "$scenario" -set rtp_port "$rtp" -set contact "$CONTACT" -set uui "$UUI" \
  -set caller_bye_ms "$caller_bye_ms" -d "$caller_bye_ms" -m 1 -i 127.0.0.1 -p "$sport" "127.0.0.1:$sip" \
  -timeout 40 -timeout_error -trace_msg -message_file "$WORK/msg.log" \
  -trace_err -error_file "$WORK/sipp-errors.log" >"$WORK/sipp.log" 2>&1)
check "SIPp call completed" "$? == 0"
kill -TERM "$peer" 2>/dev/null; wait "$peer" 2>/dev/null
[ "$case_name" = bedrock_frozen ] && kill -CONT $fb_pid
# The summary is written once the call's last part closed (up to a few s).
for _ in $(seq 50); do ls "$WORK"/call-*.json >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.2
if [ "$case_name" = drain ]; then
  wait "$E2E_GW_PID"; gw_rc=$?
else
  metrics=$(curl -s "http://127.0.0.1:$admin/metrics")
fi
summary=$(ls "$WORK"/call-*.json 2>/dev/null | grep -v transcript | head -1)
[ -n "$summary" ] || { echo "not ok - no call summary"; tail -40 "$WORK/gateway.log"; exit 1; }

# When the BYE reached the caller (SIPp's message trace, wall clock), in us.
bye_us=$(python3 - "$WORK/msg.log" <<'PY'
import re, sys, datetime
text = open(sys.argv[1], errors="replace").read()
blocks = re.split(r"-{20,} ", text)
for b in blocks:
    m = re.match(r"(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d(?:\.\d+)?)\s*\n.*?message received.*?:\s*\n\s*(\S+)", b, re.S)
    if m and m.group(3) == "BYE":
        t = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M:%S.%f")
        print(int(t.timestamp() * 1e6)); break
else:
    print(0)
PY
)
S() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$summary" "$1"; }
# C EXPR: over the fake Connect's records r (list of dicts), final = last 200.
C() { python3 -c "
import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok=[x for x in r if x['status']==200]
final=next((x for x in reversed(ok) if 'nova_next' in x['body'].get('Attributes',{})), None)
A=final['body']['Attributes'] if final else {}
bye=int(sys.argv[3])
print(eval(sys.argv[2]))" "$WORK/connect.jsonl" "$1" "$bye_us"; }
M() { printf '%s\n' "$metrics" | awk -v k="$1" '$1==k {print $2; f=1} END {if (!f) print 0}'; }
report=$(ls "$WORK"/stream-*.json 2>/dev/null | head -1)
R() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$report" "$1"; }

case $case_name in
transfer|throttled)
  check "the caller received the gateway's BYE" "$bye_us > 0"
  check "a mid-call write carried the model's attributes" \
    "$(C "any(x['body']['Attributes'].get('nova_issue_type')=='billing' for x in ok)")"
  check "the model could not write a reserved key (nova_next=end was refused)" \
    "$(C "all(x['body']['Attributes'].get('nova_next')!='end' for x in r)")"
  check "final attributes: agent, queue Billing, reason billing_question, completed" \
    "$(C "A.get('nova_next')=='agent' and A.get('nova_target_queue')=='Billing' and A.get('nova_reason')=='billing_question' and A.get('nova_status')=='completed'")"
  check "final attributes carry summary, timestamp, duration, correlation id, version" \
    "$(C "'March bill' in A.get('nova_summary','') and A.get('nova_timestamp','').endswith('Z') and A.get('nova_call_duration','').isdigit() and bool(A.get('nova_correlation_id')) and bool(A.get('nova_version'))")"
  check "the write used the contact from the headers and the instance from the ARN" \
    "$(C "final['body']['InitialContactId']=='$CONTACT' and final['body']['InstanceId']=='inst-e2e'")"
  check "the final write was answered 200 BEFORE the BYE reached the caller" "$(C "final['t_us'] < bye")"
  check "the BYE says where the caller goes (X-Nova-Next: agent)" \
    "$(grep -A12 '^BYE ' "$WORK/msg.log" | grep -qi '^X-Nova-Next: agent' && echo True || echo False)"
  check "the goodbye played before the BYE: the caller heard >= 1.4 s of 660 Hz" \
    "$(python3 -c "import json; d=[json.loads(l) for l in open('$WORK/peer.json') if '\"stream\"' in l][0]; print(d['audible_seconds']>=1.4 and abs(d['dominant_hz']-660)<25)")"
  check "summary: disposition agent / Billing, final attributes ok" \
    "$(S "d['disposition']['next']=='agent' and d['disposition']['queue']=='Billing' and d['disposition']['final_attributes']=='ok' and d['contact_id']=='$CONTACT'")"
  check "the model got both tool results" "$(R "len(d['tool_results'])==2")"
  check "metrics: tool calls by tool and result" \
    "$(printf '%s' "$metrics" | grep -q 'nova_tool_calls_total{tool="endCallAndTransfer",result="ok"} 1' && echo True || echo False)"
  check "no flush miss counted" "$(M nova_connect_flush_misses_total) == 0"
  check "the UUI key not on the allowlist was logged" "$(grep -q 'favourite_colour' "$WORK/gateway.log" && echo True || echo False)"
  if [ "$case_name" = throttled ]; then
    check "the fake answered 429 and 500 at least once each" \
      "$(C "any(x['status']==429 for x in r) and any(x['status']==500 for x in r)")"
    check "metrics: throttled and retryable results counted" \
      "$(printf '%s' "$metrics" | grep -q 'nova_connect_requests_total{result="throttled"}' && echo True || echo False)"
  fi ;;
hang)
  check "the caller received the gateway's BYE" "$bye_us > 0"
  check "no write was ever answered" "$(C "len(ok)==0")"
  check "the flush miss was counted" "$(M nova_connect_flush_misses_total) == 1"
  check "the failure was logged" "$(grep -q 'not written within CONNECT_FINAL_FLUSH_TIMEOUT_MS' "$WORK/gateway.log" && echo True || echo False)"
  check "summary: final attributes deadline, still routed to agent" \
    "$(S "d['disposition']['final_attributes']=='deadline' and d['disposition']['next']=='agent'")"
  ;;
caller_hangup)
  check "final attributes written after the caller's BYE: caller_hangup" \
    "$(C "A.get('nova_status')=='caller_hangup' and A.get('nova_reason')=='caller_hangup' and A.get('nova_next')=='end'")"
  check "summary: outcome caller_hangup, final attributes ok" \
    "$(S "d['outcome']=='caller_hangup' and d['disposition']['final_attributes']=='ok'")"
  ;;
drain)
  check "the caller received the gateway's BYE" "$bye_us > 0"
  check "final attributes: agent, reason drain, status error" \
    "$(C "A.get('nova_next')=='agent' and A.get('nova_reason')=='drain' and A.get('nova_status')=='error'")"
  check "the final write was answered 200 BEFORE the BYE reached the caller" "$(C "final['t_us'] < bye")"
  check "the gateway exited 0 after the drain" "$gw_rc == 0"
  check "the drain deadline was logged" "$(grep -q 'drain deadline: ending 1 calls' "$WORK/gateway.log" && echo True || echo False)"
  ;;
nova_failure|max_duration|bedrock_frozen)
  if [ "$case_name" = max_duration ]; then want="'timeout','max_duration'"; else want="'error','ai_unavailable'"; fi
  check "the caller received the gateway's BYE" "$bye_us > 0"
  check "final attributes: agent with the failure's status and reason" \
    "$(C "A.get('nova_next')=='agent' and (A.get('nova_status'),A.get('nova_reason'))==($want)")"
  check "the final write was answered 200 BEFORE the BYE reached the caller" "$(C "final['t_us'] < bye")"
  # nova_failure: the model never spoke, so all the caller heard is the fallback
  # (988/740/587 Hz); max_duration: the 0.5 s reply, then the fallback.
  if [ "$case_name" = bedrock_frozen ]; then
    check "the dead connection was found by PING" "$(grep -q 'PING unanswered' "$WORK/gateway.log" && echo True || echo False)"
    check "a new stream was tried before giving up" "$(grep -q 'opening a new one' "$WORK/gateway.log" && echo True || echo False)"
  fi
  if [ "$case_name" = nova_failure ]; then heard="d['audible_seconds']>=0.8 and min(abs(d['dominant_hz']-f) for f in (987.8,740,587.3))<30"
  else heard="d['audible_seconds']>=1.2"; fi
  check "no dead air: the caller heard the fallback prompt (three tones, ~1 s)" \
    "$(python3 -c "import json; d=[json.loads(l) for l in open('$WORK/peer.json') if '\"stream\"' in l][0]; print($heard)")"
  ;;
no_connect|refer)
  check "not a Connect call: no Connect API request at all" "$(C "len(r)==0")"
  check "the model's updateContactAttributes got a clear 'not available'" \
    "$(R "'not available' in d['tool_results'][0]['content']")"
  check "summary: no contact id, no final attributes" \
    "$(S "'contact_id' not in d and d['disposition']['final_attributes']=='none'")"
  if [ "$case_name" = refer ]; then
    check "the gateway transferred the caller with REFER to SIP_TRANSFER_TARGET" \
      "$(grep -A12 '^REFER ' "$WORK/msg.log" | grep -qi '^Refer-To: .*sip:agents@127.0.0.1:5999' && echo True || echo False)"
    check "the transfer's NOTIFY 200 was followed by the gateway's BYE" "$bye_us > 0"
  else
    check "without a transfer target, next=agent is refused and the model ends the call" \
      "$(R "'no agent transfer' in d['tool_results'][1]['content']")"
  fi ;;
esac
if [ $fail -ne 0 ]; then
  echo "--- gateway log (tail)"; tail -60 "$WORK/gateway.log"
  echo "--- fake connect"; cat "$WORK/connect.jsonl"
  cat "$WORK/sipp-errors.log" 2>/dev/null | tail -20
fi
exit $fail

#!/usr/bin/env bash
# e2e security tests: the real nova-gateway, the fake Bedrock, and callers of
# our own — sip_tls_ua.py (SIP over TLS or UDP, SAVP or AVP offers) with
# rtp-peer for the media (SRTP when the answer is SAVP).
#
# usage: sec_test.sh <case>      (cases: see the `case` at the bottom)
# env:   NOVA_BUILDDIR, NOVA_SRCDIR (meson's test_env); KEEP_WORK=1 keeps logs.
set -u
CASE=$1
BUILD=${NOVA_BUILDDIR:?}
SRC=${NOVA_SRCDIR:?}
HERE=$SRC/tests/e2e/sec
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nova-e2e-sec-$CASE.XXXXXX")
# shellcheck source=tests/e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
PKI=$BUILD/tests/fakes/common
# Sanitizer builds: sofia 1.12 never frees its TLS contexts (see the file).
export LSAN_OPTIONS=suppressions=$SRC/tests/e2e/sip/lsan-sofia-tls.supp:print_suppressions=0:fast_unwind_on_malloc=0
UA=$HERE/sip_tls_ua.py
PEER=$BUILD/tests/tools/rtp-peer

cleanup() {
  e2e_cleanup
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

failed=0
fail() {
  local f
  echo "FAIL [$CASE]: $*"
  for f in "$WORK"/gateway.log "$WORK"/ua*.err "$WORK"/fake-bedrock.log; do
    [ -s "$f" ] || continue
    echo "--- $f (last 30 lines)"; tail -n 30 "$f"
  done
  exit 1
}
ok() { echo "ok - $1"; }
# check NAME PY-EXPR: a Python expression over d (the JSON object in $J).
check() {
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$J" "$2" && ok "$1" || { echo "not ok - $1 ($2) in $J"; failed=1; }
}

# metric ADMIN_PORT NAME: the sample's value, "absent", or "unreachable".
metric() {
  curl -s -m 5 -f "http://127.0.0.1:$1/metrics" |
    awk -v k="$2" '$1 == k { v = $2 } END { print (NR == 0 ? "unreachable" : v == "" ? "absent" : v) }'
}

read -r SIP TLS BEDROCK ADMIN <<<"$(e2e_ports 4)"
sox -q -n -r 16000 -b 16 -c 1 "$WORK/reply.wav" synth 1.5 sine 660 vol 0.5
sox -q -n -r 8000 -b 16 -c 1 "$WORK/caller.wav" synth 4 sine 1000 vol 0.5

# start MODE [VAR=value...]: fake Bedrock and the gateway with a TLS listener.
start() {
  local mode=$1; shift
  e2e_fake_bedrock "$BEDROCK" --reply-wav "$WORK/reply.wav" || fail "fake Bedrock did not start"
  e2e_gateway "$SIP" "$BEDROCK" "$ADMIN" SRTP_MODE="$mode" \
    SIP_TLS_LISTEN="127.0.0.1:$TLS" SIP_TLS_CERT="$PKI/test-server.pem" \
    SIP_TLS_KEY="$PKI/test-server.key" SIP_TLS_CA="$PKI/test-ca.pem" "$@" ||
    fail "the gateway did not start"
}

# ua NAME [args...]: one call; its JSON line in $J, the peer's in $WORK/NAME.peer.
ua() {
  local name=$1; shift
  J=$(python3 "$UA" --port "$TLS" --ca "$PKI/test-ca.pem" --rtp-port "$(e2e_rtp_port)" \
        --peer "$PEER" --peer-out "$WORK/$name.peer" --keys-out "$WORK/keys.txt" "$@" \
        2>"$WORK/ua-$name.err") || fail "the UA failed: $(tail -n 5 "$WORK/ua-$name.err")"
  echo "# $name: $J"
}

peer_json() { grep '"stream"' "$WORK/$1.peer"; }

# srtp_call SUITES EXPECT_SUITE SECONDS BAD_TAGS: a full SRTP call over TLS.
srtp_call() {
  local suites=$1 want=$2 secs=$3 bad=$4 before after
  before=$(metric "$ADMIN" nova_srtp_auth_failures_total)
  ua call --suites "$suites" --seconds "$secs" \
    --peer-arg=--wav --peer-arg="$WORK/caller.wav" --peer-arg=--bad-tags --peer-arg="$bad"
  check "200 over TLS 1.2+" "d['status'] == 200 and d['tls_version'] in ('TLSv1.2', 'TLSv1.3')"
  check "answered RTP/SAVP with one a=crypto line" \
    "d['answer_proto'] == 'RTP/SAVP' and d['crypto_lines'] == 1"
  check "the gateway chose $want" "d['suite'] == '$want'"
  check "BYE answered 200" "d['bye_status'] == 200"
  J=$(peer_json call)
  echo "# peer: $J"
  check "the caller latched and received SRTP that all authenticated" \
    "d['latched'] and d['srtp'] and d['rx_packets'] >= $secs * 50 - 25 and d['srtp_rx_failed'] == 0"
  check "the caller heard the reply (660 Hz) after decrypting it" \
    "abs(d['dominant_hz'] - 660) < 25 and d['audible_seconds'] >= 1.4"
  check "the caller sent $bad packets with a broken tag" "d['bad_tags_sent'] == $bad"
  sleep 1
  local report
  report=$(ls "$WORK"/stream-*.json 2>/dev/null | tail -n 1)
  [ -n "$report" ] || fail "the fake wrote no stream report"
  J=$(cat "$report")
  check "the fake heard ~$secs s of the caller's 1 kHz tone through SRTP" \
    "abs(d['audio']['dominant_hz'] - 1000) < 30 and d['audio']['seconds'] > $secs - 1.5"
  after=$(metric "$ADMIN" nova_srtp_auth_failures_total)
  [ "$(python3 -c "print(int(float('$after') - float('$before')))")" = "$bad" ] &&
    ok "nova_srtp_auth_failures_total counted the $bad broken tags ($before -> $after)" ||
    { echo "not ok - auth failures went $before -> $after, want +$bad"; failed=1; }
  grep -q "srtp $want" "$WORK/gateway.log" && ok "the gateway logged the suite" ||
    { echo "not ok - no 'srtp $want' in the gateway log"; failed=1; }
}

# No key of the call may appear in the gateway's log.
no_keys_in_log() {
  local k n=0
  while read -r k; do
    [ -n "$k" ] || continue
    n=$((n + 1))
    if grep -qF -- "$k" "$WORK/gateway.log"; then
      echo "not ok - an SRTP key is in the gateway log"; failed=1; return
    fi
  done <"$WORK/keys.txt"
  [ "$n" -gt 0 ] && ok "none of the call's $n SRTP keys is in the gateway log (DEBUG_SIP on)"
}

case "$CASE" in
srtp_tls)
  # An SBC-like offer: three suites, the strongest last; DEBUG_SIP traces
  # every message (with the a=crypto lines) into the log.
  start required DEBUG_SIP=1 LOG_LEVEL=debug
  srtp_call AES_CM_128_HMAC_SHA1_32,AES_CM_128_HMAC_SHA1_80,AEAD_AES_128_GCM \
    AEAD_AES_128_GCM 6 25
  # TLS below 1.2 is refused (the client even lowers its own security level).
  for v in tls1 tls1_1; do
    if echo | OPENSSL_CONF=/dev/null timeout 5 openssl s_client -connect "127.0.0.1:$TLS" \
         -"$v" -cipher 'DEFAULT:@SECLEVEL=0' 2>&1 | grep -q "^New, TLS"; then
      echo "not ok - the TLS listener accepted $v"; failed=1
    else
      ok "the TLS listener refuses $v"
    fi
  done
  grep -q 'inline:\*\*\*\*' "$WORK/gateway.log" && ok "SIP traces show a=crypto masked" ||
    { echo "not ok - no masked a=crypto line in the SIP trace"; failed=1; }
  no_keys_in_log ;;
srtp_tls_cm80)
  start optional
  srtp_call AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_80 4 10 ;;
srtp_tls_cm32)
  start optional
  srtp_call AES_CM_128_HMAC_SHA1_32 AES_CM_128_HMAC_SHA1_32 4 10 ;;
required_plain_488)
  start required
  ua plain --plain --seconds 1
  check "SRTP_MODE=required answers a plain RTP/AVP offer with 488" "d['status'] == 488"
  grep -q "plain RTP/AVP offered but SRTP_MODE is required" "$WORK/gateway.log" &&
    ok "the refusal says why" || { echo "not ok - no reason in the log"; failed=1; } ;;
off_savp_488)
  start off
  ua savp --seconds 1
  check "SRTP_MODE=off answers an RTP/SAVP offer with 488" "d['status'] == 488" ;;
required_udp_488)
  start required
  J=$(python3 "$UA" --transport udp --port "$SIP" --rtp-port "$(e2e_rtp_port)" --seconds 1 \
        2>"$WORK/ua-udp.err") || fail "the UA failed"
  check "SRTP_MODE=required refuses SDES keys sent over clear UDP SIP (488)" \
    "d['status'] == 488"
  grep -q "SRTP keys offered over unencrypted SIP" "$WORK/gateway.log" &&
    ok "the refusal says why" || { echo "not ok - no reason in the log"; failed=1; } ;;
optional_plain)
  # optional: a plain offer is answered in kind and the call works in clear.
  start optional
  ua plain --plain --seconds 3 --peer-arg=--wav --peer-arg="$WORK/caller.wav"
  check "SRTP_MODE=optional answers RTP/AVP in kind" \
    "d['status'] == 200 and d['answer_proto'] == 'RTP/AVP' and d['crypto_lines'] == 0"
  J=$(peer_json plain)
  check "plain media flows both ways" "not d['srtp'] and abs(d['dominant_hz'] - 660) < 25" ;;
allowlist)
  # Only 127.0.0.2 may send SIP; 127.0.0.3 is ignored on every transport.
  PROBE="python3 $HERE/sip_probe.py options --port"
  start off SIP_ALLOW_CIDRS=127.0.0.2/32 CALL_RECORDS_DIR="$WORK"
  grep -q "2 of 2 stream listener(s) filtered in the kernel" "$WORK/gateway.log" &&
    ok "the TCP and TLS listeners carry the kernel filter" ||
    { echo "not ok - listeners not filtered: $(grep 'SIP guard' "$WORK/gateway.log")"; failed=1; }
  for t in udp tcp tls; do
    port=$SIP; [ $t = tls ] && port=$TLS
    a=$($PROBE "$port" --transport $t --src 127.0.0.2 --ca "$PKI/test-ca.pem")
    b=$($PROBE "$port" --transport $t --src 127.0.0.3 --ca "$PKI/test-ca.pem" --timeout 1.5)
    [ "$a" = 200 ] && ok "OPTIONS over $t from 127.0.0.2 (listed): 200" ||
      { echo "not ok - OPTIONS over $t from 127.0.0.2 got $a"; failed=1; }
    [ "$b" = timeout ] && ok "OPTIONS over $t from 127.0.0.3 (not listed): ignored" ||
      { echo "not ok - OPTIONS over $t from 127.0.0.3 got $b"; failed=1; }
  done
  for i in 1 2 3 4; do $PROBE "$SIP" --src 127.0.0.3 --timeout 0.2 >/dev/null; done
  v=$(metric "$ADMIN" 'nova_sip_refused_total{method="options",action="denied"}')
  [ "$v" = 5 ] && ok "nova_sip_refused_total{method=\"options\",action=\"denied\"} counted the 5 UDP probes" ||
    { echo "not ok - denied options = $v, want 5"; failed=1; }
  # A call from the listed source, with RTP from another network tried first:
  # it must not latch; the caller's own stream then does.
  J=$(python3 "$UA" --transport udp --port "$SIP" --src 127.0.0.2 --plain --seconds 3 \
        --rtp-port "$(e2e_rtp_port)" --peer "$PEER" --peer-out "$WORK/allow.peer" \
        --foreign-rtp 127.0.1.9:50 --peer-arg=--wav --peer-arg="$WORK/caller.wav" \
        2>"$WORK/ua-allow.err") || fail "the UA failed: $(tail -n 5 "$WORK/ua-allow.err")"
  echo "# call: $J"
  check "a call from the listed source is answered" "d['status'] == 200 and d['bye_status'] == 200"
  J=$(peer_json allow)
  check "its media flows (the caller hears 660 Hz)" "d['latched'] and abs(d['dominant_hz'] - 660) < 25"
  sleep 0.5
  summary=$(ls "$WORK"/call-*.json 2>/dev/null | grep -v transcript | head -n 1)
  [ -n "$summary" ] || fail "no call summary"
  J=$(cat "$summary")
  check "RTP from 127.0.1.9 (another network) was foreign, never latched" \
    "d['rtp']['foreign'] >= 45 and d['rtp']['latched'] and d['rtp']['rx_packets'] > 100" ;;
allow_warning)
  start off SIP_LISTEN="0.0.0.0:$SIP"
  grep -q "SIP_ALLOW_CIDRS is empty: SIP from any address is accepted" "$WORK/gateway.log" &&
    ok "an open allowlist on a public listener is warned about at start-up" ||
    { echo "not ok - no warning"; failed=1; } ;;
flood)
  # 2,000 INVITEs from 127.0.0.2 while a real call from 127.0.0.3 goes on.
  # A budget of 5/s: the INVITEs let through become real calls with Bedrock
  # streams, which is load in its own right (under a sanitizer build, 30 of
  # them in 2 s already disturb the pacing of the call we watch).
  start off SIP_RATE_PER_SOURCE=5 MEDIA_TIMEOUT_S=3 CALL_RECORDS_DIR="$WORK"
  python3 "$UA" --transport udp --port "$SIP" --src 127.0.0.3 --plain --seconds 8 \
    --rtp-port "$(e2e_rtp_port)" --peer "$PEER" --peer-out "$WORK/legit.peer" \
    --peer-arg=--wav --peer-arg="$WORK/caller.wav" >"$WORK/legit.json" 2>"$WORK/ua-legit.err" &
  legit=$!
  sleep 1.5
  t0=$(awk '{print $14 + $15}' "/proc/$E2E_GW_PID/stat")
  F=$(python3 "$HERE/sip_probe.py" flood --port "$SIP" --src 127.0.0.2 --count 2000 --rate 1000)
  t1=$(awk '{print $14 + $15}' "/proc/$E2E_GW_PID/stat")
  echo "# flood: $F; gateway CPU during it: $((t1 - t0)) ticks of 1/$(getconf CLK_TCK) s"
  wait $legit || fail "the legitimate call's UA failed: $(tail -n 5 "$WORK/ua-legit.err")"
  J=$(cat "$WORK/legit.json")
  echo "# legit call: $J"
  check "the legitimate call was answered and hung up normally" \
    "d['status'] == 200 and d['bye_status'] == 200"
  J=$(peer_json legit)
  echo "# legit peer: $J"
  # Timing is only asserted on an optimised build: under a sanitizer every
  # call (the flood's admitted ones too) costs many times its normal CPU.
  if ldd "$BUILD/gateway/nova-gateway" 2>/dev/null | grep -q 'libasan\|libtsan'; then
    SANITIZED=1; echo "# sanitizer build: pacing and loss are not asserted"
  else
    SANITIZED=0
  fi
  check "its caller heard the reply (660 Hz)" \
    "abs(d['dominant_hz'] - 660) < 25 and d['audible_seconds'] >= 1.4"
  # (p99 under one 20 ms frame: the suite runs tests in parallel on small
  # machines, and a far-end jitter buffer absorbs that much.)
  check "... the whole call, paced (p99 pacing deviation < 20 ms)" \
    "$SANITIZED or (d['rx_packets'] >= 8 * 50 - 25 and d['pacing_dev_p99_ms'] < 20)"
  passed=$(grep -c "INVITE from .*(127.0.0.2" "$WORK/gateway.log")
  dropped=$(metric "$ADMIN" 'nova_sip_refused_total{method="invite",action="dropped"}')
  overflow=$(metric "$ADMIN" nova_sip_udp_overflow_drops_total)
  echo "# flood INVITEs: $passed reached sofia, $dropped dropped unread by the guard," \
       "$overflow dropped by the kernel (receive buffer full)"
  J="{\"passed\": $passed, \"dropped\": ${dropped%.*}, \"overflow\": ${overflow%.*}, \"flood\": $F}"
  # 5/s with a burst of 5 over ~2 s of flood: 15, and a little slack.
  check "the flood source got no more than its budget through" "d['passed'] <= 17"
  check "every other flood INVITE was dropped unread and counted" \
    "d['dropped'] + d['overflow'] + d['passed'] == 2000 and d['dropped'] + d['overflow'] >= 1980"
  report=$(python3 -c 'import json,sys,glob
best=None
for f in glob.glob(sys.argv[1] + "/stream-*.json"):
    d=json.load(open(f))
    if abs(d["audio"]["dominant_hz"] - 1000) < 30: best=f
print(best or "")' "$WORK")
  [ -n "$report" ] && J=$(cat "$report") || J='{"audio": {"seconds": 0}}'
  check "the fake heard the legitimate caller's tone for the whole call" \
    "d['audio']['seconds'] > ($SANITIZED and 3 or 6.5)"
  summary=$(grep -l '127.0.0.3' "$WORK"/call-*.json 2>/dev/null | grep -v transcript | head -n 1)
  [ -n "$summary" ] && J=$(cat "$summary") || J='{"rtp": {"lost": -1}}'
  check "no RTP lost on the legitimate call" "$SANITIZED or d['rtp']['lost'] == 0"
  # Over TCP the excess is parsed by sofia but answered 503 before any call
  # state exists: 30 OPTIONS at once on one connection, budget 5.
  J=$(python3 "$HERE/sip_probe.py" options --port "$SIP" --src 127.0.0.4 --transport tcp \
        --count 30)
  echo "# TCP burst: $J"
  check "a TCP burst past the budget is answered 503" \
    "d.get('200', 0) >= 5 and d.get('503', 0) >= 20 and d.get('200', 0) + d.get('503', 0) == 30"
  v=$(metric "$ADMIN" 'nova_sip_refused_total{method="options",action="rejected"}')
  J="{\"v\": ${v%.*}}"
  check "nova_sip_refused_total{method=\"options\",action=\"rejected\"} counted them" "d['v'] >= 20" ;;
hostile)
  # Each hostile input is bounded: refused or ignored, the gateway stays up
  # and the next normal request is served.
  start off CALL_RECORDS_DIR="$WORK"
  BIG="python3 $HERE/sip_probe.py big --port $SIP --timeout 3"
  alive() {
    [ "$(python3 "$HERE/sip_probe.py" options --port "$SIP")" = 200 ] &&
      kill -0 "$E2E_GW_PID" 2>/dev/null
  }
  r=$($BIG --transport tcp --what headers)
  case $r in 413|closed|timeout) ok "300 KB of headers over TCP refused ($r)" ;;
    *) echo "not ok - 300 KB of headers over TCP got $r"; failed=1 ;; esac
  alive && ok "still serving after it" || { echo "not ok - gateway down"; failed=1; }
  r=$($BIG --transport tcp --what body)
  case $r in 413|closed|timeout) ok "a 2 MB body over TCP refused ($r)" ;;
    *) echo "not ok - a 2 MB body over TCP got $r"; failed=1 ;; esac
  alive && ok "still serving after it" || { echo "not ok - gateway down"; failed=1; }
  grep -q "too large message" "$WORK/gateway.log" || true
  # Over UDP: 65,000 bytes of junk headers in one datagram (the largest).
  r=$($BIG --transport udp --what headers)
  alive && ok "a 65,000-byte UDP INVITE ($r) left the gateway serving" ||
    { echo "not ok - gateway down after a 65 kB datagram"; failed=1; }
  # UUI: 24,000 hex digits, then JSON nested 500 deep; both calls go on
  # without it.
  deep=$(python3 -c 'print(("{\"a\":" * 500 + "1" + "}" * 500).encode().hex())')
  for what in "huge:$(python3 -c 'print("7b" * 12000)')" "deep:$deep"; do
    name=${what%%:*}
    J=$(python3 "$UA" --transport udp --port "$SIP" --plain --seconds 1 \
          --rtp-port "$(e2e_rtp_port)" --header "User-to-User: ${what#*:};encoding=hex" \
          2>"$WORK/ua-$name.err") || fail "the UA failed: $(tail -n 3 "$WORK/ua-$name.err")"
    check "a call with a $name UUI is still answered" "d['status'] == 200 and d['bye_status'] == 200"
  done
  sleep 0.5
  grep -q "User-to-User not used: UUI longer than the 8192 hex digits accepted" "$WORK/gateway.log" &&
    ok "the 24,000-digit UUI was not decoded (over 8192 hex digits)" ||
    { echo "not ok - no refusal of the huge UUI in the log"; failed=1; }
  grep -q "User-to-User not used: UUI JSON is nested too deeply" "$WORK/gateway.log" &&
    ok "the 500-deep JSON was never parsed (depth bound 4)" ||
    { echo "not ok - no refusal of the deep UUI in the log"; failed=1; }
  # Bogus RTP beside a real caller: other payload types, broken events,
  # empty and oversized packets. Counted, dropped, the audio intact.
  rm -f "$WORK"/call-*.json
  J=$(python3 "$UA" --transport udp --port "$SIP" --plain --seconds 5 \
        --rtp-port "$(e2e_rtp_port)" --peer "$PEER" --peer-out "$WORK/bogus.peer" \
        --peer-arg=--wav --peer-arg="$WORK/caller.wav" --peer-arg=--bogus --peer-arg=140 \
        2>"$WORK/ua-bogus.err") || fail "the UA failed: $(tail -n 3 "$WORK/ua-bogus.err")"
  J=$(peer_json bogus)
  echo "# peer: $J"
  check "the caller sent 140 bogus packets and still heard the reply" \
    "d['bogus_sent'] == 140 and abs(d['dominant_hz'] - 660) < 25"
  sleep 0.5
  summary=$(ls "$WORK"/call-*.json 2>/dev/null | grep -v transcript | head -n 1)
  [ -n "$summary" ] && J=$(cat "$summary") || J='{"rtp": {"bad": -1}}'
  check "the gateway counted every bogus packet as bad, lost none of the real ones" \
    "d['rtp']['bad'] >= 140 and d['rtp']['lost'] == 0"
  report=$(python3 -c 'import json,sys,glob
best=""
for f in glob.glob(sys.argv[1] + "/stream-*.json"):
    d=json.load(open(f))
    if abs(d["audio"]["dominant_hz"] - 1000) < 30 and d["audio"]["seconds"] > 3.5: best=f
print(best)' "$WORK")
  [ -n "$report" ] && ok "the fake heard the caller's clean 1 kHz tone through it" ||
    { echo "not ok - no clean caller audio at the fake"; failed=1; } ;;
hostile_tool)
  # The model asks for a tool with 100 kB of arguments: refused as too
  # large (tools/registry.h, TOOL_ARGS_MAX), told to the model, call goes on.
  python3 -c 'import json,sys
json.dump({"listen_ms": 800, "turns": [
  {"tool": {"name": "getDateAndTime", "args": {"pad": "x" * 100000}}},
  {"assistant": "ok"}]}, open(sys.argv[1], "w"))' "$WORK/script.json"
  e2e_fake_bedrock "$BEDROCK" --reply-wav "$WORK/reply.wav" --script "$WORK/script.json" ||
    fail "fake Bedrock did not start"
  e2e_gateway "$SIP" "$BEDROCK" "$ADMIN" || fail "the gateway did not start"
  J=$(python3 "$UA" --transport udp --port "$SIP" --plain --seconds 5 \
        --rtp-port "$(e2e_rtp_port)" --peer "$PEER" --peer-out "$WORK/tool.peer" \
        --peer-arg=--wav --peer-arg="$WORK/caller.wav" 2>"$WORK/ua-tool.err") ||
    fail "the UA failed: $(tail -n 3 "$WORK/ua-tool.err")"
  check "the call was answered and ended normally" "d['status'] == 200 and d['bye_status'] == 200"
  sleep 1
  J=$(cat "$(ls "$WORK"/stream-*.json | head -n 1)")
  check "the model got a 'too large' tool result instead of a call with 100 kB of arguments" \
    "len(d['tool_results']) >= 1 and 'too large' in d['tool_results'][0]['content']"
  J=$(peer_json tool)
  check "and the conversation went on: the caller heard the next reply" \
    "abs(d['dominant_hz'] - 660) < 25 and d['audible_seconds'] >= 1.0" ;;
secrets)
  # Distinctive secrets, used for real (signed Bedrock requests, a digest
  # registration, an SRTP call), then looked for everywhere we write.
  R=$(python3 -c 'import secrets; print(secrets.token_hex(6))')
  AKID="AKIDSECTEST${R^^}"
  SECRET="SecretKeySecTest/${R}+DoNotLogThis0123456789"
  TOKEN="SessionTokenSecTest${R}DoNotLogThisEither"
  PASSWORD="AuthPasswordSecTest${R}"
  CTOK="ContainerTokenSecTest${R}"
  printf '%s\n' "$SECRET" "$TOKEN" "$PASSWORD" "$AKID" "$CTOK" >"$WORK/secrets.txt"
  read -r REG <<<"$(e2e_ports 1)"
  # The test registrar (tests/sipp/registrar.xml) with our password.
  sed "s/password=\"s3cret\"/password=\"$PASSWORD\"/" "$SRC/tests/sipp/registrar.xml" \
    >"$WORK/registrar.xml"
  (cd "$WORK" && exec timeout 60 sipp -sf "$WORK/registrar.xml" -i 127.0.0.1 \
     -p "$REG" -m 1 -timeout 30 -nostdin >"$WORK/sipp-registrar.out" 2>&1) &
  E2E_PIDS+=($!)
  e2e_fake_bedrock "$BEDROCK" --reply-wav "$WORK/reply.wav" --akid "$AKID" --secret "$SECRET" ||
    fail "fake Bedrock did not start"
  SECENV=(AWS_ACCESS_KEY_ID="$AKID" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN"
          AWS_CONTAINER_AUTHORIZATION_TOKEN="$CTOK" SIP_SERVER="127.0.0.1:$REG" SIP_USER=gw
          AUTH_PASSWORD="$PASSWORD" SIP_KEEPALIVE_TIME=0 DISPLAY_NAME="Nova Gateway" SRTP_MODE=required
          SIP_TLS_LISTEN="127.0.0.1:$TLS" SIP_TLS_CERT="$PKI/test-server.pem"
          SIP_TLS_KEY="$PKI/test-server.key" SIP_TLS_CA="$PKI/test-ca.pem"
          CALL_RECORDS_DIR="$WORK/records" RECORD_CALLS=1 DEBUG_SIP=1 LOG_LEVEL=trace)
  mkdir -p "$WORK/records"
  e2e_gateway "$SIP" "$BEDROCK" "$ADMIN" "${SECENV[@]}" || fail "the gateway did not start"
  i=0
  until grep -q "registered (200" "$WORK/gateway.log"; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "not registered within 10 s"; sleep 0.1
  done
  grep -q "registration challenged" "$WORK/gateway.log" && ok "the digest challenge was answered" ||
    { echo "not ok - no challenge: AUTH_PASSWORD unused"; failed=1; }
  srtp_call AES_CM_128_HMAC_SHA1_80,AEAD_AES_128_GCM AEAD_AES_128_GCM 3 5
  J=$(cat "$(ls "$WORK"/stream-*.json | head -n 1)")
  check "the fake verified our signatures (the secret key was used)" \
    "d['signature']['request_ok'] and d['signature']['events_bad'] == 0"
  curl -s -m 5 "http://127.0.0.1:$ADMIN/metrics" >"$WORK/metrics.txt"
  for p in /healthz /readyz; do curl -s -m 5 "http://127.0.0.1:$ADMIN$p" >>"$WORK/admin.txt"; done
  env -i PATH="$PATH" "${SECENV[@]}" AWS_EC2_METADATA_DISABLED=true SIP_LISTEN="127.0.0.1:$SIP" \
    "$BUILD/gateway/nova-gateway" --check-config >"$WORK/check-config.txt" 2>&1
  grep -q "^AWS_SECRET_ACCESS_KEY=" "$WORK/check-config.txt" &&
    ok "--check-config printed the configuration" ||
    { echo "not ok - --check-config printed no AWS_SECRET_ACCESS_KEY line"; failed=1; }
  kill -TERM "$E2E_GW_PID"; wait "$E2E_GW_PID" 2>/dev/null
  grep -q "unregistered (200" "$WORK/gateway.log" || echo "# (no unregistration seen)"
  cat "$WORK/keys.txt" >>"$WORK/secrets.txt"
  files=("$WORK/gateway.log" "$WORK/metrics.txt" "$WORK/admin.txt" "$WORK/check-config.txt"
         "$WORK"/records/* "$WORK/fake-bedrock.log" "$WORK/ua-call.err")
  # count_leaks FILE...: how many (secret, piece) pairs appear in the files —
  # each whole secret and every 12-character piece of it (a truncated leak).
  count_leaks() {
    local sec piece found=0
    while read -r sec; do
      [ -n "$sec" ] || continue
      while read -r piece; do
        if grep -aqF -- "$piece" "$@" 2>/dev/null; then
          echo "not ok - a secret (...${piece: -4}) appears in: $(grep -alF -- "$piece" "$@" | tr '\n' ' ')" >&2
          found=$((found + 1))
        fi
      done <<<"$(python3 -c 'import sys; s=sys.argv[1]; print("\n".join({s} | {s[i:i+12] for i in range(len(s) - 11)}))' "$sec")"
    done <"$WORK/secrets.txt"
    echo $found
  }
  n=$(grep -c . "$WORK/secrets.txt")
  sz=$(cat "${files[@]}" 2>/dev/null | wc -c)
  leaks=$(count_leaks "${files[@]}")
  [ "$leaks" -eq 0 ] &&
    ok "none of $n secrets (nor any 12-character piece) in $sz bytes of logs, metrics, records and --check-config" ||
    failed=1
  # The check can fail: a log line with one secret cut short is caught.
  sed -n 3p "$WORK/secrets.txt" | cut -c 3-16 | sed 's/^/{"msg":"oops /; s/$/"}/' >"$WORK/control.log"
  [ "$(count_leaks "$WORK/control.log" 2>/dev/null)" -gt 0 ] &&
    ok "(control: a log line holding 14 characters of one secret is caught)" ||
    { echo "not ok - the leak check cannot see a leak"; failed=1; } ;;
*)
  echo "unknown case $CASE"; exit 2 ;;
esac

kill -TERM "$E2E_GW_PID" 2>/dev/null
wait "$E2E_GW_PID" 2>/dev/null
grep -q "runtime error\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$WORK/gateway.log" &&
  { echo "not ok - sanitizer report"; failed=1; }
[ $failed -eq 0 ] || fail "see above"
echo "PASS [$CASE]"

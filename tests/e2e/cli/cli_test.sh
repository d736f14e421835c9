#!/usr/bin/env bash
# The command line contract: --help, --version, --check-config (exit 2 naming the
# variable, secrets masked), the README's configuration table, clean exit on
# SIGTERM and SIGINT.
set -uo pipefail
bin=$1
readme=$2
failures=0
ok()   { echo "ok - $*"; }
nok()  { echo "not ok - $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }

# --version carries the git describe (or the project version outside git).
v=$("$bin" --version); rc=$?
check "--version exits 0" [ $rc -eq 0 ]
case "$v" in "nova-gateway "?*) ok "--version prints the name and version";; *) nok "--version prints the name: $v";; esac

# --help lists every variable of the table.
help=$("$bin" --help)
names=$("$bin" --config-markdown | sed -n 's/^| `\([A-Z0-9_]*\)`.*/\1/p')
count=0
for n in $names; do
  count=$((count + 1))
  grep -q "^  $n " <<<"$help" || nok "--help lists $n"
done
check "--help lists all $count variables (>= 60)" [ "$count" -ge 60 ]

# A bad value exits 2 and names the variable, the value and the expectation.
err=$(MEDIA_PORT_COUNT=abc "$bin" --check-config 2>&1 >/dev/null); rc=$?
check "bad MEDIA_PORT_COUNT exits 2" [ $rc -eq 2 ]
check "the message names MEDIA_PORT_COUNT=abc" grep -q "MEDIA_PORT_COUNT=abc: expected an integer" <<<"$err"

err=$(LOG_LEVEL=chatty SIP_LISTEN=nowhere "$bin" 2>&1); rc=$?
check "the daemon refuses to start on bad values (exit 2)" [ $rc -eq 2 ]
check "both bad values are reported" bash -c 'grep -q LOG_LEVEL=chatty <<<"$1" && grep -q SIP_LISTEN=nowhere <<<"$1"' _ "$err"

# --check-config prints the effective configuration with secrets masked.
out=$(AUTH_PASSWORD=s3cr3t-pw AWS_ACCESS_KEY_ID=AKIDCLITEST AWS_SECRET_ACCESS_KEY=cli-secret-key \
      AWS_SESSION_TOKEN=cli-token MAX_CALLS=42 "$bin" --check-config); rc=$?
check "--check-config exits 0 on a valid configuration" [ $rc -eq 0 ]
check "--check-config shows effective values" grep -q '^MAX_CALLS=42$' <<<"$out"
check "--check-config masks AUTH_PASSWORD" grep -q '^AUTH_PASSWORD=\*\*\*\*$' <<<"$out"
check "no secret appears in --check-config" bash -c '! grep -Eq "s3cr3t-pw|AKIDCLITEST|cli-secret-key|cli-token" <<<"$1"' _ "$out"

# The README's table is exactly what the binary generates (no drift).
start='<!-- config-table:start -->'
end='<!-- config-table:end -->'
table=$(sed -n "/$start/,/$end/p" "$readme" | sed '1d;$d')
gen=$("$bin" --config-markdown)
if [ "$table" == "$gen" ]; then ok "README configuration table matches --config-markdown"
else nok "README configuration table is stale: run scripts/gen-config-table"; diff <(echo "$gen") <(echo "$table") | head -20; fi

# Unknown arguments are usage errors.
"$bin" --frobnicate >/dev/null 2>&1; rc=$?
check "unknown argument exits 2" [ $rc -eq 2 ]

# SIGTERM and SIGINT stop the loop cleanly with status 0.
for sig in TERM INT; do
  port=$(python3 "$(dirname "$0")/../sip/freeports.py" 1)
  SIP_LISTEN=127.0.0.1:$port ADMIN_LISTEN= MEDIA_PORT_BASE=$((port / 2 * 2 + 2)) MEDIA_PORT_COUNT=4 \
    "$bin" >/dev/null 2>&1 &
  pid=$!
  sleep 0.5
  kill -s $sig $pid
  wait $pid; rc=$?
  check "SIG$sig exits 0" [ $rc -eq 0 ]
done

[ $failures -eq 0 ]

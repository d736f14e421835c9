#!/bin/sh
# Test PKI for the loopback TLS tests: a CA, a server certificate for
# "localhost" + 127.0.0.1 + ::1, and one for a wrong name ("wrong.example").
# EC P-256 keys: fast to generate on every fresh build directory.
set -eu
out=$1
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key test-ca.key
openssl req -new -x509 -key test-ca.key -out test-ca.pem -days 3650 \
  -subj "/CN=Nova Gateway Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() { # name cn san serial
  key "$1.key"
  openssl req -new -key "$1.key" -out "$tmp/$1.csr" -subj "/CN=$2"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA test-ca.pem -CAkey test-ca.key \
    -set_serial "$4" -days 3650 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}
leaf test-server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 2
leaf test-wrongname wrong.example "DNS:wrong.example" 3

#!/bin/sh
# The remote suite's TLS files, made with openssl on the host, into DIR:
# a CA and a rogue CA, a server certificate for pipc-b.test (serverAuth)
# and a client one of each CA (clientAuth), P-256, valid a day.
# Run by the ctest fixture tls.certs, which hands DIR to the suites as
# PIPC_TEST_TLS_DIR: a Windows build under Wine cannot start the host's
# openssl itself.  The same commands as make_certs() in test_remote.c.
#   tests/make-certs.sh DIR
set -e
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
rm -rf "$1"
mkdir -p "$1"
chmod 700 "$1"
cd "$1"
k() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=$1 -keyout $1.key -out $1.crt 2>/dev/null; }
k ca; k rogue
s() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$2 \
        -keyout $1.key -out $1.csr 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=%s\n' $2 $4 > $1.ext
  openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key -CAcreateserial -days 1 \
    -extfile $1.ext -out $1.crt 2>/dev/null; }
s server pipc-b.test ca serverAuth
s client pipc-a.test ca clientAuth
s rclient pipc-a.test rogue clientAuth
echo "tls files in $1"

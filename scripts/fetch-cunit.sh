#!/usr/bin/env bash
# Unpack Debian's CUnit source package into DIR (default build/_deps/cunit),
# for the MinGW build of the test suite.  apt-get source needs a deb-src
# entry: one is derived from the machine's own apt sources if none exists.
set -euo pipefail
dest=${1:-build/_deps/cunit}
if [ -f "$dest/CUnit/Sources/Framework/TestRun.c" ]; then
  echo "$dest"
  exit 0
fi
command -v dpkg-source >/dev/null || apt-get install -y dpkg-dev >&2
if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/pipc-deb-src.sources
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/pipc-deb-src.list
  else
    echo "fetch-cunit: no apt source to derive a deb-src entry from" >&2
    exit 1
  fi
  apt-get update >&2
fi
work=$(mktemp -d)
(cd "$work" && apt-get source --download-only cunit >&2 && dpkg-source -x --skip-patches cunit_*.dsc src >&2)
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$work/src" "$dest"
rm -rf "$work"
echo "$dest"

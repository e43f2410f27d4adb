#!/usr/bin/env bash
# Unpack Debian's CUnit source package into DIR (default build/_deps/cunit),
# for the MinGW build of the test suite.  apt-get source needs a deb-src
# entry: scripts/deb-src.sh derives one from the machine's apt sources.
set -euo pipefail
dest=${1:-build/_deps/cunit}
if [ -f "$dest/CUnit/Sources/Framework/TestRun.c" ]; then
  echo "$dest"
  exit 0
fi
deb_src_who=fetch-cunit
. "$(dirname "$0")/deb-src.sh"
work=$(mktemp -d)
(cd "$work" && apt-get source --download-only cunit >&2 && dpkg-source -x --skip-patches cunit_*.dsc src >&2)
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$work/src" "$dest"
rm -rf "$work"
echo "$dest"

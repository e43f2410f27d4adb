#!/usr/bin/env bash
# Install the Debian packages a pipc task needs, if any are missing.
#   scripts/deps.sh showcase | test
set -euo pipefail
case "${1:-test}" in
  showcase) pkgs="cmake ninja-build gcc g++ pkg-config libssl-dev libnng-dev libapr1-dev libboost-dev python3 tmux" ;;
  test) pkgs="cmake ninja-build gcc g++ clang libclang-rt-14-dev valgrind pkg-config python3-yaml libcunit1-dev libssl-dev libnng-dev openssl iproute2 gcc-mingw-w64-x86-64 wine wine64 dpkg-dev libapr1-dev libuv1-dev libboost-dev python3 tmux libgtk-3-dev xvfb xdotool" ;;
  *) echo "usage: $0 showcase|test" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "== installing:$missing"
  if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

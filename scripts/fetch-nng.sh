#!/usr/bin/env bash
# Cross-build nng with mbedTLS for Windows x64 (MinGW-w64, static) from
# Debian's source packages (mbedtls 2.28, nng 1.5.2) and install both into
# DIR (default build/_deps/nng-mingw), for the mingw-wine preset's remote
# names: its CMAKE_PREFIX_PATH points there.  Cached: exits at once when DIR
# already holds the installed nng CMake package.  Prints DIR.  A few
# minutes, once.  apt-get source needs a deb-src entry: scripts/deb-src.sh.
#   scripts/fetch-nng.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-build/_deps/nng-mingw}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -f "$dest/lib/cmake/nng/nng-config.cmake" ]; then
  echo "$dest"
  exit 0
fi
deb_src_who=fetch-nng
. "$root/scripts/deb-src.sh"
command -v x86_64-w64-mingw32-gcc >/dev/null || apt-get install -y gcc-mingw-w64-x86-64 >&2
toolchain=$root/cmake/mingw-w64-x86_64.cmake
jobs=${PIPC_FETCH_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" &&
  apt-get source --download-only mbedtls nng >&2 &&
  dpkg-source -x mbedtls_*.dsc mbedtls >&2 &&
  dpkg-source -x nng_*.dsc nng >&2)
common=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release
        -DCMAKE_INSTALL_PREFIX="$dest" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF)
nice -n 10 cmake -S "$work/mbedtls" -B "$work/mbedtls-build" "${common[@]}" \
  -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
  -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DMBEDTLS_FATAL_WARNINGS=OFF >&2
nice -n 10 cmake --build "$work/mbedtls-build" -j"$jobs" >&2
cmake --install "$work/mbedtls-build" >&2
# nng's FindmbedTLS searches MBEDTLS_ROOT_DIR, which the toolchain file's
# find root (the MinGW sysroot only) would re-root: name the files instead.
nice -n 10 cmake -S "$work/nng" -B "$work/nng-build" "${common[@]}" \
  -DNNG_ENABLE_TLS=ON -DNNG_TLS_ENGINE=mbed -DMBEDTLS_ROOT_DIR="$dest" \
  -DMBEDTLS_INCLUDE_DIR="$dest/include" -DMBEDTLS_TLS_LIBRARY="$dest/lib/libmbedtls.a" \
  -DMBEDTLS_X509_LIBRARY="$dest/lib/libmbedx509.a" -DMBEDTLS_CRYPTO_LIBRARY="$dest/lib/libmbedcrypto.a" \
  -DNNG_TESTS=OFF -DNNG_TOOLS=OFF -DNNG_ENABLE_NNGCAT=OFF >&2
nice -n 10 cmake --build "$work/nng-build" -j"$jobs" >&2
cmake --install "$work/nng-build" >&2
test -f "$dest/lib/cmake/nng/nng-config.cmake" || {
  echo "fetch-nng: nng built but its CMake package is not in $dest/lib/cmake/nng" >&2
  exit 1
}
echo "$dest"

#!/usr/bin/env bash
# Build and run the conformance suite on every configuration this machine
# can run: linux, posix-generic, mingw-wine (Windows under Wine), asan.
#   scripts/test-all.sh [PRESET...]
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(linux posix-generic mingw-wine asan)

for p in "${presets[@]}"; do
  if [ "$p" = mingw-wine ]; then
    scripts/fetch-cunit.sh build/_deps/cunit >/dev/null || exit 1
    export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    # The first start creates the prefix; let it finish completely (wineserver
    # -w) before tests run, then keep one wineserver up for all of them.
    if [ ! -d "${WINEPREFIX:-$HOME/.wine}" ]; then
      wineboot -i >/dev/null 2>&1 || true
      wineserver -w >/dev/null 2>&1 || true
    fi
    wineserver -p >/dev/null 2>&1 </dev/null || true
  fi
done

declare -A result
failed=0
for p in "${presets[@]}"; do
  echo
  echo "=================== $p ==================="
  if cmake --preset "$p" >"build-$p.log" 2>&1 && cmake --build --preset "$p" >>"build-$p.log" 2>&1; then
    rm -f "build-$p.log"
    if ctest --preset "$p"; then result[$p]=passed; else result[$p]=FAILED; failed=1; fi
  else
    cat "build-$p.log"; rm -f "build-$p.log"
    result[$p]="FAILED (build)"; failed=1
  fi
done

echo
echo "=================== summary ==================="
for p in "${presets[@]}"; do
  printf '%-15s %s\n' "$p" "${result[$p]}"
done
exit $failed

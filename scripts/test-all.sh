#!/usr/bin/env bash
# Build and run the conformance suite on every configuration this machine
# can run: linux, posix-generic, posix-darwin (macOS's API only, played on
# Linux: its file-lock mutex, os_sync parking and the fallback for older
# macOS), mingw-wine (Windows under Wine), asan, tsan; then valgrind
# memcheck over the linux suites, both libFuzzer
# targets (PIPC_FUZZ_SECONDS each, default 60) and the quick benchmark.
#   scripts/test-all.sh [PRESET...]     only those presets, nothing else
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
presets=("$@")
extras=0
[ ${#presets[@]} -gt 0 ] || { presets=(linux posix-generic posix-darwin mingw-wine asan tsan); extras=1; }
# (posix-flock - posix-generic with the file-lock mutex - is not in the
# default list: posix-darwin runs that mutex, with macOS's own parking.)

for p in "${presets[@]}"; do
  if [ "$p" = mingw-wine ]; then
    scripts/fetch-cunit.sh build/_deps/cunit >/dev/null || exit 1
    # nng + mbedTLS cross-built for the remote suites (minutes, once; cached)
    nice -n 10 scripts/fetch-nng.sh build/_deps/nng-mingw >/dev/null || exit 1
    export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    # Wine itself is started by the ctest fixture wine.start
    # (cmake/wine-start.cmake): prefix, one persistent wineserver, services.
  fi
done

# Skipped cases: each suite run ends with "skipped: N" (tests/main.c), and
# ctest keeps every test's output, passed or not, in Testing/Temporary/
# LastTest.log of the build - so the count needs no verbose ctest run.
skips_in() { cat "$@" 2>/dev/null | tr -d '\r' | awk '/^skipped: [0-9]+$/ {n += $2} END {print n + 0}'; }

# Each preset is configured and built in the background while the one
# before it runs its tests: the build at the lowest priority (nice 19), so
# the tests - some of which count on being scheduled - keep the CPUs they
# need; its output goes to build-PRESET.log, its status to build-PRESET.rc.
build_preset() {
  { cmake --preset "$1" && nice -n 19 cmake --build --preset "$1"; } >"build-$1.log" 2>&1
  echo $? >"build-$1.rc"
}

declare -A result skipped minutes builder
failed=0 total_passed=0 total_failed=0 total_skipped=0 total_ctest_skipped=0
set -o pipefail
build_preset "${presets[0]}" &
builder[${presets[0]}]=$!
for ((i = 0; i < ${#presets[@]}; i++)); do
  p=${presets[$i]}
  started=$(date +%s)
  wait "${builder[$p]}"
  if [ $((i + 1)) -lt ${#presets[@]} ]; then
    next=${presets[$((i + 1))]}
    build_preset "$next" &
    builder[$next]=$!
  fi
  echo
  echo "=================== $p ==================="
  if [ "$(cat "build-$p.rc" 2>/dev/null)" = 0 ]; then
    rm -f "build-$p.log" "build-$p.rc"
    if ctest --preset "$p" 2>&1 | tee "build/ctest-$p.log"; then
      result[$p]=passed
    else
      result[$p]=FAILED; failed=1
    fi
    # "NN% tests passed, F tests failed out of N"
    line=$(grep -E "tests failed out of" "build/ctest-$p.log" | tail -1)
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
    n=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
    # entries ctest ran but reports skipped (a suite every case of which
    # skipped: exit 77) are not passes
    k=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)' "build/ctest-$p.log")
    if [ -n "$line" ]; then
      total_failed=$((total_failed + f)); total_passed=$((total_passed + n - f - k))
      total_ctest_skipped=$((total_ctest_skipped + k))
    fi
    skipped[$p]=$(skips_in "build/$p/Testing/Temporary/LastTest.log")
    total_skipped=$((total_skipped + skipped[$p]))
  else
    cat "build-$p.log"; rm -f "build-$p.log" "build-$p.rc"
    result[$p]="FAILED (build)"; failed=1
  fi
  minutes[$p]=$(( ($(date +%s) - started + 30) / 60 ))
done

# valgrind memcheck: every suite of the linux build (the torture suite's
# worth is in its kills, run above), no error and no definite leak.
memcheck="not run" memcheck_skipped=0
if [ $extras = 1 ] && [ "${result[linux]:-}" = passed ]; then
  echo
  echo "=================== valgrind memcheck (linux) ==================="
  memcheck=passed
  for s in $(build/linux/tests/pipc-tests --list | cut -d/ -f1 | uniq); do
    [ "$s" = torture ] && continue
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
         build/linux/tests/pipc-tests --suite "$s" >"build/valgrind-$s.log" 2>&1; then
      echo "$s: no error, no definite leak"
      memcheck_skipped=$((memcheck_skipped + $(skips_in "build/valgrind-$s.log")))
    else
      grep -E "==[0-9]+==|FAIL|^    [0-9]+\. " "build/valgrind-$s.log" | head -40
      echo "$s: FAILED (build/valgrind-$s.log)"
      memcheck=FAILED; failed=1
    fi
  done
  # the interop binaries built here (APR, libuv, epoll: each only where found)
  for t in apr libuv epoll; do
    [ -x "build/linux/tests/pipc-$t-tests" ] || continue
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
         "build/linux/tests/pipc-$t-tests" >"build/valgrind-$t.log" 2>&1; then
      echo "$t: no error, no definite leak"
    else
      grep -E "==[0-9]+==|FAIL|^    [0-9]+\. " "build/valgrind-$t.log" | head -40
      echo "$t: FAILED (build/valgrind-$t.log)"
      memcheck=FAILED; failed=1
    fi
  done
fi

# The GitHub Actions matrix cannot run here: check its YAML and shape.
workflows="not run"
if [ $extras = 1 ]; then
  echo
  echo "=================== .github/workflows (syntax and shape) ==================="
  if /usr/bin/python3 scripts/check-workflows.py; then workflows=passed; else workflows=FAILED; failed=1; fi
fi

# The fuzzers, PIPC_FUZZ_SECONDS (default 60) each.
fuzz="not run"
if [ $extras = 1 ]; then
  echo
  echo "=================== libFuzzer (${PIPC_FUZZ_SECONDS:-60} s per target) ==================="
  if scripts/fuzz.sh "${PIPC_FUZZ_SECONDS:-60}"; then fuzz=passed; else fuzz=FAILED; failed=1; fi
fi

# The benchmark, quick: its numbers are printed, not asserted (timing goals
# live in bench/, never in tests).  PIPC_SKIP_BENCH=1 leaves it out.
bench="not run"
if [ $extras = 1 ] && [ "${PIPC_SKIP_BENCH:-0}" != 1 ]; then
  echo
  echo "=================== bench (--quick) ==================="
  if cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPC_BUILD_TESTS=OFF \
       -DPIPC_BUILD_EXAMPLES=OFF -DPIPC_BUILD_BENCH=ON >/dev/null &&
     cmake --build build/bench >/dev/null &&
     build/bench/bench/pipc-bench --quick --json build/bench/bench.json; then
    bench=ran
  else
    bench=FAILED
    failed=1
  fi
  # The Windows build of the same benchmark under Wine: informational (it
  # says so); its output goes through a file, never a pipe Wine could hold.
  if [ "${result[mingw-wine]:-}" = passed ]; then
    echo
    echo "=================== bench (--quick), Windows build under Wine ==================="
    wine_bin=$(command -v wine64 || echo /usr/lib/wine/wine64)
    if cmake -S . -B build/bench-wine -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake -DPIPC_BUILD_TESTS=OFF \
         -DPIPC_BUILD_EXAMPLES=OFF -DPIPC_BUILD_BENCH=ON >/dev/null &&
       cmake --build build/bench-wine >/dev/null &&
       "$wine_bin" build/bench-wine/bench/pipc-bench.exe --quick >build/bench-wine/bench.md 2>&1 </dev/null; then
      cat build/bench-wine/bench.md
    else
      cat build/bench-wine/bench.md 2>/dev/null
      bench="$bench; Windows build FAILED"
      failed=1
    fi
  fi
fi

echo
echo "=================== summary ==================="
for p in "${presets[@]}"; do
  if [ -n "${skipped[$p]:-}" ]; then
    printf '%-15s %s (%s cases skipped; %s min, its build waited for included)\n' "$p" "${result[$p]}" "${skipped[$p]}" "${minutes[$p]}"
  else
    printf '%-15s %s (%s min)\n' "$p" "${result[$p]}" "${minutes[$p]}"
  fi
done
if [ "$memcheck" = "not run" ]; then
  printf '%-15s %s\n' "valgrind" "$memcheck"
else
  printf '%-15s %s (%s cases skipped)\n' "valgrind" "$memcheck" "$memcheck_skipped"
fi
printf '%-15s %s\n' "workflows" "$workflows"
printf '%-15s %s\n' "fuzz" "$fuzz"
printf '%-15s %s\n' "bench --quick" "$bench"
echo "ctest cases over all configurations:"
echo "total: $total_passed passed, $total_failed failed, $total_ctest_skipped skipped"
echo "whole run: $(( (SECONDS + 30) / 60 )) min"
echo "test cases skipped over all configurations: $total_skipped (why: the suites' \"skipped:\" lines in build/PRESET/Testing/Temporary/LastTest.log)"
exit $failed

#!/usr/bin/env bash
# Build the libFuzzer targets (preset "fuzz") and run each one.
#   scripts/fuzz.sh [SECONDS]      default 60 s per target
# Seeds come from tests/fuzz/corpus_*; what the fuzzer learns goes to
# build/fuzz/corpus_* (the seeds are copied there first), crashes to
# build/fuzz/crash-*.  Run longer by hand, e.g. scripts/fuzz.sh 3600.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
cmake --preset fuzz >build-fuzz.log 2>&1 && cmake --build --preset fuzz >>build-fuzz.log 2>&1 ||
  { cat build-fuzz.log; rm -f build-fuzz.log; exit 1; }
rm -f build-fuzz.log
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in pipe_stream queue_region; do
  corpus="build/fuzz/corpus_$t"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus_$t/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz_$t: ${secs} s"
  if build/fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 -max_len=65536 \
       -artifact_prefix=build/fuzz/ -print_final_stats=1 "$corpus" >"build/fuzz/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build/fuzz/$t.log" | sed 's/^/   /'
    echo "   no crash, leak or timeout"
  else
    tail -40 "build/fuzz/$t.log"
    echo "   FAILED: see build/fuzz/$t.log and build/fuzz/crash-*"
    status=1
  fi
done
exit $status

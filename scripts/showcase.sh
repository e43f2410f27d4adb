#!/usr/bin/env bash
# Build pipc, run the C twins of the seed demos (each across processes), then
# the benchmark table: pipc against its peers in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh showcase
cmake -S . -B build/showcase -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPIPC_BUILD_TESTS=OFF -DPIPC_BUILD_EXAMPLES=ON -DPIPC_BUILD_BENCH=ON >/dev/null
cmake --build build/showcase >/dev/null

run() {
  echo
  echo "---- $1: $2"
  "build/showcase/examples/$1"
}
run seed000_two_windows "two windows: text sent by queue, a memory-mapped file and a pipe, each received by the other process"
echo
echo "---- seed000 again, as the seed shows it: two windows (tmux panes), keys typed into each"
tests/examples/seed000_tmux.sh build/showcase/examples/seed000_two_windows
run seed001_queue "Queue(2): a putter and a getter process; the getter stops at a timeout"
run seed001_pipe "Pipe: the parent sends 0..9 and closes; the child reads to the end of stream"
run seed002_value "multiprocessing.Value: two processes update one balance under a pipc Lock"
run seed002_array "multiprocessing.Array: a child changes shared memory, the parent sees it"
run seed002_semaphore "Semaphore(3): ten processes, never more than three at once"
run seed002_pipe "Pipe: app1 asks app2 for a login, app2 answers"
run seed003_queue "Queue: two writer processes, one reader, terminated when done"
run seed003_pipe "Pipe: proc_send sends ten urls, proc_recv prints them"
run seed004_queue "Queue: a child puts 'python' and ends; the parent gets it after join"
run seed004_pipe "Pipe: a child sends 'python' and ends; the parent receives it after join"
run_named() {
  echo
  echo "---- $1: $2"
  "build/showcase/examples/$1" selftest
}
run_named named_queue "unrelated programs, by name: a server takes queued messages until quit"
run_named named_pipe "unrelated programs, by name: a listener echoes each message upper-cased"
run_named named_shm "unrelated programs, by name: a board in shared memory, a Lock, a holder killed mid-update"
run_named named_sem "unrelated programs, by name: workers share a Semaphore's 2 slots"
echo
echo "All demos passed."
echo
echo "---- benchmark: pipc against its peers, in one run (--quick; full: build/showcase/bench/pipc-bench)"
build/showcase/bench/pipc-bench --quick

#!/usr/bin/env bash
# seed 000's two windows as a GTK 3 program, end to end under Xvfb: text is
# typed into the main window's text box and each send button clicked with
# xdotool (real X input events), each receive button of the child window
# clicked in turn, and what the child window shows read back from its
# standard output (it prints every line it adds to its text box).  Then a
# screenshot of both windows is saved, the child window closed (the main
# window must notice through the child's process handle) and the main
# window closed; a second run closes the main window first (the child must
# follow).  Every wait is a bounded loop on the programs' output.
#   seed000_gtk.sh PATH/TO/seed000_gtk SCREENSHOT.png
set -u
exe="$1"
shot="${2:-$PWD/seed000_gtk.png}"
for tool in Xvfb xdotool; do
  command -v $tool >/dev/null || { echo "$tool not installed"; exit 1; }
done
dir=$(mktemp -d)
xvfb_pid="" app_pid="" child_pid=""
cleanup() {
  local p
  for p in $app_pid $child_pid; do kill "$p" 2>/dev/null; done
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# an X server on a display it picks itself (-displayfd: never a clash with
# another run); the screen just holds the two windows side by side
Xvfb -displayfd 3 -screen 0 960x400x24 -nolisten tcp 3>"$dir/display" 2>"$dir/xvfb.log" &
xvfb_pid=$!
for i in $(seq 1 300); do
  [ -s "$dir/display" ] && break
  kill -0 $xvfb_pid 2>/dev/null || break
  sleep 0.1
done
[ -s "$dir/display" ] || { echo "Xvfb did not start:"; cat "$dir/xvfb.log"; exit 1; }
export DISPLAY=":$(head -n1 "$dir/display")"
export NO_AT_BRIDGE=1 GDK_BACKEND=x11

ok=0
out="" err=""
fail() { echo "--- FAILED: $*"; ok=1; }
show() {
  echo "--- what the windows printed:"; cat "$out"
  if [ -s "$err" ]; then echo "--- stderr:"; cat "$err"; fi
}
# wait until the programs printed exactly this line (-x) or a line holding
# this text (up to 30 s, or until the main window's process has ended)
wait_for() {
  local how="$1" i gone=0
  for i in $(seq 1 300); do
    grep -q$how -- "$2" "$out" && return 0
    [ $gone = 1 ] && break
    [ -n "$app_pid" ] && ! kill -0 $app_pid 2>/dev/null && gone=1 # one more look
    sleep 0.1
  done
  fail "never saw: $2"
  return 1
}
wait_line() { wait_for xF "$1"; }
wait_any() { wait_for F "$1"; }
# the centre of a widget, from the line "[... window] widget NAME at X Y size W H"
centre() {
  awk -v n="$1" '$3 == "widget" && $4 == n { print int($6 + $9 / 2), int($7 + $10 / 2); exit }' "$out"
}
click() {
  local xy
  xy=$(centre "$1")
  [ -n "$xy" ] || { fail "no position for widget $1"; return 1; }
  xdotool mousemove --sync $xy click 1
}
# replace the main window's text with $1
type_text() {
  click main.text || return 1
  xdotool key ctrl+a
  xdotool type --delay 5 -- "$1"
}
# start the two windows; wait until both show all their widgets
start() {
  out="$dir/out.$1" err="$dir/err.$1"
  : >"$out"
  PIPC_SEED000_GTK_TEST=1 PIPC_SEED000_GTK_SHOT="$shot" "$exe" "$dir" >"$out" 2>"$err" &
  app_pid=$!
  wait_any "widget main.quit " && wait_any "widget child.quit " || return 1
  child_pid=$(awk '$3 == "the" && $4 == "child" && $7 == "pid" { print $8; exit }' "$out")
}
# wait (up to 30 s) for the main window's process to end; its exit code
finish() {
  local i code
  for i in $(seq 1 300); do
    kill -0 $app_pid 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 $app_pid 2>/dev/null; then
    fail "the main window did not end"
    return 1
  fi
  wait $app_pid
  code=$?
  app_pid=""
  [ $code = 0 ] || fail "the main window exited with $code"
  if grep -E "CRITICAL|Gtk-WARNING|GLib-WARNING|GLib-GObject-WARNING" "$err" >/dev/null; then
    fail "GTK complained on stderr"
  fi
  # the queue is gone (POSIX: /dev/shm/pipc.NAME) and so is the mapped file
  local q
  q=$(awk '$3 == "queue" { print $4; exit }' "$out")
  if [ -n "$q" ] && [ -d /dev/shm ] && [ -e "/dev/shm/pipc.$q" ]; then fail "queue $q left behind"; fi
  [ -e "$dir/seed000.dat" ] && fail "seed000.dat left behind"
  return 0
}

# ---- run 1: every button, a screenshot, the child window closed first ----
rm -f "$shot"
if start 1; then
  n=$$
  type_text "hello by queue $n" && click main.send_queue
  wait_line "[main window] sent by queue: hello by queue $n"
  wait_line "[child window] queue: 1 waiting" # seen by the child's loop, through the handle
  click child.recv_queue
  wait_line "[child window] by queue: hello by queue $n"

  type_text "hello by memory $n" && click main.send_memory
  wait_line "[main window] written to memory: hello by memory $n"
  click child.recv_memory
  wait_line "[child window] from memory: hello by memory $n"

  type_text "hello by pipe $n" && click main.send_pipe
  wait_line "[main window] sent by pipe: hello by pipe $n"
  wait_line "[child window] pipe: 1 waiting"
  click child.recv_pipe
  wait_line "[child window] by pipe: hello by pipe $n"

  # a moment for the child window to paint its last line: the picture is
  # an artifact to look at, not something the test checks
  sleep 1
  kill -USR1 $app_pid
  wait_line "[main window] screenshot saved: $shot"

  click child.quit
  wait_line "[child window] quit"
  wait_line "[main window] the child window ended (exit 0)"
  child_pid=""
  click main.quit
  finish
  wait_line "[main window] quit"
fi
[ $ok = 0 ] || show
ok1=$ok

# ---- run 2: closing the main window ends the child ----
ok=0
if start 2; then
  click main.quit
  wait_any "[child window] the main window closed the "
  wait_line "[child window] quit"
  wait_line "[main window] the child window ended (exit 0)"
  finish
  child_pid=""
fi
[ $ok = 0 ] || show

if [ $ok1 = 0 ] && [ $ok = 0 ]; then
  echo "seed000 in GTK: every button did what it says; screenshot: $shot"
  exit 0
fi
echo "seed000 in GTK: FAILED"
exit 1

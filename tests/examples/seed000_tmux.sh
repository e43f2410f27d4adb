#!/usr/bin/env bash
# seed 000's two windows, end to end in tmux: the main window and the child
# window run in two panes; keys are typed with send-keys and what the child
# window shows is read back with capture-pane.
#   seed000_tmux.sh PATH/TO/seed000_two_windows
set -u
exe="$1"
command -v tmux >/dev/null || { echo "tmux not installed"; exit 1; }
sock="pipc-seed000-$$"
dir=$(mktemp -d)
t() { tmux -L "$sock" "$@"; }
cleanup() { t kill-server 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# the tag keeps this run's queue and pipe names apart from any other run's
t new-session -d -s demo -x 160 -y 40 "'$exe' main '$dir' tmux$$; sleep 30"
t split-window -t demo -v "sleep 0.5; '$exe' child '$dir' tmux$$; sleep 30"
main=demo.0 child=demo.1

# wait until a pane shows a text (up to 20 s)
wait_for() {
  local pane="$1" text="$2" i
  for i in $(seq 1 200); do
    t capture-pane -p -t "$pane" -S -200 | grep -qF -- "$text" && return 0
    sleep 0.1
  done
  echo "--- pane $pane never showed: $text"; t capture-pane -p -t "$pane" -S -200
  return 1
}
type_line() { t send-keys -t "$1" -l -- "$2"; t send-keys -t "$1" Enter; }

ok=0
wait_for $main "child connected" && wait_for $child "connected. Keys" || ok=1
type_line $main "hello by queue";  type_line $main q
wait_for $main "sent by queue: hello by queue" || ok=1
type_line $child r
wait_for $child "by queue: hello by queue" || ok=1
type_line $main "hello by memory"; type_line $main m
wait_for $main "written to memory: hello by memory" || ok=1
type_line $child M
wait_for $child "from memory: hello by memory" || ok=1
type_line $main "hello by pipe";   type_line $main p
wait_for $main "sent by pipe: hello by pipe" || ok=1
type_line $child P
wait_for $child "by pipe: hello by pipe" || ok=1
type_line $child x
type_line $main x
wait_for $child "[child window] quit" && wait_for $main "[main window] quit" || ok=1
echo "--- the child window:"
t capture-pane -p -t $child -S -200 | grep -F "[child window]"
[ $ok = 0 ] && echo "seed000 in tmux: every button did what it says" || echo "seed000 in tmux: FAILED"
exit $ok

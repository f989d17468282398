#!/usr/bin/env bash
# valgrind.sh DIR - runs every test program of the build in DIR, and a tour of the
# `micrograd` command (scripts and the prompt, drawing, plotting, training, saving,
# predicting), under valgrind's memcheck. Passes when no run reports an invalid access, an uninitialised value or a
# leak (definite or indirect) other than the reviewed ones in scripts/valgrind.supp.
# Forked children (graphviz's renderer) are checked too: each process writes its own log,
# and any log with something in it fails the run. Prints "skipped" and succeeds when
# valgrind is not installed (apt-get install valgrind).
set -u
dir=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
  echo "==== valgrind skipped: not installed (apt-get install valgrind)"
  exit 0
fi
logs=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30
    --suppressions="$root/scripts/valgrind.supp" --log-file="$logs/%p.log")
status=0

run() { # name command...
  local name=$1 t0=$SECONDS; shift
  if "${vg[@]}" "$@" >"$work/$name.out" 2>&1; then
    echo "  ok      $name ($((SECONDS - t0))s)"
  else
    echo "  FAILED  $name (exit $?)"; sed 's/^/    /' "$work/$name.out" | tail -20; status=1
  fi
}

# run_fails NAME COMMAND...: the same for a command that must fail with exit status 1.
run_fails() {
  local name=$1; shift
  "${vg[@]}" "$@" >"$work/$name.out" 2>&1
  local rc=$?
  if [ $rc = 1 ]; then
    echo "  ok      $name (exit 1, as it should)"
  else
    echo "  FAILED  $name (exit $rc, not 1)"; sed 's/^/    /' "$work/$name.out" | tail -20; status=1
  fi
}

# run_tty NAME FEED COMMAND...: the command on a pseudo-terminal (script(1)), valgrind inside
# it, with what FEED (a shell command) prints typed in. The prompt reads raw keys only
# while it waits: FEED pauses before each line, as a person would.
run_tty() {
  local name=$1 feed=$2; shift 2
  if ! command -v script >/dev/null 2>&1; then
    echo "  skipped $name (no script(1): apt-get install bsdutils)"; return
  fi
  if sh -c "$feed" | MICROGRAD_HISTORY="$work/history" timeout 120 \
       script -qec "$(printf '%q ' "${vg[@]}" "$@")" /dev/null >"$work/$name.out" 2>&1; then
    echo "  ok      $name"
  else
    echo "  FAILED  $name (exit $?)"; sed 's/^/    /' "$work/$name.out" | tail -20; status=1
  fi
}

# The test programs, as many at a time as there are cores; their lines in name order.
# test_oom fails every 7th allocation of its scenarios here, not each one (the sanitizer
# build fails each): it would take most of this run.
export MG_TEST_OOM_STRIDE=7
jobs=$(nproc 2>/dev/null || echo 2)
echo "==== valgrind: test programs ($jobs at a time)"
names=()
for t in "$dir"/tests/test_*; do
  [ -x "$t" ] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  name=$(basename "$t")
  names+=("$name")
  (run "$name" "$t" >"$work/$name.line"; echo "$status" >"$work/$name.status") &
done
wait
for name in "${names[@]}"; do
  cat "$work/$name.line"
  [ "$(cat "$work/$name.status")" = 0 ] || status=1
done

echo "==== valgrind: the command"
m="$dir/micrograd"
csv="$root/examples/data/iris.csv"
(cd "$work" && {
  run eval-svg "$m" eval -e 'a = 2.0
b = a * 3 + a.tanh()' --dot g.svg --formula
  run eval-png "$m" eval -e 'x = -3.0
y = (x * 2).relu() + x**2' --dot g.png --json
  run eval-python "$m" eval -e 'x = Value(3.0, label="x"); y = x**3; y.backward()' \
    -e 'print(f"{grad(y, x).data:.1f}", grad(grad(y, x), x), x.grad)' -e 'g = grad(y, x)' \
    --summary --dot gg.svg --formula
  printf 'a = Value(2.0)\nb = a*a\nprint(b)\n' >stdin.py
  run eval-stdin "$m" eval --json <stdin.py
  run_fails eval-error "$m" eval -e 'a = Value(1.0)' -e 'print(a)' -e 'print(a +* 2)'
  lines="sleep 3; for l in 'a = Value(2.0); b = a**3' 'grad(grad(b, a), a)' 'c = (a +' ' 1)' \
         'print(c, a.grad)' 'x +* 1' 'import math'; do printf '%s\r' \"\$l\"; sleep 1; done; \
         sleep 1; printf '\004'"
  run_tty eval-prompt "$lines" "$m" eval
  run_tty eval-prompt-plain "$lines" "$m" eval --no-edit
  run demo-moons "$m" demo moons --steps 5 --out pictures --graph moons.svg
  run demo-yinyang "$m" demo yinyang --steps 3
  run demo-neuron "$m" demo neuron --graph neuron.png --formula
  run train-csv "$m" train --data "$csv" --epochs 3 --val 0.2 --save iris.safetensors --plot tp --json
  run train-eager "$m" train --data moons --samples 60 --steps 5 --eager --check-numerics
  run train-checkpoint "$m" train --data spiral --samples 90 --steps 12 --checkpoint ck.safetensors --every 4
  run train-resume "$m" train --data spiral --samples 90 --steps 20 --resume ck.safetensors
  run predict "$m" predict --model iris.safetensors --data "$csv" --proba --out p.csv
  run info "$m" info --model iris.safetensors --formula
  run bad-model sh -c "! \"\$@\"" _ "$m" predict --model "$csv" --data "$csv"
  [ -f "$dir/playground/micrograd-playground.html" ] && run playground "$m" playground --out page.html
  [ -x "$dir/tests/pg_native" ] && run pg-native "$dir/tests/pg_native" layers=4,4 val=0.3 5,20
  tables="$root/tests/data/tables"
  run train-table "$m" train --data "$tables/wine_id.csv" --drop id --epochs 2 --save wine.safetensors
  run predict-keep "$m" predict --model wine.safetensors --data "$tables/wine_european.csv" --keep alcohol,hue --out w.csv
  run train-regress "$m" train --data "$tables/houses.csv" --epochs 2 --val 0.2 --save houses.safetensors --json
  run info-json "$m" info --model houses.safetensors --json
  run train-json-error sh -c "! \"\$@\"" _ "$m" train --data "$tables/houses.csv" --loss ce --json
})

bad=0
for f in "$logs"/*.log; do
  [ -s "$f" ] || continue
  bad=1; echo "==== valgrind report $f:"; head -60 "$f"
done
rm -rf "$logs"
if [ $status = 0 ] && [ $bad = 0 ]; then echo "==== valgrind passed"; exit 0; fi
echo "==== valgrind FAILED"; exit 1

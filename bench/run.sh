#!/usr/bin/env bash
# bench/run.sh - builds the benchmarks (Release) and runs W1-W4 against PyTorch on the same
# models, initial weights and data, then prints one table. Every program checks its
# results (compiled against eager gradients, PyTorch against ours) before it times them;
# a failed check fails the run. micrograd's W1-W3 run in float64 and again in float32
# (--dtype f32: float32 lanes, parameters and optimiser float64).
#
# PyTorch runs in its best configuration on this machine, found in the same run
# (bench/torch_bench.py): for each workload and dtype every candidate - torch threads x
# OpenBLAS threads, the system (pthread) OpenBLAS or the serial one when
# libopenblas0-serial is installed, OMP_WAIT_POLICY unset, passive or active - gets a
# short calibration run, and the fastest is timed; the table names the winner. bench/peak
# measures the machine's limits (FMA peak, the optimiser's and the tape's bandwidth), and
# the table gives each workload's limit and micrograd's time over it.
# Installs nothing: a missing PyTorch, OpenBLAS or Fashion-MNIST skips that column or row
# with a note (scripts/deps.sh bench installs them).
#
# Usage: bench/run.sh [--build DIR] [--epochs N] [--torch-epochs N] [--quick] [--no-torch]
#   --build DIR        build directory (default build-bench, configured with -DMG_NATIVE=ON)
#   --epochs N         W3 epochs of micrograd (default 15)
#   --torch-epochs N   W3 epochs of PyTorch per dtype (default 3: enough for a median)
#   --quick            W3 with 2 and 1 epochs, shorter calibrations, fewer repeats elsewhere
#   --no-torch         micrograd only
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-bench"
epochs=15
tepochs=3
repeats=5
steps=30
torch=1
quick=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --torch-epochs) tepochs=$2; shift 2 ;;
    --quick) epochs=2; tepochs=1; repeats=2; steps=10; quick=(--quick); shift ;;
    --no-torch) torch=0; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$epochs$tepochs" in *[!0-9]*|'') echo "bench/run.sh: epochs must be numbers" >&2; exit 2 ;; esac

py=/usr/bin/python3
notes=()
work=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results="$work/results"
: >"$results"
status=0

# ---- what is there ---------------------------------------------------------------------
if [ "$torch" = 1 ]; then
  if ! [ -x "$py" ] || ! "$py" -c 'import torch' 2>/dev/null; then
    torch=0
    notes+=("PyTorch column skipped: install python3-torch (Debian) to run the baselines")
  elif ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    notes+=("libopenblas0-pthread is not installed: PyTorch uses the reference BLAS (slow); install it for a fair baseline")
  fi
fi
fmdir=/usr/share/datasets/fashion-mnist
fashion=1
[ -e "$fmdir/train-images-idx3-ubyte.gz" ] || [ -e "$fmdir/train-images-idx3-ubyte" ] || {
  fashion=0
  notes+=("W3 skipped: install dataset-fashion-mnist (Fashion-MNIST IDX files in $fmdir)")
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- build -----------------------------------------------------------------------------
echo "== building the benchmarks in $build (Release, -march=native)" >&2
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DMG_NATIVE=ON \
    -DMG_BUILD_TESTS=OFF -DMG_BUILD_EXAMPLES=OFF -DMG_BUILD_BENCH=ON >/dev/null || exit 1
fi
cmake --build "$build" -j 2 --target bench_moons bench_wide bench_fashion bench_eager_values bench_peak >/dev/null ||
  { echo "bench/run.sh: build failed" >&2; exit 1; }
bin="$build/bench"

# run NAME CMD...: runs a program, keeps its RESULT, CONFIG and INFO lines, shows the rest
run() {
  local name=$1; shift
  echo "== $name" >&2
  local t0=$SECONDS
  "$@" >"$work/out" 2>&1
  local rc=$?
  grep -Ev '^(RESULT|CONFIG|INFO) ' "$work/out" >&2
  echo "   ($name: $((SECONDS - t0)) s)" >&2
  grep -E '^(RESULT|CONFIG|INFO) ' "$work/out" >>"$results"
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "bench/run.sh: $name FAILED (exit $rc)" >&2
    status=1
  fi
  return $rc
}

echo "== machine: $(nproc) cores, load average $load_start" >&2
mkdir -p "$work/w1" "$work/w2" "$work/w3"
run "W1 micrograd" "$bin/moons" --dump "$work/w1" --repeats "$repeats" || rm -rf "$work/w1"
run "W1 micrograd, float32" "$bin/moons" --repeats "$repeats" --dtype f32
run "W2 micrograd" "$bin/wide" --dump "$work/w2" --steps "$steps" || rm -rf "$work/w2"
run "W2 micrograd, float32" "$bin/wide" --steps "$steps" --dtype f32
if [ "$fashion" = 1 ]; then
  run "W3 micrograd" "$bin/fashion" --dump "$work/w3" --epochs "$epochs" --threads 2
  rc=$?
  [ $rc -eq 77 ] && notes+=("W3 skipped: the Fashion-MNIST files could not be read")
  [ $rc -eq 0 ] || rm -rf "$work/w3"
  [ $rc -eq 77 ] || run "W3 micrograd, float32" "$bin/fashion" --epochs "$epochs" --threads 2 --dtype f32
else
  rm -rf "$work/w3"
fi
run "W4 micrograd" "$bin/eager_values" >/dev/null
grep -E '^W4 eager' "$work/out" | awk '{
  for (i = 1; i <= NF; i++) {
    if ($(i + 1) == "ns/value") ns = $i
    if ($(i + 1) == "bytes/value") b = $i
    if ($(i + 1) == "values:") n = $i
  }
  printf "RESULT W4_%s_ns %s\nRESULT W4_%s_bytes %s\nRESULT W4_%s_values %s\n", $3, ns, $3, b, $3, n }' >>"$results"
# the machine's limits; the tape stream over the largest W4 tape
tape=$(awk '$1 == "RESULT" && $2 ~ /^W4_.*_values$/ { s = substr($2, 1, length($2) - 6); n[s] = $3 }
            $1 == "RESULT" && $2 ~ /^W4_.*_bytes$/ { s = substr($2, 1, length($2) - 5); b[s] = $3 }
            END { for (s in n) if (n[s] * b[s] > m) m = n[s] * b[s]; printf "%.0f", m }' "$results")
[ "${tape:-0}" -ge 1048576 ] 2>/dev/null || tape=34600000
run "machine limits (bench/peak)" "$bin/peak" "${quick[@]}" --tape-bytes "$tape"

if [ "$torch" = 1 ]; then
  targs=()
  [ -d "$work/w1" ] && targs+=(--w1 "$work/w1")
  [ -d "$work/w2" ] && targs+=(--w2 "$work/w2")
  if [ -d "$work/w3" ]; then
    te=$tepochs
    [ "$te" -gt "$epochs" ] && te=$epochs
    targs+=(--w3 "$work/w3" --fashion "$fmdir" --epochs "$te")
  fi
  [ ${#targs[@]} -gt 0 ] &&
    run "PyTorch: the candidate configurations, then the fastest timed" \
      "$py" "$here/torch_bench.py" "${targs[@]}" --repeats "$repeats" --steps "$steps" "${quick[@]}"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$results" "$bin/results.txt" 2>/dev/null

# ---- the table -------------------------------------------------------------------------
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
awk -v cpu="${cpu:-unknown CPU}" -v cores="$(nproc)" -v load0="$load_start" -v load1="$load_end" \
  -f "$here/table.awk" "$results"
for n in "${notes[@]}"; do echo "note: $n"; done
echo "bench/run.sh: $SECONDS s in all" >&2
exit $status

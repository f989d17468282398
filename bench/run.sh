#!/usr/bin/env bash
# bench/run.sh - builds the benchmarks (Release) and runs W1-W4 against PyTorch on the same
# models, initial weights and data, then prints one table. Every program checks its
# results (compiled against eager gradients, PyTorch against ours) before it times them;
# a failed check fails the run. Installs nothing: a missing PyTorch, OpenBLAS or
# Fashion-MNIST skips that column or row with a note.
#
# Usage: bench/run.sh [--build DIR] [--epochs N] [--torch-epochs N] [--quick] [--no-torch]
#   --build DIR        build directory (default build-bench, configured with -DMG_NATIVE=ON)
#   --epochs N         W3 epochs of micrograd (default 15)
#   --torch-epochs N   W3 epochs of PyTorch per dtype (default 3: enough for a median)
#   --quick            W3 with 2 and 1 epochs, fewer repeats elsewhere
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
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --torch-epochs) tepochs=$2; shift 2 ;;
    --quick) epochs=2; tepochs=1; repeats=2; steps=10; shift ;;
    --no-torch) torch=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
fmdir=/usr/share/datasets/fashion-mnist
fashion=1
[ -e "$fmdir/train-images-idx3-ubyte.gz" ] || [ -e "$fmdir/train-images-idx3-ubyte" ] || {
  fashion=0
  notes+=("W3 skipped: install dataset-fashion-mnist (Fashion-MNIST IDX files in $fmdir)")
}

# ---- build -----------------------------------------------------------------------------
echo "== building the benchmarks in $build (Release, -march=native)" >&2
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DMG_NATIVE=ON \
    -DMG_BUILD_TESTS=OFF -DMG_BUILD_EXAMPLES=OFF -DMG_BUILD_BENCH=ON >/dev/null || exit 1
fi
cmake --build "$build" -j 2 --target bench_moons bench_wide bench_fashion bench_eager_values >/dev/null ||
  { echo "bench/run.sh: build failed" >&2; exit 1; }
bin="$build/bench"

# run NAME CMD...: runs a program, keeps its RESULT lines, shows the rest
run() {
  local name=$1; shift
  echo "== $name" >&2
  "$@" >"$work/out" 2>&1
  local rc=$?
  grep -v '^RESULT ' "$work/out" >&2
  grep '^RESULT ' "$work/out" | sed 's/^RESULT //' >>"$results"
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "bench/run.sh: $name FAILED (exit $rc)" >&2
    status=1
  fi
  return $rc
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
mkdir -p "$work/w1" "$work/w2" "$work/w3"
run "W1 micrograd" "$bin/moons" --dump "$work/w1" --repeats "$repeats" &&
  [ "$torch" = 1 ] && run "W1 PyTorch" "$py" "$here/torch_moons.py" "$work/w1" "$repeats"
run "W2 micrograd" "$bin/wide" --dump "$work/w2" --steps "$steps" &&
  [ "$torch" = 1 ] && run "W2 PyTorch" "$py" "$here/torch_wide.py" "$work/w2" "$steps"
if [ "$fashion" = 1 ]; then
  run "W3 micrograd" "$bin/fashion" --dump "$work/w3" --epochs "$epochs" --threads 2
  rc=$?
  [ $rc -eq 77 ] && notes+=("W3 skipped: the Fashion-MNIST files could not be read")
  if [ $rc -eq 0 ] && [ "$torch" = 1 ]; then
    te=$tepochs
    [ "$te" -gt "$epochs" ] && te=$epochs
    run "W3 PyTorch float64" "$py" "$here/torch_fashion.py" "$work/w3" "$te" 2 float64 "$fmdir"
    run "W3 PyTorch float32" "$py" "$here/torch_fashion.py" "$work/w3" "$te" 2 float32 "$fmdir"
  fi
fi
run "W4 micrograd" "$bin/eager_values" >/dev/null
grep -E '^W4 eager' "$work/out" | awk '{
  for (i = 1; i <= NF; i++) {
    if ($(i + 1) == "ns/value") ns = $i
    if ($(i + 1) == "bytes/value") b = $i
  }
  printf "W4_%s_ns %s\nW4_%s_bytes %s\n", $3, ns, $3, b }' >>"$results"

# ---- the table -------------------------------------------------------------------------
awk -v torchv="$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)" \
    -v blas="$blas" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
function has(k) { return (k in r) }
function num(k, f) { return has(k) ? sprintf(f, r[k]) : "-" }
function ratio(t, o) { return (has(t) && has(o) && r[o] > 0) ? sprintf("%.1fx", r[t] / r[o]) : "-" }
function verdict(ok) { return ok ? "met" : "MISSED" }
{ r[$1] = $2 }
END {
  line = "-----------------------------------------------------------------------------------------------------------------"
  printf "\nmicrograd benchmarks (PyTorch %s, BLAS %s; load average at the end %s)\n%s\n", torchv, blas, load, line
  printf "%-40s %-18s %-24s %-9s %s\n", "workload", "micrograd", "PyTorch", "speedup", "target"
  print line
  printf "%-40s %-18s %-24s %-9s %s\n", "W1 moons step, eager, 1 thread", num("W1_eager_us", "%.1f us"),
    num("W1_torch_us", "%.1f us (f64)"), ratio("W1_torch_us", "W1_eager_us"),
    has("W1_torch_us") ? "no slower than PyTorch: " verdict(r["W1_eager_us"] <= r["W1_torch_us"]) : ""
  printf "%-40s %-18s %-24s %-9s %s\n", "W1 moons step, compiled, 1 thread", num("W1_compiled_us", "%.2f us"),
    num("W1_torch_us", "%.1f us (f64)"), ratio("W1_torch_us", "W1_compiled_us"),
    has("W1_torch_us") ? ">= 30x: " verdict(r["W1_torch_us"] >= 30 * r["W1_compiled_us"]) : ""
  for (t = 1; t <= 2; t++) {
    printf "%-40s %-18s %-24s %-9s %s\n", "W2 wide full-batch step, " t " thread" (t > 1 ? "s" : ""),
      num("W2_compiled_" t "t_ms", "%.3f ms"), num("W2_torch_f64_" t "t_ms", "%.3f ms (f64)"),
      ratio("W2_torch_f64_" t "t_ms", "W2_compiled_" t "t_ms"),
      (t == 2 && has("W2_torch_f64_2t_ms")) ? "no slower (f64, 2 threads): " verdict(r["W2_compiled_2t_ms"] <= r["W2_torch_f64_2t_ms"]) : ""
    printf "%-40s %-18s %-24s %-9s\n", "", "", num("W2_torch_f32_" t "t_ms", "%.3f ms (f32)"),
      ratio("W2_torch_f32_" t "t_ms", "W2_compiled_" t "t_ms")
  }
  if (has("W3_epoch_s")) {
    printf "%-40s %-18s %-24s %-9s %s\n", "W3 fashion epoch, batch 64, 2 threads", num("W3_epoch_s", "%.2f s (f64)"),
      num("W3_torch_f64_epoch_s", "%.2f s (f64)"), ratio("W3_torch_f64_epoch_s", "W3_epoch_s"),
      has("W3_torch_f64_epoch_s") ? "within 1.5x: " verdict(r["W3_epoch_s"] <= 1.5 * r["W3_torch_f64_epoch_s"]) : ""
    printf "%-40s %-18s %-24s %-9s\n", "", "", num("W3_torch_f32_epoch_s", "%.2f s (f32)"),
      ratio("W3_torch_f32_epoch_s", "W3_epoch_s")
    printf "%-40s %-18s %-24s %-9s %s\n", "W3 test accuracy (best; time to 88.3%)",
      sprintf("%.2f%%; %s", 100 * r["W3_best_acc"], r["W3_s_to_883"] >= 0 ? sprintf("%.0f s", r["W3_s_to_883"]) : "never"),
      has("W3_torch_f64_best_acc") ? sprintf("%.2f%% (f64, fewer epochs)", 100 * r["W3_torch_f64_best_acc"]) : "-", "",
      ">= 88.3% in < 300 s: " verdict(r["W3_s_to_883"] >= 0 && r["W3_s_to_883"] < 300)
  }
  for (i = 0; i < 2; i++) {
    s = i ? "mixed" : "mlp"
    if (has("W4_" s "_ns"))
      printf "%-40s %-18s %-24s %-9s %s\n", "W4 eager graph of 10^6 values (" s ")",
        sprintf("%.2f ns, %.1f B", r["W4_" s "_ns"], r["W4_" s "_bytes"]), "micrograd ~1600 ns, ~830 B", "",
        "< 10 ns and < 48 B: " verdict(r["W4_" s "_ns"] < 10 && r["W4_" s "_bytes"] < 48)
  }
  print line
  print "speedup = PyTorch time / micrograd time (higher is faster); times are medians; W4 per value, build + backward"
}' "$results"
for n in "${notes[@]}"; do echo "note: $n"; done
exit $status

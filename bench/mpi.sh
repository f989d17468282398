#!/usr/bin/env bash
# mpi.sh - W3 over MPI: Fashion-MNIST, MLP(784, [256, 128, 10]) ReLU, AdamW lr 0.001, one
# epoch of `micrograd train` (batches of 64, as W3; then of 256), in one process with 2
# threads against 2 ranks with 1 thread each (mpirun, shared memory), and 1 rank with 1
# thread for the compute a step costs. Checked first: the 2-rank model must equal the
# 1-process model byte for byte. Prints steps per second, and rank 0's exchanges per step
# (bytes sent, time in MPI calls: MICROGRAD_MPI_STATS), then the expected scaling on 4 and
# 16 machines from these numbers and a network of --gbits Gbit/s (default 10) with
# --latency-us microseconds (default 30) per exchange.
# Usage: bench/mpi.sh [--build DIR] [--epochs N] [--gbits G] [--latency-us L]
# Timings taken while other programs share the cores mean little: the load average is
# printed beside them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-bench"
epochs=1
gbits=10
lat=30
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --gbits) gbits=$2; shift 2 ;;
    --latency-us) lat=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/mpi.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -x "$build/micrograd" ] || "$root/scripts/build.sh" "$build" -DCMAKE_BUILD_TYPE=Release -DMG_NATIVE=ON >/dev/null || exit 1
m=$build/micrograd
"$m" --version | grep -q '^mpi: yes' || { echo "bench/mpi.sh: $m has no MPI (install libopenmpi-dev, rebuild)"; exit 1; }
command -v mpirun >/dev/null || { echo "bench/mpi.sh: no mpirun (apt-get install openmpi-bin)"; exit 1; }
[ -d /usr/share/datasets/fashion-mnist ] || { echo "bench/mpi.sh: W3 needs dataset-fashion-mnist"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
work=$(mktemp -d "${TMPDIR:-/tmp}/mg-mpi.XXXXXX")
trap 'rm -rf "$work"' EXIT

w3="--data fashion-mnist --layers 256,128 --lr 0.001 --epochs $epochs --max-test 1 -q --json"
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$2"; }

# run NAME BATCH RANKS THREADS: the JSON in NAME.json, rank 0's MPI line in NAME.err
run() {
  local name=$1 batch=$2 ranks=$3 threads=$4
  if [ "$ranks" = 0 ]; then
    "$m" train $w3 --batch "$batch" --threads "$threads" --save "$work/$name.safetensors" \
      >"$work/$name.json" 2>"$work/$name.err"
  else
    MICROGRAD_MPI_STATS=1 mpirun -np "$ranks" --bind-to core "$m" train $w3 --batch "$batch" \
      --threads "$threads" --save "$work/$name.safetensors" >"$work/$name.json" 2>"$work/$name.err"
  fi || { echo "bench/mpi.sh: $name failed:"; cat "$work/$name.err"; exit 1; }
}

echo "W3 over MPI: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$m" --version | sed -n 's/^mpi: //p')"
printf '%-8s %-16s %8s %10s %14s %14s %12s\n' batch config steps "steps/s" "bytes/step" "MPI ms/step" "exch/step"
for batch in 64 256; do
  run b$batch-1x1 $batch 0 1
  run b$batch-1x2 $batch 0 2
  run b$batch-2x1 $batch 2 1
  for c in 1x2 2x1; do
    cmp -s "$work/b$batch-1x1.safetensors" "$work/b$batch-$c.safetensors" ||
      { echo "bench/mpi.sh: batch $batch, $c: the model differs from one process's"; exit 1; }
  done
  for c in 1x1 1x2 2x1; do
    f=$work/b$batch-$c
    steps=$(field steps "$f.json") s=$(field seconds "$f.json")
    line=$(grep '^mpi:' "$f.err")
    bytes=$(echo "$line" | sed -n 's/.*a step, \([0-9]*\) bytes.*/\1/p')
    ms=$(echo "$line" | sed -n 's/.*rank 0 a step, \([0-9.]*\) ms.*/\1/p')
    ex=$(echo "$line" | sed -n 's/.*steps, \([0-9.]*\) exchanges.*/\1/p')
    printf '%-8s %-16s %8s %10.1f %14s %14s %12s\n' "$batch" "$c (ranks x thr)" "$steps" \
      "$(echo "$steps / $s" | bc -l)" "${bytes:--}" "${ms:--}" "${ex:--}"
    eval "sps_${batch}_${c/x/_}=\$(echo \"\$steps / \$s\" | bc -l)"
    [ "$c" = 2x1 ] && eval "bytes_$batch=$bytes ms_$batch=$ms"
  done
done
echo "(the 2-rank models equal the 1-process models byte for byte; each rank reads the data"
echo " itself; MPI ms/step is rank 0's time inside MPI_Allgatherv, waiting for rank 1 included)"

# On paper: a step on N machines = its chunked compute (1 thread's step, less the part
# every rank repeats) / min(N, chunks) + what every rank repeats (AdamW over the 235146
# parameters, the uniform part) + the exchange: each rank receives the other ranks'
# chunk sums, (chunks - chunks/N) x the gradient's bytes, at the network's bandwidth,
# plus a latency per exchange. The replicated part is estimated from the 1- and 2-rank
# runs here: t2 = r + c/2 + comm2 and t1 = r + c.
echo
echo "On paper, W3 on N machines ($gbits Gbit/s, ${lat} us an exchange; 1 rank x 1 thread each):"
printf '%-6s %-7s %10s %12s %12s %10s\n' batch N chunks "compute ms" "network ms" "steps/s"
for batch in 64 256; do
  eval "t1=\$(echo \"1000 / \$sps_${batch}_1_1\" | bc -l) t2=\$(echo \"1000 / \$sps_${batch}_2_1\" | bc -l)"
  eval "ms2=\$ms_$batch bytes2=\$bytes_$batch"
  chunks=$((batch / 32)); [ $chunks -gt 8 ] && chunks=8
  # c: the chunked compute, r: the replicated rest (t2 - ms2 is rank 0's step without MPI)
  c=$(echo "2 * ($t1 - ($t2 - $ms2))" | bc -l)
  if [ "$(echo "$c < 0" | bc -l)" = 1 ]; then c=0; fi
  r=$(echo "$t1 - $c" | bc -l)
  grad=$(echo "$bytes2 * 2 / $chunks" | bc -l) # one chunk's bytes (rank 0 sends chunks/2)
  for n in 1 2 4 16; do
    busy=$n; [ $busy -gt $chunks ] && busy=$chunks
    mine=$((chunks / busy))
    net=0
    [ $n -gt 1 ] && net=$(echo "($chunks - $mine) * $grad * 8 / ($gbits * 1000000) + 5 * $lat / 1000" | bc -l)
    comp=$(echo "$r + $c / $busy" | bc -l)
    printf '%-6s %-7s %10s %12.2f %12.2f %10.1f\n' "$batch" "$n" "$chunks" "$comp" "$net" \
      "$(echo "1000 / ($comp + $net)" | bc -l)"
  done
done
echo "(a batch has at most 8 chunks: past 8 machines the others wait; batch 64 has 2)"

#!/bin/sh
# run.sh MICROGRAD WORKDIR [sanitize] - data-parallel training over MPI (mpirun -np N
# micrograd train): the model saved after 2 and 3 ranks (and 1 under mpirun) is compared
# byte for byte (cmp) with the single-process one, on moons, a CSV table and a slice of
# Fashion-MNIST (when dataset-fashion-mnist is installed); a rank given a different file
# is refused with the message; a 2-rank run stopped by SIGTERM (on one rank) resumes to
# the bytes of the run never stopped. Loopback only (shared memory). Skipped (exit 77,
# "SKIPPED: reason") when the build has no MPI or mpirun is missing.
# With "sanitize" (the AddressSanitizer build) the ranks run with tests/mpi/lsan.supp,
# which suppresses leaks inside Open MPI's own libraries only, and the CSV tables' cases
# and the single rank under mpirun are left to the normal build.
set -u
m=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; status=1; }
status=0

"$m" --version | grep -q '^mpi: yes' || skip "this build has no MPI (install libopenmpi-dev and rebuild)"
command -v mpirun >/dev/null 2>&1 || skip "mpirun not found (apt-get install openmpi-bin)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # root in containers and CI
export OMPI_MCA_btl=self,vader              # shared memory: no network
export OMPI_MCA_rmaps_base_oversubscribe=1  # 3 ranks on 2 cores
export OMPI_MCA_hwloc_base_binding_policy=none
xenv=""
ranks="1 2 3"
full=1
if [ "${3:-}" = sanitize ]; then
  # What the sanitizers look at is the same code whatever the table: here 2 and 3 ranks on
  # moons (both batch sizes, --check-numerics) and Fashion-MNIST, and the error and signal
  # cases; the CSV tables' cases run in the normal build (each run takes seconds here).
  ranks="2 3"
  full=0
  export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
  # Open MPI's and PMIx's components stay loaded, and stacks are unwound without frame
  # pointers (Debian builds Open MPI without them), so each leak is named by its library
  export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
  xenv="-x LSAN_OPTIONS -x ASAN_OPTIONS"
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
mpi() { mpirun $xenv -np "$@"; }

# same NAME ARGS...: one process, then 1, 2 and 3 ranks; every model byte for byte the same
same() {
  name=$1; shift
  "$m" train "$@" -q --save "$name.one.safetensors" || { fail "$name: one process failed"; return; }
  for n in $ranks; do
    if ! mpi $n "$m" train "$@" -q --threads 1 --save "$name.$n.safetensors" >"$name.$n.log" 2>&1; then
      fail "$name: $n ranks failed:"; cat "$name.$n.log"; continue
    fi
    if cmp "$name.one.safetensors" "$name.$n.safetensors"; then echo "ok: $name: $n ranks, the same bytes"
    else fail "$name: $n ranks saved a different model"; fi
  done
}

same moons --data moons --samples 600 --batch 256 --steps 40 --val 0.2
same moons-small-batch --data moons --samples 300 --batch 40 --steps 30
same moons-check-numerics --data moons --samples 300 --batch 128 --steps 20 --check-numerics
if [ $full = 1 ]; then
  same digits --data "$root/tests/data/tables/digits_numbered.csv" --batch 200 --steps 30 --val 0.2
  same houses-f32 --data "$root/tests/data/tables/houses.csv" --batch 64 --steps 30 --dtype f32
else
  echo "note: sanitizer build: the CSV tables' cases (digits, houses in float32) run in the normal build"
fi
if [ -d /usr/share/datasets/fashion-mnist ] || [ -n "${MG_FASHION_MNIST:-}" ]; then
  fm=${MG_FASHION_MNIST:+fashion-mnist:$MG_FASHION_MNIST}
  same fashion --data "${fm:-fashion-mnist}" --max-train 2000 --max-test 200 --layers 32,16 \
    --batch 128 --lr 0.001 --steps 200
else
  echo "note: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): its case not run"
fi

# a rank that reads another file (other rows) is refused, with the message, before training
"$m" data moons --seed 1 --out a.csv 2>/dev/null && "$m" data moons --seed 2 --out b.csv 2>/dev/null || fail "data moons failed"
mpirun $xenv -np 1 "$m" train --data a.csv -q : -np 1 "$m" train --data b.csv -q >refused.log 2>&1
rc=$?
if [ $rc = 0 ]; then fail "ranks with different files trained (exit 0)"
elif grep -q "rank 1's data differ from rank 0's" refused.log; then echo "ok: different files refused (exit $rc)"
else fail "different files: no message"; cat refused.log; fi

# a rank that cannot read its file stops every rank with rank 0's message
mpirun $xenv -np 1 "$m" train --data moons -q : -np 1 "$m" train --data "$work/none.csv" -q \
  >missing.log 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "rank 1: .*none.csv" missing.log; then echo "ok: a missing file on rank 1 stops all (exit $rc)"
else fail "missing file on rank 1: exit $rc"; cat missing.log; fi

# stopped by SIGTERM on one rank after a checkpoint, resumed: the bytes of a run never stopped
# (the run must outlast the signal, sent once the first checkpoint is written at step 25;
# the sanitizer build is some 10 times slower, so 600 steps are as long there)
steps=3000
[ $full = 1 ] || steps=600
a="--data moons --samples 2000 --layers 32,32 --batch 256 --steps $steps --threads 1"
"$m" train $a -q --save full.safetensors || fail "the uninterrupted run failed"
mpirun $xenv -np 2 "$m" train $a -q --checkpoint ck.safetensors --every 25 \
  --save stopped.safetensors >stop.log 2>&1 &
pid=$! # mpirun itself (its children are the ranks)
i=0
while [ ! -s ck.safetensors ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$(pgrep -P $pid | tail -1)" 2>/dev/null
wait $pid
rc=$?
if [ $rc != 130 ] || ! grep -q "stopped by SIGTERM" stop.log; then
  fail "the signalled run: exit $rc, not 130 with a message (it must take longer than the signal)"; cat stop.log
else
  echo "ok: SIGTERM on rank 1: all stopped, exit 130: $(grep -o 'after step [0-9]* of [0-9]*' stop.log)"
  if mpi 2 "$m" train $a -q --resume ck.safetensors --save resumed.safetensors >resume.log 2>&1 &&
     cmp full.safetensors resumed.safetensors; then echo "ok: resumed on 2 ranks, the same bytes"
  else fail "the resumed run differs or failed"; cat resume.log; fi
fi
exit $status

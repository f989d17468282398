#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer harnesses (fuzz/fuzz_*.c) in build-fuzz with clang and
# runs each for a while on a copy of its seed corpus.
# Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
#   SECONDS_PER_HARNESS  how long each harness runs (default 12: all four in about a minute)
#   HARNESS              script, csv, idx, model (default: all of fuzz/fuzz_*.c)
# New inputs go to build-fuzz/corpus-NAME (kept between runs, never into the repo); crash,
# leak, timeout and out-of-memory inputs to build-fuzz/artifacts-NAME/. Prints each
# harness's executions; exits 1 when any harness fails, 0 (with "fuzzing skipped") when
# clang or its libFuzzer runtime is missing.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
secs=12
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
if [ "$secs" -lt 1 ]; then echo "fuzz.sh: SECONDS_PER_HARNESS must be at least 1" >&2; exit 2; fi

# ---- what is needed ---------------------------------------------------------------------
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz.sh: clang is not installed (apt-get install clang libclang-rt-14-dev)"
  echo "fuzzing skipped"; exit 0
fi
probe=$(mktemp -d)
tmp=
trap 'rm -rf "$probe" ${tmp:+"$tmp"}' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz.sh: clang has no libFuzzer/sanitizer runtime (apt-get install libclang-rt-14-dev, or libclang-rt-dev for the default clang)"
  echo "fuzzing skipped"; exit 0
fi
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  echo "fuzz.sh: $build was configured with another compiler; remove it and run again" >&2
  exit 1
fi

# ---- build --------------------------------------------------------------------------------
echo "==== building the fuzz harnesses ($build)"
# Only the harnesses are built (not the library's other targets, nor the playground's
# WebAssembly, which nothing here runs).
harnesses=()
for src in "$root"/fuzz/fuzz_*.c; do harnesses+=("$(basename "$src" .c)"); done
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
if ! CC=clang cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMG_FUZZ=ON \
       -DMG_BUILD_TESTS=OFF -DMG_BUILD_EXAMPLES=OFF -DMG_BUILD_BENCH=OFF -DMG_PLAYGROUND=OFF >/dev/null ||
   ! cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]}"; then
  echo "==== fuzz build FAILED"; exit 1
fi

if [ $# -eq 0 ]; then
  set --
  for src in "$root"/fuzz/fuzz_*.c; do n=$(basename "$src" .c); set -- "$@" "${n#fuzz_}"; done
fi

# ---- run ----------------------------------------------------------------------------------
nice_cmd=()
command -v nice >/dev/null 2>&1 && nice_cmd=(nice -n 10)
status=0
for name in "$@"; do
  name=${name#fuzz_}
  bin="$build/fuzz/fuzz_$name"
  if [ ! -x "$bin" ]; then
    echo "==== $name: no harness $bin (known: $(cd "$root/fuzz" && ls fuzz_*.c | sed 's/fuzz_//; s/\.c$//' | tr '\n' ' '))"
    status=1; continue
  fi
  corpus="$build/corpus-$name" artifacts="$build/artifacts-$name" log="$build/fuzz-$name.log"
  mkdir -p "$corpus" "$artifacts"
  # The seeds are copied in, so the fuzzer never writes into the repository.
  if [ -d "$root/fuzz/corpus/$name" ]; then cp -p "$root/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null; fi
  dict=()
  [ -f "$root/fuzz/$name.dict" ] && dict=(-dict="$root/fuzz/$name.dict")
  # The harnesses' temporary files, in RAM when possible (a loader reads a real file per
  # input); a crash skips their own cleanup, so the directory is removed here.
  tmp=$(mktemp -d /dev/shm/mg-fuzz-run.XXXXXX 2>/dev/null || mktemp -d "$build/tmp.XXXXXX")
  echo "==== $name: ${secs}s (log $log)"
  MG_FUZZ_TMP="$tmp" "${nice_cmd[@]}" "$bin" "$corpus" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  rm -rf "$tmp"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -n 's/.*\(cov: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2/p')
  if [ $rc -eq 0 ]; then
    echo "==== $name: ok, ${execs:-?} executions in ${secs}s (${cov:-no stats})"
  else
    echo "==== $name: FAILED (exit $rc) after ${execs:-?} executions"
    grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error|fuzz: .*check failed|SUMMARY' "$log" | head -5
    grep -E 'Test unit written to|written to' "$log" | sed 's/^.*written to /crash file: /'
    echo "     reproduce: $bin CRASH_FILE"
    status=1
  fi
done
if [ $status = 0 ]; then echo "FUZZING PASSED"; else echo "FUZZING FAILED"; fi
exit $status

#!/usr/bin/env bash
# test.sh - builds and runs the whole test suite: the normal build, the sanitizer build
# (AddressSanitizer + UndefinedBehaviorSanitizer) and a clang build, all with -Werror;
# valgrind over the tests and the command; a short fuzz run; an install check; the command
# built without the playground. Tests that could not run (the playground's without Node,
# Chromium or the WebAssembly toolchain; the browser tests without chromium,
# chromium-driver or python3-selenium, which deps.sh test installs as root) are listed as
# SKIPPED with the reason, never counted as passed. Exits non-zero when any build or test
# fails.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test || exit 1
status=0
jobs=$(nproc 2>/dev/null || echo 2)

# Each phase's wall time, printed as it ends and again at the end, to keep the whole run
# within its budget (about 15 minutes on two cores).
times=""
t=$SECONDS
took() { # phase
  local dt=$((SECONDS - t))
  echo "==== ($1: ${dt}s)"
  times="$times $1=${dt}s"
  t=$SECONDS
}

# Names the tests CTest skipped in the last run in $1 (exit 77: something they need is
# missing; a unit-test program exits 77 when any of its tests skipped) and why, so that a
# skip is never read as a pass.
report_skips() { # dir
  local skipped
  skipped=$(sed -n '/The following tests did not run:/,/^$/p' "$1/ctest.log" | grep -o '[0-9]* - [^ ]*' |
            sed 's/^[0-9]* - //' | tr '\n' ' ')
  [ -n "$skipped" ] || return 0
  echo "==== SKIPPED (not run, not passed): $skipped"
  grep -hi '^skipped:' "$1/Testing/Temporary/LastTest.log" 2>/dev/null | sort -u | sed 's/^/     /'
}

# The browser tests open the same page and WebAssembly whichever compiler built the
# command: they run in the normal suite, and the others leave them out (exclude=...).
browser_tests='^(browser_page|playground_browser)$'

run_suite() { # name dir cmake-options...   (exclude=REGEX: tests left out, said so)
  local name=$1 dir=$2; shift 2
  echo "==== $name build ($dir)"
  if ! "$root/scripts/build.sh" "$dir" -DMG_WERROR=ON "$@"; then
    echo "==== $name build FAILED"; status=1; return
  fi
  local ex=()
  if [ -n "${exclude:-}" ]; then
    ex=(-E "$exclude")
    echo "==== $name suite leaves out $exclude (they ran in the normal suite)"
  fi
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${ex[@]}") 2>&1 | tee "$dir/ctest.log"
  if [ "${PIPESTATUS[0]}" != 0 ]; then
    echo "==== $name tests FAILED"; status=1; report_skips "$dir"; return
  fi
  echo "==== $name tests passed"
  report_skips "$dir"
}

run_suite normal "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The browser test (the backprop page in headless Chromium) skips itself, shown by CTest
# as not run, when Chromium, its driver or selenium is missing: say so plainly.
if [ -f "$root/build-test/browser/skipped.txt" ]; then
  echo "==== browser test SKIPPED (not passed): $(cat "$root/build-test/browser/skipped.txt")"
else
  echo "==== browser test ran (the backprop page in headless Chromium)"
fi
took normal
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  exclude=$browser_tests run_suite sanitizer "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DMG_SANITIZE=ON -DMG_BUILD_BENCH=OFF
took sanitizer
if command -v clang >/dev/null 2>&1; then
  CC=clang exclude=$browser_tests run_suite clang "$root/build-clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMG_BUILD_BENCH=OFF
else
  echo "==== clang build skipped: clang not installed (apt-get install clang)"
fi
took clang

# Memcheck over the normal build's test programs and a tour of the command.
if ! "$root/scripts/valgrind.sh" "$root/build-test"; then status=1; fi
took valgrind

# A short fuzz run of every parser and loader (about 12 s each; scripts/fuzz.sh SECONDS
# for longer runs).
echo "==== fuzz (short run)"
if ! "$root/scripts/fuzz.sh" 12; then status=1; fi
took fuzz

# The installed library, header, micrograd.pc and CMake package are enough to build a
# program: examples/predict.c against a fresh, moved prefix, with pkg-config alone and with
# find_package(micrograd), predicting what the installed command predicts.
echo "==== install check"
if "$root/scripts/install_check.sh" "$root/build-test"; then
  echo "==== install check passed"
else
  echo "==== install check FAILED"; status=1
fi
took install

# The command built without the playground says so and how to get it (exit 1): a sysroot
# that does not exist hides wasi-libc, as on a machine without the toolchain.
echo "==== without the playground (build-noplay)"
noplay="$root/build-noplay"
if cmake -S "$root" -B "$noplay" -DMG_WERROR=ON -DMG_BUILD_BENCH=OFF -DMG_BUILD_EXAMPLES=OFF \
         -DMG_WASI_SYSROOT=/nonexistent 2>&1 | grep 'micrograd: the playground switched off' \
   && cmake --build "$noplay" -j "$jobs" --target micrograd test_playground_cli pg_native >/dev/null \
   && (cd "$noplay" && ctest -R playground --output-on-failure) 2>&1 | tee "$noplay/ctest.log" \
   && [ "${PIPESTATUS[0]}" = 0 ]; then
  echo "==== without the playground: passed"
  report_skips "$noplay"
else
  echo "==== without the playground FAILED"; status=1
fi

took noplay
echo "==== times:$times (total $((SECONDS))s)"
if [ $status = 0 ]; then echo "ALL TEST SUITES PASSED"; else echo "SOME TEST SUITES FAILED"; fi
exit $status

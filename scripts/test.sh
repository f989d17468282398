#!/usr/bin/env bash
# test.sh - builds and runs the whole test suite: the normal build, the sanitizer build
# (AddressSanitizer + UndefinedBehaviorSanitizer) and a clang build, all with -Werror;
# valgrind over the tests and the command; a short fuzz run; an install check. The
# browser test needs chromium, chromium-driver and python3-selenium, which deps.sh test
# installs as root; without them it is skipped and this script says so.
# Exits non-zero when any build or test fails.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test || exit 1
status=0
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() { # name dir cmake-options...
  local name=$1 dir=$2; shift 2
  echo "==== $name build ($dir)"
  if ! "$root/scripts/build.sh" "$dir" -DMG_WERROR=ON "$@"; then
    echo "==== $name build FAILED"; status=1; return
  fi
  if ! (cd "$dir" && ctest --output-on-failure -j "$jobs"); then
    echo "==== $name tests FAILED"; status=1; return
  fi
  echo "==== $name tests passed"
}

run_suite normal "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The browser test (the backprop page in headless Chromium) skips itself, shown by CTest
# as not run, when Chromium, its driver or selenium is missing: say so plainly.
if [ -f "$root/build-test/browser/skipped.txt" ]; then
  echo "==== browser test SKIPPED (not passed): $(cat "$root/build-test/browser/skipped.txt")"
else
  echo "==== browser test ran (the backprop page in headless Chromium)"
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitizer "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DMG_SANITIZE=ON -DMG_BUILD_BENCH=OFF
if command -v clang >/dev/null 2>&1; then
  CC=clang run_suite clang "$root/build-clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMG_BUILD_BENCH=OFF
else
  echo "==== clang build skipped: clang not installed (apt-get install clang)"
fi

# Memcheck over the normal build's test programs and a tour of the command.
if ! "$root/scripts/valgrind.sh" "$root/build-test"; then status=1; fi

# A short fuzz run of every parser and loader (about 12 s each; scripts/fuzz.sh SECONDS
# for longer runs).
echo "==== fuzz (short run)"
if ! "$root/scripts/fuzz.sh" 12; then status=1; fi

# The installed library, header and pkg-config file are enough to build a program.
echo "==== install check"
prefix=$(mktemp -d)
if cmake --install "$root/build-test" --prefix "$prefix" >/dev/null \
   && PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig" \
      sh -c 'cc -std=c11 -o "$1/readme_expr" "$2" $(pkg-config --define-variable=prefix="$1" --cflags --libs micrograd) -Wl,-rpath,"$1/lib"' _ "$prefix" "$root/examples/readme_expr.c" \
   && [ "$("$prefix/readme_expr" | head -1)" = "24.7041" ]; then
  echo "==== install check passed"
else
  echo "==== install check FAILED"; status=1
fi
rm -rf "$prefix"

if [ $status = 0 ]; then echo "ALL TEST SUITES PASSED"; else echo "SOME TEST SUITES FAILED"; fi
exit $status

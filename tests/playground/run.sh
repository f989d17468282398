#!/bin/sh
# run.sh node|browser - runs one of the playground's tests for CTest, or reports it
# skipped (exit 77, CTest's SKIP_RETURN_CODE here) with the reason when what it needs is
# missing: the page (built only with the WebAssembly toolchain), Node, or Chromium with
# chromedriver and Python's selenium. Never reports a test passed that did not run.
# The environment comes from playground/playground.cmake: MG_PLAYGROUND_BUILT,
# MG_PLAYGROUND_WASM, MG_PLAYGROUND_PAGE, MG_CLI, MG_PG_NATIVE, MG_PLAYGROUND_HINT.
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }

if [ "${MG_PLAYGROUND_BUILT:-0}" != 1 ] || [ ! -f "${MG_PLAYGROUND_WASM:-}" ]; then
  skip "the playground was not built (no WebAssembly toolchain; ${MG_PLAYGROUND_HINT:-see README})"
fi
case "$1" in
  node)
    command -v node >/dev/null 2>&1 || skip "node not found (apt-get install nodejs)"
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    [ "$major" -ge 18 ] || skip "node $major is too old for 'node --test' (18 or newer)"
    exec node --test "$here/module.test.js"
    ;;
  browser)
    # the first Python with selenium (Debian's python3-selenium is for /usr/bin/python3)
    py=""
    for p in ${PYTHON:-} python3 /usr/bin/python3; do
      if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import selenium' 2>/dev/null; then py=$p; break; fi
    done
    [ -n "$py" ] || skip "no python3 with selenium (apt-get install python3-selenium)"
    browser=""
    for b in chromium chromium-browser google-chrome; do
      if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
    done
    [ -n "$browser" ] || skip "chromium not found (apt-get install chromium)"
    command -v chromedriver >/dev/null 2>&1 || skip "chromedriver not found (apt-get install chromium-driver)"
    exec "$py" "$here/browser_test.py" "$MG_PLAYGROUND_PAGE" "$browser"
    ;;
  *) echo "usage: run.sh node|browser" >&2; exit 2 ;;
esac

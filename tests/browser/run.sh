#!/bin/sh
# run.sh CLI WORKDIR [ARGS...] - runs the browser test (page_browser.py) with a Python
# that has selenium: Debian's /usr/bin/python3 (python3-selenium) first, then python3
# on PATH. Exits 77 (skipped, reason in WORKDIR/skipped.txt) when there is none.
here=$(cd "$(dirname "$0")" && pwd)
cli=$1 work=$2
shift 2
mkdir -p "$work"
for py in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
  [ -n "$py" ] && [ -x "$py" ] || continue
  if "$py" -c 'import selenium' 2>/dev/null; then
    exec "$py" "$here/page_browser.py" --cli "$cli" --work "$work" "$@"
  fi
done
reason="no python3 with selenium (as root: scripts/deps.sh test, or apt-get install python3-selenium)"
echo "SKIPPED: $reason"
echo "$reason" >"$work/skipped.txt"
exit 77

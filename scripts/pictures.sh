#!/usr/bin/env bash
# pictures.sh - regenerates the pictures the README shows (docs/*.png) with the command:
# the walkthrough's graph L drawn by `micrograd eval --dot`, the moons demo's decision
# boundary and loss curve from `micrograd demo moons --out`, the backprop page of L
# (`micrograd demo graph --html`) mid-backward, screenshot by headless Chromium (the
# browser test's script; skipped with a note when Chromium or selenium is missing), and,
# when the playground is built, the playground page training on moons.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
"$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=Release -DMG_BUILD_TESTS=OFF
mg="$root/build/micrograd"
mkdir -p "$root/docs"
"$mg" eval -q --dot "$root/docs/graph.png" \
  -e "a = Value(2.0); b = Value(-3.0); c = Value(10.0)" \
  -e "e = a*b; d = e + c; f = Value(-2.0); L = d * f"
"$mg" demo moons --out "$root/docs" > /dev/null
mv "$root/docs/boundary.png" "$root/docs/moons_boundary.png"
mv "$root/docs/loss.png" "$root/docs/moons_loss.png"
echo "wrote docs/graph.png, docs/moons_boundary.png, docs/moons_loss.png"
# Frame 9 of the L page: backward's fifth term, dL/da += dL/de * de/da = -2 * -3 = 6.
if "$root/tests/browser/run.sh" "$mg" "$root/build/browser" --screenshot "$root/docs/page.png" \
     --frame 9 >/dev/null; then
  echo "wrote docs/page.png"
else
  echo "docs/page.png not remade: $(cat "$root/build/browser/skipped.txt" 2>/dev/null || echo "the browser failed")"
fi
page="$root/build/playground/micrograd-playground.html"
if [ -f "$page" ] && command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 &&
   /usr/bin/python3 -c 'import selenium' 2>/dev/null &&
   /usr/bin/python3 "$root/tests/playground/browser_test.py" "$page" "$(command -v chromium)" \
     --screenshot "$root/docs/playground.png" >/dev/null; then
  echo "wrote docs/playground.png"
else
  echo "docs/playground.png left as it is (needs the playground built, chromium, chromium-driver, python3-selenium)"
fi

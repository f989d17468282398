#!/usr/bin/env bash
# demo.sh - builds micrograd and runs its main demo: micrograd's own moons classifier.
# Extra arguments go to the demo (e.g. scripts/demo.sh --steps 50).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
"$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=Release -DMG_BUILD_TESTS=OFF
exec "$root/build/micrograd" demo moons "$@"

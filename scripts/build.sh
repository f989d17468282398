#!/usr/bin/env bash
# build.sh DIR [cmake options...] - configures (once) and builds micrograd in DIR.
set -eu
dir=$1; shift
src=$(cd "$(dirname "$0")/.." && pwd)
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$dir" "${gen[@]}" "$@" >/dev/null
else
  cmake "$dir" "$@" >/dev/null
fi
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)"

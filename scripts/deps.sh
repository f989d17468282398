#!/usr/bin/env bash
# deps.sh - makes sure the Debian packages micrograd builds with are present.
# As root it installs what is missing with apt-get; otherwise it says exactly what to
# install and carries on: the build then switches the missing features off.
# Usage: scripts/deps.sh [build|test|bench]   (what the packages are for; default build)
set -u
purpose=${1:-build}

# package:what-it-gives. Required ones first; the build cannot go on without them.
required="gcc:compiler cmake:build pkg-config:library-detection"
optional="ninja-build:fast-builds libcairo2-dev:plots libgraphviz-dev:graph-rendering graphviz:dot-program zlib1g-dev:gzipped-IDX libjansson-dev:model-files libedit-dev:line-editing"
case "$purpose" in
  test) optional="$optional libcmocka-dev:unit-tests clang:clang-build libclang-rt-14-dev:clang-sanitizers libomp-14-dev:clang-openmp valgrind:memcheck lld:playground-wasm wasi-libc:playground-wasm libclang-rt-14-dev-wasm32:playground-wasm nodejs:playground-node-test chromium:browser-tests chromium-driver:browser-tests python3-selenium:browser-tests openmpi-bin:mpi-tests libopenmpi-dev:mpi-tests dataset-fashion-mnist:Fashion-MNIST-tests" ;;
  bench) optional="$optional python3-torch:PyTorch-baseline python3-numpy:PyTorch-baseline libopenblas0-pthread:PyTorch-BLAS libopenblas0-serial:PyTorch-serial-BLAS-candidate dataset-fashion-mnist:Fashion-MNIST openmpi-bin:mpi-bench libopenmpi-dev:mpi-bench" ;;
esac

have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

missing_req=""; missing_opt=""
for entry in $required; do have "${entry%%:*}" || missing_req="$missing_req ${entry%%:*}"; done
for entry in $optional; do have "${entry%%:*}" || missing_opt="$missing_opt ${entry%%:*}"; done
[ -z "$missing_req$missing_opt" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing:$missing_req$missing_opt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || echo "deps: apt-get update failed; trying the install anyway"
  # One package at a time, so one that cannot be had does not stop the others.
  for p in $missing_req $missing_opt; do
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 \
      || echo "deps: could not install $p; its feature stays off"
  done
  missing_req=""
  for entry in $required; do have "${entry%%:*}" || missing_req="$missing_req ${entry%%:*}"; done
else
  if [ -n "$missing_opt" ]; then
    echo "deps: not root, so not installing. For every feature, run as root:"
    echo "  apt-get install$missing_opt"
    echo "deps: carrying on with those features switched off."
  fi
fi
if [ -n "$missing_req" ]; then
  echo "deps: required packages missing:$missing_req (apt-get install$missing_req)" >&2
  exit 1
fi
exit 0

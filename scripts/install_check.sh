#!/usr/bin/env bash
# install_check.sh BUILD_DIR - installs BUILD_DIR to a fresh temporary prefix, moves it
# (micrograd.pc must find itself), trains a model with the installed command, and builds
# examples/predict.c twice against the installed library: with nothing but
# PKG_CONFIG_PATH (pkg-config --cflags --libs micrograd, no --define-variable), and with
# CMake's find_package(micrograd) (the shared and the static target). Each must predict
# what `micrograd predict` does. Exits non-zero when anything fails.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: install_check.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install check: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/first" >/dev/null || fail "cmake --install failed"
mv "$tmp/first" "$tmp/prefix" # relocated: nothing may remember the first place
prefix=$tmp/prefix
pcdir=$(dirname "$(find "$prefix" -name micrograd.pc | head -1)")
[ -n "$pcdir" ] || fail "no micrograd.pc installed"
cfgdir=$(dirname "$(find "$prefix" -name micrograd-config.cmake | head -1)")
[ -n "$cfgdir" ] || fail "no micrograd-config.cmake installed"

# A model, made by the installed command, and what the command predicts with it.
rows="petal_length,sepal_length,sepal_width,petal_width,note
1.5,5.0,3.4,0.2,a
4.5,6.4,3.2,1.5,b
5.2,6.7,3.0,2.3,c"
"$prefix/bin/micrograd" train --data "$root/examples/data/iris.csv" -q --save "$tmp/iris.safetensors" ||
  fail "the installed micrograd could not train"
want=$(printf '%s\n' "$rows" | "$prefix/bin/micrograd" predict -m "$tmp/iris.safetensors" -d - -q | tail -n +2)
[ "$want" = "$(printf 'setosa\nversicolor\nvirginica')" ] || fail "micrograd predict said: $want"

# pkg-config alone.
export PKG_CONFIG_PATH=$pcdir
cc -std=c11 -Wall -Werror -o "$tmp/predict_pc" "$root/examples/predict.c" \
  $(pkg-config --cflags --libs micrograd) || fail "examples/predict.c does not build with pkg-config"
got=$(printf '%s\n' "$rows" | LD_LIBRARY_PATH=$(pkg-config --variable=libdir micrograd) \
      "$tmp/predict_pc" "$tmp/iris.safetensors") || fail "predict (pkg-config) failed"
[ "$got" = "$want" ] || fail "predict (pkg-config) said: $got"
unset PKG_CONFIG_PATH

# CMake: find_package(micrograd), the shared and the static library.
mkdir -p "$tmp/user"
cp "$root/examples/predict.c" "$tmp/user/"
cat >"$tmp/user/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(predict_user C)
find_package(micrograd 0.1 REQUIRED)
add_executable(predict predict.c)
target_link_libraries(predict PRIVATE micrograd::micrograd)
add_executable(predict_static predict.c)
target_link_libraries(predict_static PRIVATE micrograd::micrograd_static)
CM
cmake -S "$tmp/user" -B "$tmp/user/build" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake.log" 2>&1 &&
  cmake --build "$tmp/user/build" >>"$tmp/cmake.log" 2>&1 ||
  { cat "$tmp/cmake.log" >&2; fail "examples/predict.c does not build with find_package(micrograd)"; }
for exe in predict predict_static; do
  got=$(printf '%s\n' "$rows" | "$tmp/user/build/$exe" "$tmp/iris.safetensors") || fail "$exe (CMake) failed"
  [ "$got" = "$want" ] || fail "$exe (CMake) said: $got"
done
echo "install check passed: pkg-config and find_package(micrograd) build examples/predict.c"

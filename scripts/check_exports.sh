#!/usr/bin/env bash
# check_exports.sh LIBRARY.so - checks that the shared library exports its interface and
# nothing else: every exported function and object is named mg_ (public), none mg__
# (the library's internals) or anything else.
set -u
lib=${1:?usage: check_exports.sh LIBRARY.so}
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort)
if [ -z "$syms" ]; then
  echo "check_exports: $lib exports nothing" >&2
  exit 1
fi
bad=$(printf '%s\n' "$syms" | grep -v '^mg_[a-z0-9]' || true)
internal=$(printf '%s\n' "$syms" | grep '^mg__' || true)
if [ -n "$bad$internal" ]; then
  echo "check_exports: $lib exports symbols outside its interface:"
  printf '%s\n' $bad $internal | sed 's/^/  /'
  exit 1
fi
echo "check_exports: $(printf '%s\n' "$syms" | wc -l) symbols exported, all mg_"

#!/usr/bin/env bash
# check_layers.sh BUILD_DIR [SOURCE_DIR] - checks that the code calls downwards only.
#
# Reads the object files of the library, the shared application code, the demos and the
# command in BUILD_DIR (nm: which file defines each symbol, which symbols each file
# uses) and fails when
#   - two or more files call each other, directly or around a loop (tsort finds it), or
#   - a file calls into a folder that is above its own in LAYERS below.
# Prints each offending edge or loop. -v prints every file-to-file edge. With SOURCE_DIR,
# object files left behind by sources that no longer exist are ignored.
set -u
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
build=${1:?usage: check_layers.sh [-v] BUILD_DIR [SOURCE_DIR]}
src=${2:-}

# Bottom to top: a folder may call the folders before it and itself.
LAYERS="src/core src/engine src/fast src/data src/nn src/io src/viz src/script app demos cli"

objs=()
for t in mg_objects mg_app mg_demos micrograd; do
  d="$build/CMakeFiles/$t.dir"
  [ -d "$d" ] || continue
  while IFS= read -r o; do
    rel=${o#*.dir/}
    if [ -n "$src" ] && [ ! -f "$src/${rel%.o}" ]; then continue; fi
    objs+=("$o")
  done < <(find "$d" -name '*.o' | sort)
done
if [ ${#objs[@]} -eq 0 ]; then
  echo "check_layers: no object files under $build/CMakeFiles (build first)" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for o in "${objs[@]}"; do
  key=${o#*.dir/}
  key=${key%.c.o}
  nm --defined-only "$o" | awk -v k="$key" 'NF == 3 && $2 ~ /^[TDBRC]$/ { print $3, k }' >>"$work/defs"
  nm --undefined-only "$o" | awk -v k="$key" '{ print k, $NF }' >>"$work/uses"
done

# file -> file edges (a file's use of its own symbols is not an edge)
awk 'NR == FNR { def[$1] = $2; next }
     ($2 in def) && def[$2] != $1 { print $1, def[$2] }' "$work/defs" "$work/uses" |
  sort -u >"$work/edges"
[ $verbose = 1 ] && sed 's/ / -> /' "$work/edges"

status=0
# loops between files
if ! tsort "$work/edges" >/dev/null 2>"$work/loops"; then
  echo "check_layers: files that call each other (a loop):"
  grep -v 'input contains a loop' "$work/loops" | sed 's/^tsort: /  /'
  status=1
fi

# calls into a higher layer
awk -v layers="$LAYERS" '
  function rank(f,   i, best, n) {
    best = 0
    for (i = 1; i <= nl; i++) {
      n = length(L[i])
      if (substr(f, 1, n + 1) == L[i] "/") best = i
    }
    return best
  }
  BEGIN { nl = split(layers, L, " ") }
  { a = rank($1); b = rank($2)
    if (a == 0 || b == 0) { print "  (not in a layer) " $1 " -> " $2; bad = 1 }
    else if (b > a) { print "  upwards: " $1 " -> " $2; bad = 1 } }
  END { exit bad }' "$work/edges" >"$work/up" || {
  echo "check_layers: calls that go up a layer (order: $LAYERS):"
  cat "$work/up"
  status=1
}

n=$(wc -l <"$work/edges")
if [ $status = 0 ]; then
  echo "check_layers: ${#objs[@]} files, $n edges, no loops, every call goes down a layer"
fi
exit $status

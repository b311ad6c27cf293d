#!/bin/sh
# Bench: the review aids against the full render of an example, in one run (local provider).
#   full      a cold `vsc build` (everything rendered)
#   scene     `vsc build --scene NAME` after it (only trims and joins run)
#   range     `vsc build --range A-B` after it
#   sheet     `vsc build --sheet` after it (nothing to render; the sheet is drawn)
#   noop      `vsc build` after it (everything cached), the floor of any cached build
# Prints each median time and its ratio to the full render (targets: scene and range < 0.2
# of the full render, the sheet < 0.2).
# Usage: bench_review.sh VSC_BINARY [SCRIPT] [SCENE] [RANGE] [RUNS]
set -eu
VSC=$1
SRC=${2:-$(dirname "$0")/../../examples/ad.vscript}
SCENE=${3:-cup}
RANGE=${4:-10s-20s}
RUNS=${5:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsc-bench-review.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -R "$(dirname "$SRC")/." "$WORK/"
SCRIPT="$WORK/$(basename "$SRC")"
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # NAME ARGS...: one timed run, appended to NAME.t
  name=$1; shift
  t0=$(now); "$VSC" build "$SCRIPT" --progress quiet "$@" >/dev/null 2>&1 || {
    echo "bench_review: vsc build $* failed" >&2; exit 1; }
  t1=$(now); echo $((t1 - t0)) >>"$WORK/$name.t"
}
i=0
while [ $i -lt "$RUNS" ]; do
  rm -rf "$WORK/.vsc" "$WORK"/*.mp4 "$WORK"/*.json "$WORK"/*.png
  run full
  run scene --scene "$SCENE"
  run range --range "$RANGE"
  run sheet --sheet
  run noop
  i=$((i + 1))
done
full=$(median <"$WORK/full.t")
for k in scene range sheet noop; do
  awk -v f="$full" -v t="$(median <"$WORK/$k.t")" -v k="$k" -v s="$(basename "$SRC")" -v sc="$SCENE" -v r="$RANGE" 'BEGIN {
    what = k == "scene" ? "--scene " sc : k == "range" ? "--range " r : k == "sheet" ? "--sheet" : "no-op";
    printf "%s: %-18s %8.1f ms, full render %8.1f ms, ratio %.3f\n", s, what, t / 1e6, f / 1e6, t / f }'
done

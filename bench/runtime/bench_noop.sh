#!/bin/sh
# Bench: a no-op rebuild (everything cached) of an example against `vsc check` of it.
# Prints the ratio of their median times (target < 2).
# Usage: bench_noop.sh VSC_BINARY [SCRIPT] [RUNS]
set -eu
VSC=$1
SRC=${2:-$(dirname "$0")/../../examples/ad.vscript}
RUNS=${3:-7}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsc-bench-noop.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Work on a copy so the bench never writes into the source tree.
cp -R "$(dirname "$SRC")/." "$WORK/"
SCRIPT="$WORK/$(basename "$SRC")"
"$VSC" build "$SCRIPT" --progress quiet -o "$WORK/out.mp4" >/dev/null 2>&1 || {
  echo "bench_noop: the first build failed" >&2; exit 1; }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
i=0; : >"$WORK/check.t"; : >"$WORK/build.t"
while [ $i -lt "$RUNS" ]; do
  t0=$(now); "$VSC" check "$SCRIPT" >/dev/null 2>&1; t1=$(now)
  echo $((t1 - t0)) >>"$WORK/check.t"
  t0=$(now); "$VSC" build "$SCRIPT" --progress quiet -o "$WORK/out.mp4" >/dev/null 2>&1; t1=$(now)
  echo $((t1 - t0)) >>"$WORK/build.t"
  i=$((i + 1))
done
check=$(median <"$WORK/check.t"); build=$(median <"$WORK/build.t")
awk -v c="$check" -v b="$build" -v s="$(basename "$SRC")" 'BEGIN {
  printf "no-op rebuild: %s: vsc check %.1f ms, no-op vsc build %.1f ms, ratio %.2f (target < 2)\n",
         s, c / 1e6, b / 1e6, b / c; exit (b / c < 2 ? 0 : 1) }'

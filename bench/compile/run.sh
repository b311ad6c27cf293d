#!/bin/sh
# Compile bench: generates a 10,000-scene script (a mix of generated video and image shots,
# colour cards, text, voice-over and transitions), times `vsc ir` on it, and times jansson's
# json_load_file on the IR that vsc wrote, each as a whole process. Prints both, their ratio
# (target: under 3) and vsc's peak memory. Best of 3 runs each; asserts nothing.
# The ratio is taken on CPU time (user + system): both jobs are single-threaded, so on a
# quiet machine that is their wall time, and on a busy one wall time measures the neighbours.
#   usage: bench/compile/run.sh [BUILD_DIR] [SCENES]     (defaults: build, 10000)
# Needs /usr/bin/time (Debian package 'time').
set -eu
BUILD=${1:-build}
SCENES=${2:-10000}
VSC=$BUILD/cli/vsc
LOAD=$BUILD/bench/compile/vsc_json_load
for b in "$VSC" "$LOAD"; do
  [ -x "$b" ] || { echo "run.sh: build the vsc and vsc_json_load targets first ($b)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
VSC=$(cd "$(dirname "$VSC")" && pwd)/vsc
LOAD=$(cd "$(dirname "$LOAD")" && pwd)/vsc_json_load
WORK=$(mktemp -d /tmp/vsc-compile-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# The script: every fourth scene a generated video, then an image, a colour card with
# text, and a card with a voice line; transitions of several kinds between them.
awk -v n="$SCENES" 'BEGIN {
  split("fade wipeleft slideup dissolve circleopen pixelize", tr, " ")
  split("push-in pull-out pan-left orbit handheld static", cam, " ")
  print "import \"std/styles\""
  print "video \"Compile bench: " n " scenes\" {"
  print "  size 1920x1080  fps 30"
  print "  style warm_cinematic"
  print "  music generate \"slow ambient pads\" { tempo 90 fade out 2s }"
  for (i = 0; i < n; i++) {
    k = i % 4
    printf "  scene s%d (%ss) {\n", i, (k == 0) ? "4.5" : (k == 1) ? "3" : "2.5"
    if (k == 0) printf "    shot video \"shot %d: steam rising from a cup, morning light\" camera %s\n", i, cam[i % 6 + 1]
    else if (k == 1) printf "    shot image \"still %d: a bag of beans on an oak table\" animate zoom 1.0 -> 1.1\n", i
    else if (k == 2) { printf "    shot color #%06x\n", (i * 7919) % 16777216; printf "    text \"Card %d\" at center size 8%% from 0.2s fade 0.2s\n", i }
    else { print "    shot color #1b1b1b"; printf "    voice \"Line %d of the narration.\" at 0.2s\n", i }
    if (i + 1 < n && i % 2 == 0) printf "    then %s 0.5s\n", tr[i % 6 + 1]
    print "  }"
  }
  print "}"
}' > bench.vscript

echo "script: $SCENES scenes, $(wc -c < bench.vscript) bytes"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# measure NAME CMD...: best of 3 runs of CMD; sets NAME_CPU, NAME_WALL (s) and NAME_RSS (KiB).
measure() {
  name=$1
  shift
  cpu= wall= rss=
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > out.txt 2> err.txt || { cat err.txt >&2; exit 1; }
    read -r W U S M < time.txt
    cpu=$(min "$(awk -v u="$U" -v s="$S" 'BEGIN { print u + s }')" "$cpu")
    wall=$(min "$W" "$wall")
    rss=$(min "$M" "$rss")
  done
  eval "${name}_CPU=\$cpu ${name}_WALL=\$wall ${name}_RSS=\$rss"
}

measure VSC "$VSC" ir bench.vscript -o bench.ir.json
WARNINGS=$(grep -c ': warning:' err.txt || true)
echo "IR: $(wc -c < bench.ir.json) bytes, $WARNINGS warnings"
measure LOAD "$LOAD" bench.ir.json 1
read -r T_INPROC NODES < out.txt

echo "vsc ir:            ${VSC_CPU} s CPU (${VSC_WALL} s wall), peak RSS $((VSC_RSS / 1024)) MiB, $NODES nodes"
echo "json_load_file:    ${LOAD_CPU} s CPU (${LOAD_WALL} s wall, ${T_INPROC} s in the call), peak RSS $((LOAD_RSS / 1024)) MiB"
echo "ratio vsc/jansson: $(ratio "$VSC_CPU" "$LOAD_CPU") on CPU time (target < 3); $(ratio "$VSC_WALL" "$LOAD_WALL") on wall time"

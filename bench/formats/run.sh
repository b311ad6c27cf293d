#!/bin/sh
# Formats bench through the real CLI (issue 12): `vsc build` of one storyboard made as one
# format (16:9) and as three (16:9 9:16 1:1), each from an empty cache with the offline local
# provider, alternating in the same invocation. The three formats share every generation
# (made once at the master frame and reframed), the voice-over and the music; each composes
# its own picture. Prints the medians (wall and CPU) and the ratio three / one (target: at
# most 2.2). Asserts nothing (the machine is shared: figures are noisy; medians of
# VSC_BENCH_REPS runs, default 3).
#   usage: bench/formats/run.sh [BUILD_DIR]          (default: build)
# Needs /usr/bin/time (Debian package 'time').
set -eu
BUILD=${1:-build}
VSC=$(cd "$BUILD" && pwd)/cli/vsc
REPS=${VSC_BENCH_REPS:-3}
[ -x "$VSC" ] || { echo "run.sh: build vsc first ($VSC)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-formats-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# script NAME FORMATS [EXTRA]: a 20 s spot at 1280x720 (master), six generated shots (video, image,
# animated image), titles on every scene, a voice line, captions, a generated music bed.
script() {
  cat > "$1.vscript" <<VS
video "Formats bench" {
  size 1280x720 fps 30
  formats $2
  ${3:-}
  music generate "punchy pop beat" { tempo 120 volume -8dB }
  voice "Three sneakers. One weekend. Grab yours before they sell out." at 1s
  captions box { at bottom words 4 lines 1 size 5% }
  scene hook (3s) { shot video "a red sneaker on a wet street, neon" focus 0.4 text "MEET AIRLOOP" at top size 10% then fade 0.5s }
  scene box (3s) { shot image "the sneaker box on an oak table" animate zoom 1.0 -> 1.15 fit blur text "NEW" at top-left size 8% }
  scene run (4s) { shot video "a runner crossing a bridge at dawn" text "LIGHT AS AIR" at top size 9% then fade 0.5s }
  scene city (3s) { shot video "a city street at night, rain" focus 0.6 text "BUILT FOR THE CITY" at top size 8% }
  scene studio (3s) { shot image "a white sneaker on a pink backdrop, hard shadow" animate pan-left text "DROP 01" at top size 10% }
  scene cta (rest) { shot color #ffe94e text "SAT 10:00" at center size 14% color #111111 }
  length 20s
}
VS
}

# time_of CMD...: runs CMD under /usr/bin/time; sets T (wall s) and C (user+sys s).
time_of() {
  /usr/bin/time -f "%e %U %S" -o time.txt "$@" > run.log 2>&1 || { tail -20 run.log >&2; exit 1; }
  read -r T U S < time.txt
  C=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
add() { eval "$1=\"\${$1:-} $2\""; }
median() { eval "echo \${$1:-}" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

script one "16:9"
script three "16:9 9:16 1:1" "for 9:16 { safe social }"
build() { rm -rf cache "$1".*mp4*; time_of "$VSC" build "$1.vscript" --provider local --cache cache --progress quiet; }

r=1
while [ "$r" -le "$REPS" ]; do
  build one
  add W1 "$T"; add C1 "$C"
  build three
  add W3 "$T"; add C3 "$C"
  ls three.16x9.mp4 three.9x16.mp4 three.1x1.mp4 > /dev/null
  r=$((r + 1))
done
w1=$(median W1) c1=$(median C1) w3=$(median W3) c3=$(median C3)
echo "one format (16:9 1280x720), empty cache:           wall ${w1}s  cpu ${c1}s"
echo "three formats (16:9 9:16 1:1, shared), empty cache: wall ${w3}s  cpu ${c3}s"
echo "three / one: wall $(ratio "$w3" "$w1")x  cpu $(ratio "$c3" "$c1")x  (target <= 2.2x; medians of $REPS)"

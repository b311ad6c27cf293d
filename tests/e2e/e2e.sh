#!/bin/sh
# End to end: build an example offline, check the MP4 against its plan, rebuild (nothing
# runs), and for the ad: colours at scene midpoints and an edited scene's rebuild.
#   e2e.sh VSC E2E_CHECK EXAMPLE.vscript
set -eu
vsc=$1 check=$2 script=$3
name=$(basename "$script" .vscript)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$(dirname "$script")" "$tmp/src"
src="$tmp/src/$name.vscript"
build() { "$vsc" build "$src" --provider local --cache "$tmp/cache" -o "$tmp/out.mp4" --progress plain --jobs 2 >"$tmp/log" 2>&1 || {
  cat "$tmp/log"; echo "FAIL: vsc build exited $?"; exit 1; }; }
summary() { grep -E '^ok: [0-9]+ run' "$tmp/log" | tail -1; }

build
echo "first build: $(summary)"
"$vsc" plan "$src" --json --cache "$tmp/cache" >"$tmp/plan.json"
"$check" probe "$tmp/out.mp4" "$tmp/plan.json"

# An unchanged script: no generation and no encoding.
build
case $(summary) in
"ok: 0 run"*) echo "rebuild: $(summary)" ;;
*) echo "FAIL: the rebuild ran nodes: $(summary)"; exit 1 ;;
esac

case $name in
ad)
  # Colour cards at their scene midpoints, sampled away from the text.
  "$check" color "$tmp/out.mp4" 22.25 0.92 0.12 c8a27a   # offer
  "$check" color "$tmp/out.mp4" 28.5 0.08 0.12 1b1b1b    # outro
  # Text is drawn: the offer's centre is not the card colour.
  if "$check" color "$tmp/out.mp4" 22.25 0.5 0.5 c8a27a >/dev/null 2>&1; then
    echo "FAIL: no text at the centre of 'offer'"; exit 1
  fi
  # Edit one scene's text: only that scene's segments (and the join) run again.
  sed -i 's/First bag 20% off/First bag 30% off/' "$src"
  build
  runs=$(summary | sed -E 's/^ok: ([0-9]+) run.*/\1/')
  # A long body runs as chunks ("part k/n" lines) and then their join, which is the segment.
  parts=$(grep -cE '^done .* part [0-9]+/[0-9]+' "$tmp/log" || true)
  others=$(grep -E '^done .* part [0-9]+/[0-9]+' "$tmp/log" | grep -vc "scene offer " || true)
  echo "after editing 'offer': $(summary) ($parts of them chunks)"
  runs=$((runs - parts))
  if [ "$runs" -lt 3 ] || [ "$runs" -gt 5 ] || [ "$others" -ne 0 ]; then
    echo "FAIL: editing one scene re-ran $runs nodes and $others chunks of other scenes (expected its 3 segments, the concat and the mux)"; exit 1
  fi
  "$check" probe "$tmp/out.mp4" "$tmp/plan.json"
  ;;
music_video)
  "$check" cuts "$tmp/out.mp4" "$tmp/plan.json"
  ;;
social)
  # Captions: SRT and WebVTT beside the video, readable by FFmpeg's demuxers.
  for f in srt vtt; do
    test -s "$tmp/out.$f" || { echo "FAIL: no out.$f beside the video"; exit 1; }
    n=$(ffprobe -v error -show_entries packet=pts_time -of csv "$tmp/out.$f" | grep -c packet)
    [ "$n" -ge 3 ] || { echo "FAIL: out.$f has $n cues"; exit 1; }
  done
  ;;
esac
echo "ok: $name"

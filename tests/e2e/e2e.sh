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
# A script with several formats writes out.<tag>.mp4 per format (and one run summary each).
tags=$("$vsc" plan "$src" --json --cache "$tmp/cache" | sed -n 's/.*"suffix": "\.\([0-9x]*\)".*/\1/p')

build
echo "first build: $(summary)"
"$vsc" plan "$src" --json --cache "$tmp/cache" >"$tmp/plan.json"
if [ -n "$tags" ]; then
  for t in $tags; do
    "$vsc" plan "$src" --json --cache "$tmp/cache" --format "$(echo "$t" | tr x :)" >"$tmp/plan.$t.json"
    "$check" probe "$tmp/out.$t.mp4" "$tmp/plan.$t.json"
  done
  test ! -e "$tmp/out.mp4" || { echo "FAIL: out.mp4 written beside the formats"; exit 1; }
else
  "$check" probe "$tmp/out.mp4" "$tmp/plan.json"
fi

# An unchanged script: no generation and no encoding (in any format).
build
if grep -E '^ok: [0-9]+ run' "$tmp/log" | grep -vq '^ok: 0 run'; then
  echo "FAIL: the rebuild ran nodes: $(grep -E '^ok: [0-9]+ run' "$tmp/log")"; exit 1
fi
echo "rebuild: $(summary)"

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
  # Three formats, each at its frame, with its captions: SRT and WebVTT beside each video,
  # readable by FFmpeg's demuxers.
  [ "$(echo $tags)" = "9x16 1x1 16x9" ] || { echo "FAIL: formats '$tags'"; exit 1; }
  for t in 9x16:1080,1920 1x1:1080,1080 16x9:1920,1080; do
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$tmp/out.${t%%:*}.mp4")
    [ "$size" = "${t#*:}" ] || { echo "FAIL: out.${t%%:*}.mp4 is $size"; exit 1; }
    for f in srt vtt; do
      test -s "$tmp/out.${t%%:*}.$f" || { echo "FAIL: no out.${t%%:*}.$f beside the video"; exit 1; }
      n=$(ffprobe -v error -show_entries packet=pts_time -of csv "$tmp/out.${t%%:*}.$f" | grep -c packet)
      [ "$n" -ge 3 ] || { echo "FAIL: out.${t%%:*}.$f has $n cues"; exit 1; }
    done
  done
  ;;
esac
echo "ok: $name"

#!/bin/sh
# Music drives the cut: a synthesised song with known beats is analysed (no tempo declared),
# `cut on beats` snaps every boundary, and the decoded video changes scene on those frames.
#   beats_e2e.sh VSC E2E_CHECK AUDIO_TOOL
set -eu
vsc=$1 check=$2 audio_tool=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$audio_tool" synth rock_110 "$tmp/song.wav"
cat >"$tmp/beat.vscript" <<'VS'
video "Cut on the beat" {
  size 640x360
  fps 30
  music "song.wav" { cut on beats }
  scene red (3.1s) { shot color #ff0000 }
  scene green (4 beats) { shot color #00ff00 }
  scene blue (2.3s) { shot color #0000ff }
  scene yellow (2 bars) { shot color #ffff00 }
  scene magenta (1s) { shot color #ff00ff }
}
VS
"$vsc" beats "$tmp/song.wav" --json --cache "$tmp/.vsc" >"$tmp/beats.json"
"$vsc" plan "$tmp/beat.vscript" --json >"$tmp/plan.json"
"$vsc" plan "$tmp/beat.vscript" | sed -n '1,12p'
"$check" ongrid "$tmp/plan.json" "$tmp/beats.json"
"$vsc" build "$tmp/beat.vscript" --provider local -o "$tmp/out.mp4" --progress plain >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
"$check" probe "$tmp/out.mp4" "$tmp/plan.json"
"$check" cuts "$tmp/out.mp4" "$tmp/plan.json"
echo "ok: cuts on the analysed beats"

#!/bin/sh
# Decoding of every common format: a synthesised track with known beats is encoded with
# the ffmpeg program to MP3, FLAC, OGG (Vorbis), M4A (AAC) and Opus, and each file must give
# the same accurate analysis (beat F-measure, tempo, downbeats) as the WAV.
# usage: test_formats.sh AUDIO_TOOL
set -u
tool=$1
case=rock_128
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v ffmpeg >/dev/null 2>&1 || { echo "ffmpeg not found in PATH"; exit 1; }
"$tool" synth "$case" "$dir/in.wav" || exit 1
encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null)
fail=0
tested=0
for spec in "mp3 libmp3lame" "flac flac" "ogg libvorbis" "m4a aac" "opus libopus"; do
  ext=${spec%% *}
  enc=${spec#* }
  if ! printf '%s\n' "$encoders" | grep -q " $enc "; then
    echo "SKIP $ext: this ffmpeg has no '$enc' encoder"
    continue
  fi
  if ! ffmpeg -hide_banner -loglevel error -y -i "$dir/in.wav" -c:a "$enc" "$dir/track.$ext"; then
    echo "FAIL $ext: ffmpeg could not encode"
    fail=1
    continue
  fi
  if "$tool" check "$case" "$dir/track.$ext"; then
    echo "ok   $ext"
    tested=$((tested + 1))
  else
    echo "FAIL $ext"
    fail=1
  fi
done
[ "$tested" -ge 1 ] || { echo "no format could be tested"; exit 1; }
exit $fail

#!/bin/sh
# Synthesises a 4-minute song and prints how many times faster than real time
# `vsc_audio_analyze` (SHA-256 + decode + full analysis, no cache) runs on it.
# usage: bench_beats.sh AUDIO_TOOL BENCH_AUDIO [RUNS]
#   (cmake --build build --target bench-audio runs it with the built programs)
set -eu
tool=$1
bench=$2
runs=${3:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tool" synth song_4min "$dir/song.wav"
echo "command: $bench $dir/song.wav $runs"
"$bench" "$dir/song.wav" "$runs"

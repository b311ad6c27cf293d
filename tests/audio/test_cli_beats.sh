#!/bin/sh
# `vsc beats`: the summary, the exact JSON form, the PNG and SVG plots, the cache, and the
# exit codes (0 ok, 1 usage, 5 a file that cannot be decoded).
# usage: test_cli_beats.sh VSC AUDIO_TOOL
set -u
vsc=$1
tool=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
  what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
"$tool" synth sections_abab "$dir/song.wav" || exit 1
cd "$dir" || exit 1

"$vsc" beats song.wav >summary.txt 2>err.txt
check "summary exits 0" [ $? -eq 0 ]
check "summary shows the tempo" grep -q "tempo *120\.0 BPM" summary.txt
check "summary shows the meter" grep -q "meter *4/4" summary.txt
check "summary lists 4 sections" grep -q "sections *4" summary.txt
check "default cache is ./.vsc" sh -c 'ls .vsc/analysis/*.json >/dev/null 2>&1'

"$vsc" beats song.wav >summary2.txt
check "second run is a cache hit" grep -q "(cached analysis)" summary2.txt

"$vsc" beats song.wav --json --cache "$dir/c2" >out.json
check "json exits 0" [ $? -eq 0 ]
check "json starts with tempo" grep -q '^{"tempo": 1[12][0-9]\.[0-9]*, "beats": \[' out.json
check "json has downbeats, sections, duration" \
  grep -q '"downbeats": \[.*\], "sections": \[{"start": 0\.0, "end": [0-9.]*, "label": "A".*\], "duration": 65\.5' out.json
check "json has one line" [ "$(wc -l <out.json)" -eq 1 ]
check "json cache in --cache DIR" sh -c "ls '$dir/c2/analysis/'*.json >/dev/null 2>&1"

mkdir nc && cd nc && "$vsc" beats ../song.wav --no-cache --plot ../grid.png >/dev/null
check "plot exits 0" [ $? -eq 0 ]
check "--no-cache writes no cache" [ ! -e .vsc ]
cd ..
if command -v ffprobe >/dev/null 2>&1; then
  dims=$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 grid.png)
  check "plot is a 1600x400 PNG ($dims)" [ "$dims" = "png,1600,400" ]
else
  check "plot is a PNG" sh -c 'head -c 4 grid.png | grep -q PNG'
fi
"$vsc" beats song.wav --no-cache --plot grid.svg >/dev/null
check "svg plot" grep -q "<svg" grid.svg

"$vsc" beats >/dev/null 2>&1
check "no file: exit 1" [ $? -eq 1 ]
"$vsc" beats song.wav --frobnicate >/dev/null 2>&1
check "unknown option: exit 1" [ $? -eq 1 ]
printf 'not audio at all\n' >notes.mp3
"$vsc" beats notes.mp3 --no-cache >/dev/null 2>err.txt
check "undecodable: exit 5" [ $? -eq 5 ]
check "undecodable: message names the file" grep -q "notes.mp3" err.txt
"$vsc" beats missing.wav >/dev/null 2>err.txt
check "missing file: exit 5" [ $? -eq 5 ]
exit $fail

#!/bin/sh
# Compositor bench: the reference job (six 5 s 1280x720 30 fps clips, 0.5 s crossfades, a
# music bed; libx264 with the same preset and CRF) rendered by vsc's compositor and by the
# ffmpeg program, then a rebuild after editing one scene and a 5 min timeline for memory.
# Prints ratios; asserts nothing about timings.
#   usage: bench/compositor/run.sh [BUILD_DIR]      (default: build)
# Needs /usr/bin/time (Debian package 'time') and the ffmpeg program (for fixtures and the
# comparison only).
set -eu
BUILD=${1:-build}
DRIVER=$BUILD/bench/compositor/vsc_comp_bench
PRESET=${VSC_BENCH_PRESET:-veryfast}
CRF=${VSC_BENCH_CRF:-20}
[ -x "$DRIVER" ] || { echo "run.sh: build the vsc_comp_bench target first ($DRIVER)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-comp-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DRIVER=$(cd "$(dirname "$DRIVER")" && pwd)/$(basename "$DRIVER")
cd "$WORK"

echo "fixtures: six 5 s 1280x720 30 fps clips and a 30 s music bed"
i=0
while [ $i -lt 6 ]; do
  ffmpeg -nostdin -v error -f lavfi -i "testsrc2=s=1280x720:r=30:d=5,hue=h=$((i * 60))" \
    -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -y c$i.mp4
  i=$((i + 1))
done
ffmpeg -nostdin -v error -f lavfi -i "aevalsrc=0.3*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*0.5*t))|0.3*sin(2*PI*330*t):s=48000:d=30" \
  -c:a pcm_s16le -y music.wav
CLIPS="c0.mp4 c1.mp4 c2.mp4 c3.mp4 c4.mp4 c5.mp4"

# time_of CMD...: runs CMD under /usr/bin/time; sets T (wall seconds) and M (peak RSS, KiB).
time_of() {
  /usr/bin/time -f "%e %M" -o time.txt "$@" > run.log 2>&1 || { cat run.log >&2; exit 1; }
  read -r T M < time.txt
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# 1. Full render: vsc compositor vs the ffmpeg program.
time_of "$DRIVER" --cache cache30 --out vsc.mp4 --music music.wav --scenes 6 --preset "$PRESET" --crf "$CRF" $CLIPS
T_VSC=$T M_VSC30=$M
sed 's/^/  vsc: /' run.log
FC="[0:v]settb=AVTB,fps=30,format=yuv420p[v0];[1:v]settb=AVTB,fps=30,format=yuv420p[v1];[2:v]settb=AVTB,fps=30,format=yuv420p[v2];"
FC="$FC[3:v]settb=AVTB,fps=30,format=yuv420p[v3];[4:v]settb=AVTB,fps=30,format=yuv420p[v4];[5:v]settb=AVTB,fps=30,format=yuv420p[v5];"
FC="$FC[v0][v1]xfade=transition=fade:duration=0.5:offset=4.5[x1];[x1][v2]xfade=transition=fade:duration=0.5:offset=9[x2];"
FC="$FC[x2][v3]xfade=transition=fade:duration=0.5:offset=13.5[x3];[x3][v4]xfade=transition=fade:duration=0.5:offset=18[x4];"
FC="$FC[x4][v5]xfade=transition=fade:duration=0.5:offset=22.5[vout];"
FC="$FC[6:a]aloop=loop=-1:size=2e9,atrim=0:27.5,volume=-6dB,afade=t=out:st=26:d=1.5[aout]"
time_of ffmpeg -nostdin -v error -i c0.mp4 -i c1.mp4 -i c2.mp4 -i c3.mp4 -i c4.mp4 -i c5.mp4 -i music.wav \
  -filter_complex "$FC" -map "[vout]" -map "[aout]" -c:v libx264 -preset "$PRESET" -crf "$CRF" -pix_fmt yuv420p \
  -c:a aac -b:a 192k -movflags +faststart -y ffmpeg.mp4
T_FF=$T M_FF=$M
D_VSC=$(ffprobe -v error -show_entries format=duration -of csv=p=0 vsc.mp4)
D_FF=$(ffprobe -v error -show_entries format=duration -of csv=p=0 ffmpeg.mp4)
echo "full render: vsc ${T_VSC} s (${D_VSC} s of video), ffmpeg ${T_FF} s (${D_FF} s of video)"

# 2. Edit one scene (a title on scene 3) and rebuild: only its segments are encoded again.
time_of "$DRIVER" --cache cache30 --out vsc-edit.mp4 --music music.wav --scenes 6 --preset "$PRESET" --crf "$CRF" --edit 2 $CLIPS
T_EDIT=$T
sed 's/^/  vsc: /' run.log

# 3. Peak memory: the same job stretched to a 5 min timeline (67 scenes, 302 s), from a cold cache.
time_of "$DRIVER" --cache cache300 --out vsc-5min.mp4 --music music.wav --scenes 67 --preset "$PRESET" --crf "$CRF" $CLIPS
M_VSC300=$M
sed 's/^/  vsc: /' run.log
time_of "$DRIVER" --cache cache30b --out vsc-30s.mp4 --music music.wav --scenes 6 --preset "$PRESET" --crf "$CRF" $CLIPS
M_VSC30=$M

echo "peak memory: vsc 30 s ${M_VSC30} KiB, 5 min ${M_VSC300} KiB; ffmpeg 30 s ${M_FF} KiB"
echo "RATIO wall time vsc/ffmpeg (target <= 1.0):            $(ratio "$T_VSC" "$T_FF")"
echo "RATIO peak memory 5 min/30 s timeline (target < 1.2):  $(ratio "$M_VSC300" "$M_VSC30")"
echo "RATIO rebuild one edited scene/full (target < 0.35):   $(ratio "$T_EDIT" "$T_VSC")"

#!/bin/sh
# Compositor bench: the reference job (six 5 s 1280x720 30 fps clips, 0.5 s crossfades, a
# music bed; libx264 with the same preset and CRF) rendered by vsc's compositor and by the
# ffmpeg program, a rebuild after editing one scene, and a 5 min timeline for memory.
# Prints ratios; asserts nothing about timings. Each timing is the best of VSC_BENCH_REPS
# runs (default 3, vsc and ffmpeg alternating) because other work on the machine adds noise;
# CPU time (user + sys) of those runs is printed too.
#   usage: bench/compositor/run.sh [BUILD_DIR]      (default: build)
# Needs /usr/bin/time (Debian package 'time') and the ffmpeg program (fixtures and the
# comparison only).
set -eu
BUILD=${1:-build}
DRIVER=$BUILD/bench/compositor/vsc_comp_bench
PRESET=${VSC_BENCH_PRESET:-veryfast}
CRF=${VSC_BENCH_CRF:-20}
REPS=${VSC_BENCH_REPS:-3}
[ -x "$DRIVER" ] || { echo "run.sh: build the vsc_comp_bench target first ($DRIVER)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-comp-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DRIVER=$(cd "$(dirname "$DRIVER")" && pwd)/$(basename "$DRIVER")
cd "$WORK"

echo "fixtures: six 5 s 1280x720 30 fps clips and a 30 s music bed; preset $PRESET, crf $CRF, best of $REPS"
i=0
while [ $i -lt 6 ]; do
  ffmpeg -nostdin -v error -f lavfi -i "testsrc2=s=1280x720:r=30:d=5,hue=h=$((i * 60))" \
    -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -y c$i.mp4
  i=$((i + 1))
done
ffmpeg -nostdin -v error -f lavfi \
  -i "aevalsrc=0.3*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*0.5*t))|0.3*sin(2*PI*330*t):s=48000:d=30" \
  -c:a pcm_s16le -y music.wav
CLIPS="c0.mp4 c1.mp4 c2.mp4 c3.mp4 c4.mp4 c5.mp4"

# time_of CMD...: runs CMD under /usr/bin/time; sets T (wall s), C (user+sys s), M (peak RSS KiB).
time_of() {
  /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > run.log 2>&1 || { cat run.log >&2; exit 1; }
  read -r T U S M < time.txt
  C=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# best VAR VALUE: VAR = min(VAR, VALUE), an empty VAR counting as +infinity.
best() { eval "cur=\${$1:-}"; if [ -z "$cur" ] || awk -v a="$2" -v b="$cur" 'BEGIN { exit !(a < b) }'; then eval "$1=$2"; fi; }
vsc() { time_of "$DRIVER" --music music.wav --preset "$PRESET" --crf "$CRF" "$@" $CLIPS; }

FC=""
i=0
while [ $i -lt 6 ]; do FC="$FC[$i:v]settb=AVTB,fps=30,format=yuv420p[v$i];"; i=$((i + 1)); done
FC="$FC[v0][v1]xfade=transition=fade:duration=0.5:offset=4.5[x1];[x1][v2]xfade=transition=fade:duration=0.5:offset=9[x2];"
FC="$FC[x2][v3]xfade=transition=fade:duration=0.5:offset=13.5[x3];[x3][v4]xfade=transition=fade:duration=0.5:offset=18[x4];"
FC="$FC[x4][v5]xfade=transition=fade:duration=0.5:offset=22.5[vout];"
FC="$FC[6:a]atrim=0:27.5,volume=-6dB,afade=t=out:st=26:d=1.5[aout]"

# 1. Full render (cold cache) vs ffmpeg, and 2. the rebuild after editing scene 3 (a title).
#    VSC_BENCH_FULL=0 skips 1 to 3 (for the text figures alone).
r=1
[ "${VSC_BENCH_FULL:-1}" = 0 ] && r=$((REPS + 1))
while [ $r -le "$REPS" ]; do
  rm -rf cache
  vsc --cache cache --out vsc.mp4 --scenes 6
  best T_VSC "$T"; best C_VSC "$C"; best M_VSC30 "$M"
  [ $r -eq 1 ] && sed 's/^/  vsc full: /' run.log
  time_of ffmpeg -nostdin -v error -i c0.mp4 -i c1.mp4 -i c2.mp4 -i c3.mp4 -i c4.mp4 -i c5.mp4 -i music.wav \
    -filter_complex "$FC" -map "[vout]" -map "[aout]" -c:v libx264 -preset "$PRESET" -crf "$CRF" -pix_fmt yuv420p \
    -c:a aac -b:a 192k -movflags +faststart -y ffmpeg.mp4
  best T_FF "$T"; best C_FF "$C"; best M_FF "$M"
  vsc --cache cache --out vsc-edit.mp4 --scenes 6 --edit 2
  best T_EDIT "$T"; best C_EDIT "$C"
  [ $r -eq 1 ] && sed 's/^/  vsc edit: /' run.log
  echo "  run $r: wall vsc $T_VSC s, ffmpeg $T_FF s, edit $T_EDIT s (best so far); load $(cut -d' ' -f1-3 /proc/loadavg)"
  r=$((r + 1))
done
if [ "${VSC_BENCH_FULL:-1}" != 0 ]; then
D_VSC=$(ffprobe -v error -show_entries format=duration -of csv=p=0 vsc.mp4)
D_FF=$(ffprobe -v error -show_entries format=duration -of csv=p=0 ffmpeg.mp4)
echo "full render: vsc ${T_VSC} s wall, ${C_VSC} s CPU (${D_VSC} s of video); ffmpeg ${T_FF} s wall, ${C_FF} s CPU (${D_FF} s)"
echo "edit rebuild: vsc ${T_EDIT} s wall, ${C_EDIT} s CPU"
fi

# 3. Peak memory: the same job stretched to a 5 min timeline (67 scenes, 302 s), cold cache.
#    VSC_BENCH_MEMORY=0 skips it (it renders ten times the video).
if [ "${VSC_BENCH_MEMORY:-1}" != 0 ] && [ "${VSC_BENCH_FULL:-1}" != 0 ]; then
  rm -rf cache
  vsc --cache cache --out vsc-5min.mp4 --scenes 67
  M_VSC300=$M
  sed 's/^/  vsc 5 min: /' run.log
  echo "peak memory: vsc 30 s ${M_VSC30} KiB, 5 min ${M_VSC300} KiB; ffmpeg 30 s ${M_FF} KiB"
fi

# 4. Text: a title and karaoke captions (three words a cue, a word every 0.35 s) on every
#    scene, laid out by vsc's text layout and drawn by libass, vs the same job without text;
#    the ffmpeg program draws the same title and the same cues (one drawtext per cue, shown
#    between its times) with drawtext, vs no text; and vsc's job with colour emoji in the
#    title and captions (VSC_BENCH_EMOJI=0 skips that). VSC_BENCH_TEXT=0 skips it all.
if [ "${VSC_BENCH_TEXT:-1}" != 0 ]; then
  DT="drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='MEET THE AIRLOOP - LIGHTER FASTER BRIGHTER':fontsize=65:x=(w-text_w)/2:y=h*0.05:fontcolor=white:borderw=3:bordercolor=black"
  set -- Lighter faster brighter the Airloop runs further than any sneaker before it
  k=0; w=0
  while [ $k -lt 26 ]; do
    # The cues restart in each scene of vsc's job; here they run on: the same density.
    eval "a=\${$((w % 12 + 1))}"; eval "b=\${$(((w + 1) % 12 + 1))}"; eval "c=\${$(((w + 2) % 12 + 1))}"
    DT="$DT,drawtext=font=DejaVu Sans:text='$a $b $c':fontsize=43:x=(w-text_w)/2:y=h*0.85:fontcolor=white:borderw=3:bordercolor=black:enable='between(t,$(awk -v k=$k 'BEGIN{print k*1.05}'),$(awk -v k=$k 'BEGIN{print (k+1)*1.05}'))'"
    k=$((k + 1)); w=$((w + 3))
  done
  pre=${FC%%"[vout];"*}; post=${FC#*"[vout];"}
  FCT="$pre[xv];[xv]$DT[vout];$post"
  ffargs() { echo -nostdin -v error -i c0.mp4 -i c1.mp4 -i c2.mp4 -i c3.mp4 -i c4.mp4 -i c5.mp4 -i music.wav; }
  r=1
  while [ $r -le "$REPS" ]; do
    rm -rf cache
    vsc --cache cache --out vsc-text.mp4 --scenes 6 --text
    best T_TEXT "$T"; best C_TEXT "$C"
    if [ "${VSC_BENCH_EMOJI:-1}" != 0 ]; then
      rm -rf cache
      vsc --cache cache --out vsc-emoji.mp4 --scenes 6 --emoji
      best T_EMOJI "$T"; best C_EMOJI "$C"
    fi
    rm -rf cache
    vsc --cache cache --out vsc-plain.mp4 --scenes 6
    best T_PLAIN "$T"; best C_PLAIN "$C"
    time_of ffmpeg $(ffargs) -filter_complex "$FCT" -map "[vout]" -map "[aout]" -c:v libx264 -preset "$PRESET" -crf "$CRF" \
      -pix_fmt yuv420p -c:a aac -b:a 192k -movflags +faststart -y ffmpeg-text.mp4
    best T_FFT "$T"; best C_FFT "$C"
    time_of ffmpeg $(ffargs) -filter_complex "$FC" -map "[vout]" -map "[aout]" -c:v libx264 -preset "$PRESET" -crf "$CRF" \
      -pix_fmt yuv420p -c:a aac -b:a 192k -movflags +faststart -y ffmpeg-plain.mp4
    best T_FFP "$T"; best C_FFP "$C"
    echo "  text run $r: vsc text $C_TEXT s CPU, with emoji ${C_EMOJI:-} s, vsc plain $C_PLAIN s, ffmpeg drawtext $C_FFT s, ffmpeg plain $C_FFP s (best so far)"
    r=$((r + 1))
  done
  echo "text: vsc ${T_TEXT} s wall ${C_TEXT} s CPU, vsc without text ${T_PLAIN} s / ${C_PLAIN} s;" \
    "ffmpeg drawtext ${T_FFT} s / ${C_FFT} s, without text ${T_FFP} s / ${C_FFP} s"
fi

[ -n "${T_VSC:-}" ] && echo "RATIO wall time vsc/ffmpeg (target <= 1.0):            $(ratio "$T_VSC" "$T_FF")   (CPU time: $(ratio "$C_VSC" "$C_FF"))"
[ -n "${M_VSC300:-}" ] && echo "RATIO peak memory 5 min/30 s timeline (target < 1.2):  $(ratio "$M_VSC300" "$M_VSC30")"
[ -n "${T_EDIT:-}" ] && echo "RATIO rebuild one edited scene/full (target < 0.35):   $(ratio "$T_EDIT" "$T_VSC")   (CPU time: $(ratio "$C_EDIT" "$C_VSC"))"
if [ -n "${T_TEXT:-}" ]; then
  # The cost text adds to each renderer, and libass's against drawtext's.
  OV_VSC=$(ratio "$C_TEXT" "$C_PLAIN"); OV_FF=$(ratio "$C_FFT" "$C_FFP")
  echo "RATIO vsc libass title+captions / vsc without text (CPU; target <= 1.10): $OV_VSC   (wall: $(ratio "$T_TEXT" "$T_PLAIN"))"
  echo "RATIO ffmpeg drawtext title+caption / ffmpeg without text (CPU, for reference): $OV_FF"
  echo "RATIO libass text overhead / drawtext overhead (CPU; target <= 1.10): $(ratio "$OV_VSC" "$OV_FF")"
  if [ -n "${C_EMOJI:-}" ]; then
    # The same title and captions with colour emoji (a title with two, a caption emoji every
    # third cue): the cost of the emoji overlays, for reference.
    echo "RATIO vsc text with colour emoji / vsc text without (CPU, for reference): $(ratio "$C_EMOJI" "$C_TEXT")   (wall: $(ratio "$T_EMOJI" "$T_TEXT"))"
    echo "RATIO vsc text with colour emoji / vsc without text (CPU, for reference): $(ratio "$C_EMOJI" "$C_PLAIN")"
  fi
fi

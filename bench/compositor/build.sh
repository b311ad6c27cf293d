#!/bin/sh
# Compositor bench through the real CLI (issue 16's figures): `vsc build` on the reference
# job (bench/compositor/reference.vscript: six 5 s clips, 0.5 s crossfades, a music bed,
# libx264 veryfast CRF 23) and the ffmpeg program on the same inputs with the same encoder
# settings, in the same invocation, alternating. Prints medians and every ratio:
#   - rebuild after adding a title to one scene of 6 (and of 20) / full render;
#   - full render / ffmpeg, wall and CPU, at 720p and 1080p;
#   - speed-up of `--jobs 1,2,...` up to nproc over --jobs 1;
#   - peak memory: 5 min / 30 s timeline, and vsc / ffmpeg at 1080p;
#   - time to the first scene preview (scene s1's composed segment in the cache, from the
#     build's JSON progress) / full render.
# Asserts nothing about timings (the machine is shared: figures are noisy; medians of
# VSC_BENCH_REPS runs, default 3).
#   usage: bench/compositor/build.sh [BUILD_DIR]          (default: build)
#   VSC_BENCH_SIZES="720 1080"  VSC_BENCH_TWENTY=1  VSC_BENCH_JOBS=1  VSC_BENCH_LONG=1
# Needs /usr/bin/time (Debian package 'time') and the ffmpeg program.
set -eu
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
VSC=$(cd "$BUILD" && pwd)/cli/vsc
REPS=${VSC_BENCH_REPS:-3}
SIZES=${VSC_BENCH_SIZES:-720 1080}
NPROC=$(nproc)
[ -x "$VSC" ] || { echo "build.sh: build vsc first ($VSC)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "build.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-build-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# time_of CMD...: runs CMD under /usr/bin/time; sets T (wall s), C (user+sys s), M (peak RSS KiB).
time_of() {
  /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > run.log 2>&1 || { tail -20 run.log >&2; exit 1; }
  read -r T U S M < time.txt
  C=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# add LIST VALUE / median LIST: a space-separated list of samples per figure.
add() { eval "$1=\"\${$1:-} $2\""; }
median() { eval "echo \${$1:-}" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# fixtures SIZE: six 5 s clips at that size and a 5 min music bed, in dir SIZE/.
fixtures() {
  mkdir -p "$1"
  wh=$([ "$1" = 1080 ] && echo 1920x1080 || echo 1280x720)
  i=0
  while [ $i -lt 6 ]; do
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=s=$wh:r=30:d=5,hue=h=$((i * 60))" \
      -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -y "$1/c$i.mp4"
    i=$((i + 1))
  done
  ffmpeg -nostdin -v error -f lavfi \
    -i "aevalsrc=0.3*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*0.5*t))|0.3*sin(2*PI*330*t):s=48000:d=300" \
    -c:a pcm_s16le -y "$1/music.wav"
}

# script SIZE N [EDIT]: the reference job at SIZE with N scenes (clips in turn), written to
# SIZE/jobN[eEDIT].vscript; EDIT adds a title to scene EDIT. N=6 at 720p is the reference.
script() {
  out="$1/job$2${3:+e$3}.vscript"
  wh=$([ "$1" = 1080 ] && echo 1920x1080 || echo 1280x720)
  sed -n '/^video/,/music/p' "$HERE/reference.vscript" | sed "s/1280x720/$wh/" > "$out"
  k=1
  while [ $k -le "$2" ]; do
    then=$([ $k -lt "$2" ] && echo "  then fade 0.5s" || true)
    title=$([ "${3:-0}" = $k ] && echo '  text "EDITED" at center size 10%' || true)
    echo "  scene s$k { shot file \"c$(((k - 1) % 6)).mp4\"$title$then }" >> "$out"
    k=$((k + 1))
  done
  echo "}" >> "$out"
}

# ffmpeg_job SIZE N: the same picture with the ffmpeg program. vsc centres each 0.5 s (15
# frame) crossfade on a cut, so every clip is padded (its first or last frame held) by 7
# frames before and 8 after where it crossfades: N x 150 frames in all, the same music.
ffmpeg_job() {
  n=$2; dur=$((5 * n)); args=""; fc=""; k=0
  while [ $k -lt "$n" ]; do
    args="$args -i $1/c$((k % 6)).mp4"
    pad=""
    [ $k -gt 0 ] && pad="$pad,tpad=start_mode=clone:start=7"
    [ $k -lt $((n - 1)) ] && pad="$pad,tpad=stop_mode=clone:stop=8"
    fc="$fc[$k:v]settb=AVTB,fps=30,format=yuv420p$pad[v$k];"
    k=$((k + 1))
  done
  prev=v0; k=1
  while [ $k -lt "$n" ]; do
    # The picture so far is 150 k + 8 frames; the fade takes its last 15.
    fc="$fc[$prev][v$k]xfade=transition=fade:duration=0.5:offset=$(awk -v k=$k 'BEGIN { printf "%.6f", (150 * k - 7) / 30 }')[x$k];"
    prev=x$k; k=$((k + 1))
  done
  fc="$fc[$n:a]atrim=0:$dur,volume=-6dB,afade=t=out:st=$(awk -v d=$dur 'BEGIN { print d - 1.5 }'):d=1.5[aout]"
  time_of ffmpeg -nostdin -v error $args -i "$1/music.wav" -filter_complex "$fc" -map "[$prev]" -map "[aout]" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 192k -movflags +faststart \
    -y "$1/ffmpeg.mp4"
}

# vsc_build SCRIPT [ARGS]: `vsc build` with JSON progress; sets T C M and P (seconds from
# the start to scene s1's composed segment: its progress event's elapsed plus the time
# before the run began, i.e. compile).
vsc_build() {
  s=$1; shift
  time_of "$VSC" build "$s" --cache "$(dirname "$s")/cache" -o "$(dirname "$s")/out.mp4" --progress json "$@"
  P=$(awk -v wall="$T" '
    /"event": *"node"/ && /"op": *"segment"/ && /"scene": *"s1"/ && !/"part"/ && /"state": *"(done|cached)"/ && first == "" {
      match($0, /"elapsed": *[0-9.]+/); first = substr($0, RSTART, RLENGTH); sub(/.*: */, "", first) }
    /"event": *"end"/ { match($0, /"elapsed": *[0-9.]+/); end = substr($0, RSTART, RLENGTH); sub(/.*: */, "", end) }
    END { if (first == "" || end == "") print "nan"; else printf "%.2f", first + (wall - end) }' run.log)
}

echo "vsc build bench: $NPROC cores, medians of $REPS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
  fixtures "$size"
  script "$size" 6
  script "$size" 6 3
  r=1
  while [ "$r" -le "$REPS" ]; do
    rm -rf "$size/cache"
    vsc_build "$size/job6.vscript"
    add "T_FULL_$size" "$T"; add "C_FULL_$size" "$C"; add "M_FULL_$size" "$M"; add "P_$size" "$P"; PF=$P
    RUN="full $T s wall $C s CPU $M KiB, first scene $P s"
    ffmpeg_job "$size" 6
    add "T_FF_$size" "$T"; add "C_FF_$size" "$C"; add "M_FF_$size" "$M"
    RUN="$RUN; ffmpeg $T s wall $C s CPU $M KiB"
    vsc_build "$size/job6e3.vscript"
    add "T_EDIT_$size" "$T"; add "C_EDIT_$size" "$C"
    echo "  ${size}p run $r: $RUN; edit $T s wall $C s CPU; load $(cut -d' ' -f1 /proc/loadavg)"
    r=$((r + 1))
  done
  n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$size/out.mp4")
  nf=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$size/ffmpeg.mp4")
  echo "${size}p: vsc $n frames, ffmpeg $nf frames"
done

if [ "${VSC_BENCH_TWENTY:-1}" != 0 ]; then
  script 720 20
  script 720 20 10
  r=1
  while [ "$r" -le "$REPS" ]; do
    rm -rf 720/cache
    vsc_build 720/job20.vscript
    add T_FULL20 "$T"; add C_FULL20 "$C"
    vsc_build 720/job20e10.vscript
    add T_EDIT20 "$T"; add C_EDIT20 "$C"
    echo "  20 scenes run $r: full $(echo $T_FULL20 | awk '{print $NF}') s wall $(echo $C_FULL20 | awk '{print $NF}') s CPU, edit $T s wall $C s CPU"
    r=$((r + 1))
  done
fi

if [ "${VSC_BENCH_JOBS:-1}" != 0 ]; then
  r=1
  while [ "$r" -le "$REPS" ]; do
    j=1
    while [ $j -le "$NPROC" ]; do
      rm -rf 720/cache
      vsc_build 720/job6.vscript --jobs $j
      add "T_JOBS_$j" "$T"
      echo "  --jobs $j run $r: $T s wall, $C s CPU"
      j=$((j + 1))
    done
    r=$((r + 1))
  done
fi

if [ "${VSC_BENCH_LONG:-1}" != 0 ]; then
  script 720 60
  rm -rf 720/cache
  vsc_build 720/job60.vscript
  M_LONG=$M
  echo "  5 min timeline: $T s, $C s CPU, peak $M KiB"
fi

echo
for size in $SIZES; do
  eval "TF=\$(median T_FULL_$size); CF=\$(median C_FULL_$size); MF=\$(median M_FULL_$size); PF=\$(median P_$size)"
  eval "TX=\$(median T_FF_$size); CX=\$(median C_FF_$size); MX=\$(median M_FF_$size)"
  eval "TE=\$(median T_EDIT_$size); CE=\$(median C_EDIT_$size)"
  echo "${size}p: full $TF s wall $CF s CPU $MF KiB; ffmpeg $TX s wall $CX s CPU $MX KiB; edit $TE s wall $CE s CPU; first scene $PF s"
  echo "RATIO ${size}p full render / ffmpeg, wall (target <= 0.75):            $(ratio "$TF" "$TX")"
  echo "RATIO ${size}p full render / ffmpeg, CPU (target <= 0.9):              $(ratio "$CF" "$CX")"
  echo "RATIO ${size}p rebuild after editing 1 scene of 6 / full (target <= 0.2): $(ratio "$TE" "$TF")   (CPU: $(ratio "$CE" "$CF"))"
  echo "RATIO ${size}p first scene preview / full render (target <= 0.25):     $(ratio "$PF" "$TF")"
  [ "$size" = 1080 ] && echo "RATIO 1080p peak memory vsc / ffmpeg (target <= 0.6):                 $(ratio "$MF" "$MX")"
done
if [ -n "${T_FULL20:-}" ]; then
  TF=$(median T_FULL20); TE=$(median T_EDIT20)
  echo "20 scenes: full $TF s wall $(median C_FULL20) s CPU; edit $TE s wall $(median C_EDIT20) s CPU"
  echo "RATIO rebuild after editing 1 scene of 20 / full (target <= 0.1):      $(ratio "$TE" "$TF")   (CPU: $(ratio "$(median C_EDIT20)" "$(median C_FULL20)"))"
fi
if [ -n "${T_JOBS_1:-}" ]; then
  T1=$(median T_JOBS_1); j=1; line=""
  while [ $j -le "$NPROC" ]; do line="$line --jobs $j: $(median T_JOBS_$j) s ($(ratio "$T1" "$(median T_JOBS_$j)")x);"; j=$((j + 1)); done
  echo "RATIO speed-up over --jobs 1 (target: 4 cores >= 1.7x of 2):$line"
fi
if [ -n "${M_LONG:-}" ] && [ -n "${M_FULL_720:-}" ]; then
  echo "RATIO peak memory 5 min / 30 s timeline at 720p (target <= 1.1):      $(ratio "$M_LONG" "$(median M_FULL_720)")"
fi

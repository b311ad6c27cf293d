#!/bin/sh
# Bench: the studio against the CLI on the same script, in one invocation.
#   sh bench/studio/run.sh [SCRIPT.vscript] [RUNS]     (default examples/social.vscript, 2)
# Prints, per run and as medians: `vsc build` (fresh cache), the studio's Build-to-end time
# (fresh cache, measured in headless Chromium from the press of Build to the exit event on
# screen), the time from Build to the first scene preview on screen, and the ratio
# studio / CLI (target <= 1.1). Both use the local provider and --preview settings. On a
# loaded machine single runs vary by seconds, so it also prints the studio's time around the
# run (Build-to-end minus the runtime's own wall time), and CPU seconds, which load does not
# stretch: `vsc build`'s against the studio's build (its `vsc run` child + the studio server
# + every browser process, from the press of Build to the end on screen).
set -eu
unset REPLICATE_API_TOKEN  # both sides use the local provider
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VSC=${VSC:-$ROOT/build/cli/vsc}
WEB=${WEB:-$ROOT/build/studio/web}
SRC=${1:-examples/social.vscript}
RUNS=${2:-2}
[ -x "$VSC" ] || { echo "bench/studio: build vsc first ($VSC)" >&2; exit 1; }
[ -d "$WEB/node_modules/puppeteer-core" ] || { echo "bench/studio: $WEB has no node_modules (build vsc first)" >&2; exit 1; }
NAME=$(basename "$SRC")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }

i=1
cli_times="" studio_times="" first_times="" over_times="" cli_cpus="" studio_cpus="" browser_cpus=""
while [ "$i" -le "$RUNS" ]; do
  for who in cli studio; do
    d="$TMP/$who$i"
    mkdir -p "$d"
    cp -r "$(dirname "$SRC")"/. "$d"/
    rm -rf "$d/.vsc"
    if [ "$who" = cli ]; then
      t0=$(now)
      # `times` (POSIX) prints this subshell's children's user and system time last.
      cpu=$(cd "$d" && { "$VSC" build "$NAME" --preview --provider local --progress quiet >/dev/null 2>&1; times; } |
            tail -1 | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); n += a[1] * 60 + a[2] } print n }')
      t1=$(now)
      t=$(awk "BEGIN {print $t1 - $t0}")
      cli_times="$cli_times $t"
      cli_cpus="$cli_cpus $cpu"
      printf 'run %d  vsc build         %7.2fs  (CPU %.2fs)\n' "$i" "$t" "$cpu"
    else
      out=$(node "$ROOT/bench/studio/first_preview.mjs" "$VSC" "$d" "$NAME" "$WEB" 1)
      t=$(echo "$out" | sed 's/.*"total":\([0-9.]*\).*/\1/')
      f=$(echo "$out" | sed 's/.*"first_preview":\([0-9.]*\).*/\1/')
      st=$(echo "$out" | sed 's/.*"status":"\([a-z]*\)".*/\1/')
      run=$(echo "$out" | sed 's/.*"run":\([0-9.]*\).*/\1/')
      c_run=$(echo "$out" | sed 's/.*"cpu_run":\([0-9.]*\).*/\1/')
      c_srv=$(echo "$out" | sed 's/.*"cpu_server":\([0-9.]*\).*/\1/')
      c_web=$(echo "$out" | sed 's/.*"cpu_browser":\([0-9.]*\).*/\1/')
      cpu=$(awk "BEGIN {print $c_run + $c_srv + $c_web}")
      studio_cpus="$studio_cpus $cpu"
      browser_cpus="$browser_cpus $c_web"
      over=$(awk "BEGIN {print $t - $run}")
      over_times="$over_times $over"
      [ "$st" = completed ] || { echo "bench/studio: the studio's build ended '$st'" >&2; exit 1; }
      studio_times="$studio_times $t"
      first_times="$first_times $f"
      printf 'run %d  studio Build      %7.2fs  (first scene preview on screen after %.2fs; the run itself %.2fs, the studio around it %.2fs)\n' "$i" "$t" "$f" "$run" "$over"
      printf '                          CPU %.2fs  (vsc run %.2fs + studio server %.2fs + browser %.2fs)\n' "$cpu" "$c_run" "$c_srv" "$c_web"
    fi
  done
  i=$((i + 1))
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mc=$(median $cli_times)
ms=$(median $studio_times)
mf=$(median $first_times)
mo=$(median $over_times)
echo
printf '%s, %d runs, medians:\n' "$SRC" "$RUNS"
printf '  vsc build                     %7.2fs\n' "$mc"
printf '  studio: Build to end          %7.2fs\n' "$ms"
printf '  studio: Build to 1st preview  %7.2fs\n' "$mf"
printf '  studio: around the run         %7.2fs  (compile, plan, spawn, events to the page)\n' "$mo"
printf '  studio / vsc build            %7.3fx  (target <= 1.1x)\n' "$(awk "BEGIN {print $ms / $mc}")"
printf '  (vsc build + studio overhead) / vsc build  %7.3fx  (the same with the run times'"'"' noise removed)\n' "$(awk "BEGIN {print ($mc + $mo) / $mc}")"
mcc=$(median $cli_cpus)
msc=$(median $studio_cpus)
mbc=$(median $browser_cpus)
printf '  CPU: vsc build                %7.2fs\n' "$mcc"
printf '  CPU: studio build (all of it) %7.2fs  (of which the browser %.2fs)\n' "$msc" "$mbc"
printf '  CPU studio / vsc build        %7.3fx\n' "$(awk "BEGIN {print $msc / $mcc}")"

#!/bin/sh
# Batch bench through the real CLI (issue 17): N card-only variants of one script at preview
# size (a store name and colour per row, 6 s, 1280x720 made at 640x360) with the offline
# local provider, from an empty cache each time, two ways in the same invocation:
#   batch   `vsc batch --preview --jobs J` of the N rows (compiled and checked first, then a
#           pool of J builds on one cache)
#   builds  N separate `vsc build --preview --param …` runs, one after the other, on one cache
#           (the way a shell loop does it: builds on one cache cannot run side by side)
# Prints videos per minute, wall and CPU per video, and the ratios batch / builds (per-video
# overhead: the batch's compile-all-rows pass and its worker processes against N whole CLI
# runs). Then the price of N rows sharing one generated shot: `vsc plan --batch` against the
# sum of N single `vsc plan --param` runs (the saving, and the time of each way). Asserts
# nothing (the machine is shared: figures are noisy).
#   usage: bench/batch/run.sh [BUILD_DIR]   env: VSC_BENCH_ROWS (default 200), VSC_BENCH_JOBS
#   (default: the CPUs). Needs /usr/bin/time (Debian package 'time').
set -eu
BUILD=${1:-build}
VSC=$(cd "$BUILD" && pwd)/cli/vsc
N=${VSC_BENCH_ROWS:-200}
J=${VSC_BENCH_JOBS:-$(nproc)}
[ -x "$VSC" ] || { echo "run.sh: build vsc first ($VSC)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-batch-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

cat > card.vscript <<'VS'
param store string
param bg colour default #1b1b1b
video "Batch bench" {
  size 1280x720 fps 30
  scene hello (3s) { shot color bg  text "Now open" at center size 10% }
  scene store (3s) { shot color #111111  text store at center size 8% }
}
VS
awk -v n="$N" 'BEGIN { print "store,bg"; for (i = 1; i <= n; i++) printf "Store %d,#%02x%02x%02x\n", i, (i * 37) % 256, (i * 91) % 256, (i * 53) % 256 }' > rows.csv

# time_of CMD...: runs CMD under /usr/bin/time; sets T (wall s) and C (user+sys s, children too).
time_of() {
  /usr/bin/time -f "%e %U %S" -o time.txt "$@" > run.log 2>&1 || { tail -20 run.log >&2; exit 1; }
  read -r T U S < time.txt
  C=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

time_of "$VSC" batch card.vscript --data rows.csv -o b --preview --jobs "$J" --cache "$WORK/cache-batch" --progress quiet
TB=$T CB=$C
[ "$(ls b/out/*.mp4 | wc -l)" = "$N" ] || { echo "run.sh: the batch made $(ls b/out/*.mp4 | wc -l) of $N videos" >&2; exit 1; }

cat > loop.sh <<SH
i=0
tail -n +2 rows.csv | while IFS=, read -r store bg; do
  i=\$((i + 1))
  "$VSC" build card.vscript --preview --param "store=\$store" --param "bg=\$bg" -o "one/\$i.mp4" \
    --cache "$WORK/cache-builds" --progress quiet || exit 1
done
SH
mkdir one
time_of sh loop.sh
TS=$T CS=$C
[ "$(ls one/*.mp4 | wc -l)" = "$N" ] || { echo "run.sh: the builds made $(ls one/*.mp4 | wc -l) of $N videos" >&2; exit 1; }

echo "$N card-only variants, 1280x720 at preview size (640x360), 6 s each, local provider, empty caches, $J CPU(s)"
echo "batch  (vsc batch --jobs $J):  wall ${TB}s  cpu ${CB}s  $(calc "$N * 60 / $TB") videos/min  wall $(calc "$TB / $N")s/video  cpu $(calc "$CB / $N")s/video"
echo "builds ($N x vsc build):       wall ${TS}s  cpu ${CS}s  $(calc "$N * 60 / $TS") videos/min  wall $(calc "$TS / $N")s/video  cpu $(calc "$CS / $N")s/video"
echo "batch / builds: wall $(calc "$TB / $TS")x  cpu per video $(calc "$CB / $CS")x  (throughput $(calc "$TS / $TB")x)"

# The price of a batch whose rows share a paid shot: `vsc plan --batch` (each paid node once)
# against the sum of N single `vsc plan --param` runs (priced for replicate, nothing spent).
cat > spot.vscript <<'VS'
param product string
video "Product spot" {
  size 1280x720 fps 30 quality draft seed 7
  scene hero (2s) { shot video "steam rising from a ceramic cup at sunrise" }
  scene item (2s) { shot image product  text product at bottom }
}
VS
awk -v n="$N" 'BEGIN { print "product"; for (i = 1; i <= n; i++) printf "product %d on an oak table\n", i }' > products.csv
time_of "$VSC" plan --batch spot.vscript --data products.csv --provider replicate --json
TP=$T
cp run.log plan.json
cat > plans.sh <<SH
tail -n +2 products.csv | while read -r p; do
  "$VSC" plan spot.vscript --param "product=\$p" --provider replicate --json 2>/dev/null | grep '^  "estimated_cost"' || exit 1
done
SH
time_of sh plans.sh
TQ=$T
singles=$(awk -F': ' '{ gsub(",", "", $2); s += $2 } END { printf "%.3f", s }' run.log)
batch=$(awk -F': ' '/"batch_cost"/ { gsub(",", "", $2); printf "%.3f", $2 }' plan.json)
sum=$(awk -F': ' '/"sum_of_single_plans"/ { gsub(",", "", $2); printf "%.3f", $2 }' plan.json)
echo "plan --batch of $N rows sharing one generated shot: sum of single plans \$$sum (the $N plans add up to \$$singles), batch \$$batch, saving $(calc "100 * ($sum - $batch) / $sum")%"
echo "plan --batch / $N x vsc plan: wall $(calc "$TP / $TQ")x (${TP}s against ${TQ}s)"

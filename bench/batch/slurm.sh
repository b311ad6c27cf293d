#!/bin/sh
# Bench: a batch through the local pool and through a one-node Slurm cluster (started here,
# tests/slurm/cluster.sh), on the same machine, in one invocation (issue 17's figures):
#   - videos per minute of each, and the per-video overhead of the Slurm path over the local
#     pool (target <= 1.2x);
#   - the shared-node saving `vsc plan --batch` reports for a paid script against the sum of
#     the rows' single plans.
#   usage: bench/batch/slurm.sh [BUILD_DIR] [ROWS]      (default: build, 1000)
# Card-only variants at preview size with the local provider: what is measured is the batch
# machinery (compile, shard, schedule, build start), not generation.
set -eu
BUILD=${1:-build}
ROWS=${2:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VSC=$(cd "$BUILD" && pwd)/cli/vsc
[ -x "$VSC" ] || { echo "slurm.sh: build vsc first ($VSC)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vsc-batch-bench.XXXXXX)
CLUSTER="$WORK/cluster"
trap 'sh "$ROOT/tests/slurm/cluster.sh" stop "$CLUSTER"; rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"
cp "$HERE/card.vscript" .
python3 -c "
import sys
print('store,offer')
for i in range(1, int(sys.argv[1]) + 1): print('Store %d,Offer %d' % (i, i % 7))" "$ROWS" >rows.csv
now() { date +%s.%N; }
per_min() { awk -v n="$ROWS" -v t="$1" 'BEGIN { printf "%.1f", n * 60 / t }'; }
CPUS=$(nproc)

# The local pool: as many builds at once as cores.
t0=$(now)
"$VSC" batch card.vscript --data rows.csv -o local --jobs "$CPUS" --preview --cache "$WORK/cache-local" \
  --progress quiet >/dev/null
t1=$(now)
TL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
[ "$(ls local/out/*.mp4 | wc -l)" = "$ROWS" ] || { echo "slurm.sh: the local pool did not make $ROWS videos" >&2; exit 1; }

# Slurm: the same rows, submitted and waited for until the report job wrote report.json.
sh "$ROOT/tests/slurm/cluster.sh" start "$CLUSTER"
export SLURM_CONF="$CLUSTER/slurm.conf"
t0=$(now)
"$VSC" batch card.vscript --data rows.csv -o slurm --preview --cache "$WORK/cache-slurm" --slurm \
  --progress quiet >/dev/null
until [ -f slurm/report.json ] && ! "$VSC" batch status slurm | grep -q '^jobs (id'; do sleep 0.2; done
t1=$(now)
TS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
[ "$(ls slurm/out/*.mp4 | wc -l)" = "$ROWS" ] || { echo "slurm.sh: Slurm did not make $ROWS videos" >&2; exit 1; }
TASKS=$(python3 -c "import json; print(json.load(open('slurm/slurm/jobs.json'))[0]['tasks'])")

# The shared-node saving of a paid script: one shot every row shares, one still per row.
python3 -c "
import sys
print('product')
for i in range(1, int(sys.argv[1]) + 1): print('a mug with the number %d on it' % (i % 50))" "$ROWS" >paid.csv
cp "$ROOT/tests/slurm/spot.vscript" .
"$VSC" plan --batch spot.vscript --data paid.csv --provider replicate --cache "$WORK/cache-plan" --json >plan.json

printf '%s rows, %s cores; card-only 640x360 at preview, local provider\n' "$ROWS" "$CPUS"
printf '  local pool (--jobs %s)   %8.1fs  %s videos/min\n' "$CPUS" "$TL" "$(per_min "$TL")"
printf '  Slurm (%s tasks)          %8.1fs  %s videos/min  (submit to report.json)\n' "$TASKS" "$TS" "$(per_min "$TS")"
printf 'RATIO Slurm / local pool, per video (target <= 1.2):  %s\n' "$(awk -v a="$TS" -v b="$TL" 'BEGIN { printf "%.3f", a / b }')"
python3 - <<'EOP'
import json
p = json.load(open('plan.json'))
s, b = p['sum_of_single_plans'], p['batch_cost']
print('plan --batch (one shared shot, 50 distinct stills): sum of single plans $%.2f, batch $%.2f, saving $%.2f (%.0f%%)' % (s, b, s - b, 100 * (s - b) / s))
EOP

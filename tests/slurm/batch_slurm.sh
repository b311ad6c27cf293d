#!/bin/sh
# vsc batch --slurm on a one-node test cluster (cluster.sh) against mock-replicate: 200 rows,
# one shared shot. The make stage pays for the shared shot once; the array runs the rest in
# shards. One array task is cancelled with scancel mid-way; `vsc batch status` shows what is
# left; `--resume --slurm` submits only that. Then: every row rendered once (finished videos
# untouched by the resume), every prediction created once (the shared shot once), mock billing
# equal to the merged ledgers, the batch budget held, the token in no file of the batch.
#   batch_slurm.sh VSC MOCK_REPLICATE CLUSTER_SH
set -eu
vsc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mock=$2
cluster=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(pwd)/batch_slurm.work
mockpid=
rm -rf "$work"
mkdir -p "$work"
cleanup() {
  [ -n "$mockpid" ] && kill "$mockpid" 2>/dev/null && wait "$mockpid" 2>/dev/null
  sh "$cluster" stop "$work/cluster"
}
trap cleanup EXIT INT TERM
fail() {
  echo "FAIL: $*"
  for f in "$work"/b/slurm/logs/*.out; do [ -f "$f" ] && { echo "== $f"; tail -n 5 "$f"; }; done
  exit 1
}
cd "$work"
cp "$here/spot.vscript" .
sh "$cluster" start "$work/cluster" || fail "the test cluster did not start"
export SLURM_CONF="$work/cluster/slurm.conf"

token=r8_slurm_batch_secret_9c41e7
"$mock" --port 0 --latency 0.1 --token "$token" >mock.out 2>mock.err &
mockpid=$!
i=0
until grep -q listening mock.out 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 200 ] || fail "mock-replicate did not start"
  sleep 0.05
done
base=$(sed -n 's/.*listening on //p' mock.out)
# Slurm passes the submitting shell's environment to every task (--export=ALL).
export REPLICATE_API_BASE="$base/v1" REPLICATE_API_TOKEN="$token" VSC_REPLICATE_SETTLE=2
billing() { curl -s -H "Authorization: Bearer $token" "$base/_mock/billing"; }

python3 -c "
print('product')
for i in range(1, 201): print('a mug with the number %d on it' % i)" >rows.csv
"$vsc" plan --batch spot.vscript --data rows.csv --provider replicate --cache "$work/cache" --json >plan.json
budget=$(python3 -c "import json; print('%.4f' % (json.load(open('plan.json'))['batch_cost'] * 1.25))")

# waits until squeue lists none of the batch's jobs (at most $1 seconds)
wait_jobs() {
  i=0
  while "$vsc" batch status b | grep -q '^jobs (id'; do
    i=$((i + 1))
    [ $i -lt $(($1 * 5)) ] || fail "the batch's jobs did not end in $1 s"
    sleep 0.2
  done
}
finished() { ls b/rows/*.result.json 2>/dev/null | wc -l; }

"$vsc" batch spot.vscript --data rows.csv -o b --provider replicate --budget "\$$budget" --cache "$work/cache" \
  --slurm --rows-per-task 25 --slurm-max 3 --slurm-licence replicate >submit.out 2>submit.err || { cat submit.err; fail "submit failed"; }
grep -q "job [0-9]* makes the 1 rows others share first" submit.err || { cat submit.err; fail "no make stage for the shared shot"; }
array=$(cat submit.out)
# Cancel one running array task once some rows are done.
i=0
until [ "$(finished)" -ge 20 ]; do
  i=$((i + 1))
  [ $i -lt 600 ] || fail "no 20 rows finished in 120 s"
  sleep 0.2
done
# The running task with the most rows left (its shard is line K+1 of rows-1.txt), and more
# than 10: one that is about to end can finish its last rows before the cancel reaches it on
# a loaded machine, and leave nothing for the resume.
rows_left() {
  n=0
  for r in $(sed -n "$(($1 + 1))p" b/slurm/rows-1.txt); do
    j=${r%-*}
    while [ "$j" -le "${r#*-}" ]; do
      [ -f "b/rows/$(printf %06d "$j").result.json" ] || n=$((n + 1))
      j=$((j + 1))
    done
  done
  echo "$n"
}
task=
i=0
while [ -z "$task" ]; do
  most=10
  for t in $(squeue -h -j "$array" -t RUNNING -o %i); do
    n=$(rows_left "${t#*_}")
    [ "$n" -gt "$most" ] && most=$n && task=$t
  done
  [ -n "$task" ] && break
  i=$((i + 1))
  [ $i -lt 300 ] || fail "no running task of array $array with rows left to cancel"
  sleep 0.1
done
scancel "$task"
wait_jobs 300
"$vsc" batch status b >status.txt
left=$((200 - $(sed -n 's/^rows: \([0-9]*\) finished.*/\1/p' status.txt)))
grep -q "^rows: " status.txt || fail "status: $(cat status.txt)"
[ "$left" -gt 0 ] || { cat status.txt; fail "the cancelled task left nothing to do"; }
grep -q ", 1 stopped," status.txt || { cat status.txt; fail "the row the cancel stopped is not shown as stopped"; }
state=$(scontrol show job "$task" 2>/dev/null | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
[ "$state" = CANCELLED ] || fail "task $task ended $state, not CANCELLED"
billing >billing1.json
# Videos finished before the resume: the resume must not touch them.
for f in b/out/*.mp4; do stat -c '%n %Y %s' "$f"; done | sort >before.txt

"$vsc" batch spot.vscript --data rows.csv -o b --provider replicate --budget "\$$budget" --cache "$work/cache" \
  --resume --slurm --rows-per-task 25 >resume.out 2>resume.err || { cat resume.err; fail "resume failed"; }
grep -q "submitted $left rows" resume.err || { cat resume.err status.txt; fail "the resume did not submit exactly the $left rows left"; }
wait_jobs 300
billing >billing2.json
"$vsc" batch status b | grep -q "^rows: 200 finished, 0 failed, 0 stopped, 0 not run yet" || fail "after the resume: $("$vsc" batch status b)"
for f in b/out/*.mp4; do stat -c '%n %Y %s' "$f"; done | sort >after.txt
comm -23 before.txt after.txt | grep . && fail "the resume touched videos finished before it"
[ "$(ls b/out/*.mp4 | wc -l)" = 200 ] || fail "not 200 videos"
[ -f b/report.json ] || fail "no report"
python3 - "$budget" <<'EOP'
import json, sys
b = json.load(open('billing2.json'))
r = json.load(open('b/report.json'))
recs = b['records']
ids = [x['id'] for x in recs]
models = {}
for x in recs: models[x['model']] = models.get(x['model'], 0) + 1
errs = []
if len(ids) != len(set(ids)): errs.append('a prediction billed twice')
if sorted(models.values()) != [1, 200]: errs.append('creates per model %s (want the shot once, 200 stills)' % models)
if abs(b['total'] - r['totals']['spent']) > 1e-9: errs.append('billing %s != merged ledgers %s' % (b['total'], r['totals']['spent']))
if b['total'] > float(sys.argv[1]) + 1e-9: errs.append('billed %s over the budget %s' % (b['total'], sys.argv[1]))
if r['totals']['ok'] != 200: errs.append('rows ok: %s' % r['totals'])
preds = [p for x in r['rows'] for p in x['predictions']]
if sorted(preds) != sorted(ids): errs.append('report predictions != billed (%d vs %d)' % (len(preds), len(ids)))
if errs:
    print('FAIL:', '; '.join(errs)); raise SystemExit(1)
print('slurm batch: 200 rows, %d predictions created once, $%.4f billed = merged ledgers <= budget $%s' % (len(ids), b['total'], sys.argv[1]))
EOP
! grep -rl "$token" b "$work/cache" >/dev/null 2>&1 || fail "the token is written in the batch or the cache"

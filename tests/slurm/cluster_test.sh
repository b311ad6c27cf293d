#!/bin/sh
# The test cluster works as a cluster: a job array of 6 tasks, at most 2 at once, each
# writing its index; a long job cancelled with scancel; then the cluster stopped while a job
# runs, and nothing of it left running.
set -eu
cluster=$1
dir=$(pwd)/slurm.cluster
fail() {
  echo "slurm.cluster: $*" >&2
  for f in "$dir"/log/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }; done
  sh "$cluster" stop "$dir"
  exit 1
}
trap 'sh "$cluster" stop "$dir"' EXIT INT TERM
sh "$cluster" start "$dir" || fail "the cluster did not start"
export SLURM_CONF="$dir/slurm.conf"
mkdir -p "$dir/out"
cat >"$dir/task.sh" <<'TASK'
#!/bin/sh
echo "$SLURM_ARRAY_TASK_ID" >"$1/task.$SLURM_ARRAY_TASK_ID.tmp"
mv "$1/task.$SLURM_ARRAY_TASK_ID.tmp" "$1/task.$SLURM_ARRAY_TASK_ID"
TASK
job=$(sbatch --parsable --array=0-5%2 --output=/dev/null "$dir/task.sh" "$dir/out") || fail "sbatch of the array failed"
i=0
while squeue -h -j "$job" 2>/dev/null | grep -q .; do
  i=$((i + 1))
  [ $i -lt 300 ] || fail "array $job did not finish in 60 s"
  sleep 0.2
done
for k in 0 1 2 3 4 5; do
  [ "$(cat "$dir/out/task.$k" 2>/dev/null)" = "$k" ] || fail "task $k of array $job did not write its index"
done
# start_long: submits `sleep 300` and prints its id once its step runs. RUNNING comes before
# slurmd has started the job's step; a cancel in between left the step stuck (seen once in
# an ASan run: cancelled 22 ms after launch, still listed 20 s later), so a second more.
start_long() {
  id=$(sbatch --parsable --output=/dev/null --wrap "sleep 300") || fail "sbatch of a long job failed"
  i=0
  until [ "$(squeue -h -j "$id" -o %T)" = RUNNING ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "job $id never started"
    sleep 0.2
  done
  sleep 1
  echo "$id"
}
long=$(start_long) || exit 1
scancel "$long"
i=0
while squeue -h -j "$long" -o %T 2>/dev/null | grep -q .; do
  i=$((i + 1))
  [ $i -lt 100 ] || fail "job $long still listed after scancel"
  sleep 0.2
done
state=$(scontrol show job "$long" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
[ "$state" = CANCELLED ] || fail "job $long ended $state, not CANCELLED"
# Stopped while a job runs (as after a failed test), the cluster leaves nothing behind: a
# job step and its job outlive slurmd, so stop ends them too.
left=$(start_long) || exit 1
trap - EXIT INT TERM
sh "$cluster" stop "$dir"
for p in slurmctld slurmd munged; do
  pgrep -f "$dir" >/dev/null 2>&1 && fail "a daemon of the test cluster is still running"
done
for env in /proc/[0-9]*/environ; do
  pid=${env#/proc/}
  pid=${pid%/environ}
  [ "$pid" = $$ ] && continue
  # This shell has the cluster's SLURM_CONF too; a step, a job and their children also do.
  tr '\0' '\n' 2>/dev/null <"$env" | grep -qx "SLURM_CONF=$dir/slurm.conf" &&
    fail "$(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) of the cluster still runs after stop, job $left running"
done
echo "slurm.cluster: array of 6 (2 at once) ran, scancel cancelled, daemons, a running job and its step stopped"

#!/bin/sh
# A one-node Slurm cluster for tests: munged, slurmctld and slurmd on 127.0.0.1, with their
# key, config, state, spool and logs under DIR and private ports, so a test can submit real
# job arrays and never touch a system Slurm.
#   cluster.sh start DIR   writes DIR/slurm.conf, starts the daemons, waits for the node
#   cluster.sh stop DIR    stops them and any job still running on the cluster (safe to call
#                          twice, or after a failed start)
# Clients then use SLURM_CONF=DIR/slurm.conf.
set -eu
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop() {
  if [ -f "$dir/slurm.conf" ]; then
    for p in slurmd slurmctld; do
      [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    # Wait for both to go, so the next cluster can take the ports and the state.
    i=0
    while [ $i -lt 50 ]; do
      alive=0
      for p in slurmd slurmctld; do
        [ -f "$dir/$p.pid" ] && kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null && alive=1
      done
      [ $alive -eq 0 ] && break
      sleep 0.2
      i=$((i + 1))
    done
    for p in slurmd slurmctld; do
      [ -f "$dir/$p.pid" ] && kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true
      rm -f "$dir/$p.pid"
    done
    # A job step (slurmstepd) and its job outlive slurmd by design: after a failed test
    # they would run on. Both carry this cluster's SLURM_CONF; the job also its SLURM_JOB_ID.
    for env in /proc/[0-9]*/environ; do
      pid=${env#/proc/}
      pid=${pid%/environ}
      vars=$(tr '\0' '\n' 2>/dev/null <"$env") || continue
      printf '%s\n' "$vars" | grep -qx "SLURM_CONF=$dir/slurm.conf" || continue
      if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmstepd ] || printf '%s\n' "$vars" | grep -q '^SLURM_JOB_ID='; then
        kill -9 "$pid" 2>/dev/null || true
      fi
    done
  fi
  [ -S "$dir/munge/munge.sock" ] && munged --stop --socket="$dir/munge/munge.sock" >/dev/null 2>&1 || true
  return 0
}

case $cmd in
stop)
  stop
  exit 0
  ;;
start) ;;
*)
  echo "usage: cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac

for p in munged slurmctld slurmd sbatch; do
  command -v $p >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v $p >/dev/null 2>&1 || { echo "cluster.sh: $p is not installed (scripts/setup.sh installs slurm-wlm and munge)" >&2; exit 2; }
done
stop
rm -rf "$dir"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
dir=$(cd "$dir" && pwd)
# munged wants its key private and its socket's directory searchable.
chmod 711 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" --log-file="$dir/log/munged.log" \
  --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"

host=$(hostname -s)
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=vsctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MaxArraySize=1001
MaxJobCount=10000
MinJobAge=300
# A cluster-wide cap a batch can hold to (vsc batch --slurm-licence replicate).
Licenses=replicate:2
NodeName=vsc1 NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=vsc1 Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -i -f "$SLURM_CONF"
slurmd -N vsc1 -f "$SLURM_CONF"
i=0
until sinfo -h -n vsc1 -o %T 2>/dev/null | grep -q idle; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then
    echo "cluster.sh: the node did not come up in 20 s; logs in $dir/log" >&2
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    stop
    exit 1
  fi
  sleep 0.2
done

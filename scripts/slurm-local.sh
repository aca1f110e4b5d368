#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying `mlbench submit`
# on a workstation and for the integration tests. Needs Debian's slurm-wlm
# (slurmctld, slurmd) and munge; no systemd. Usage:
#
#   scripts/slurm-local.sh up       # start munged, slurmctld, slurmd; wait until the node is idle
#   scripts/slurm-local.sh status   # daemons, sinfo, squeue
#   scripts/slurm-local.sh down     # stop the daemons (the config is kept)
#
# `up` is idempotent: daemons already running are left alone unless the
# config it writes changed. It writes $SLURM_CONF (default
# /etc/slurm/slurm.conf) and refuses to replace one it did not write unless
# SLURM_LOCAL_FORCE=1. Environment:
#   SLURM_LOCAL_TIMEOUT  seconds to wait for an idle node (default 90)
#   SLURM_LOCAL_CLUSTER  ClusterName (default mlbench)
set -euo pipefail

CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
MARK="# written by mlbench scripts/slurm-local.sh"
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-90}
CLUSTER=${SLURM_LOCAL_CLUSTER:-mlbench}
SPOOL_CTLD=/var/spool/slurmctld
SPOOL_D=/var/spool/slurmd
LOGDIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_DIR=/run/munge
MUNGE_KEY=/etc/munge/munge.key

say() { echo "slurm-local: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "run as root, or install sudo: the daemons and $CONF need root"
  SUDO=(sudo)
fi
as_root() { "${SUDO[@]}" "$@"; }

need() {
  local missing=()
  for b in munged slurmctld slurmd sinfo scontrol; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}; install them with: sudo apt-get install -y slurm-wlm slurmctld slurmd munge"
}

bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# alive PIDFILE: the process named in PIDFILE is running.
alive() { [ -s "$1" ] && as_root kill -0 "$(as_root cat "$1")" 2>/dev/null; }

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if [ ! -s "$MUNGE_KEY" ]; then
    say "creating munge key $MUNGE_KEY"
    as_root install -d -o munge -g munge -m 0700 "$(dirname "$MUNGE_KEY")"
    as_root mungekey --create --keyfile="$MUNGE_KEY"
    as_root chown munge:munge "$MUNGE_KEY"
    as_root chmod 0600 "$MUNGE_KEY"
  fi
  if munge_ok; then
    return
  fi
  as_root install -d -o munge -g munge -m 0755 "$MUNGE_DIR"
  as_root install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  say "starting munged"
  as_root runuser -u munge -- "$(bin munged)" --force
  for _ in $(seq 1 50); do
    munge_ok && return
    sleep 0.2
  done
  as_root tail -n 20 /var/log/munge/munged.log >&2 || true
  die "munged did not come up"
}

# node_line prints the NodeName line for this machine from slurmd -C, with
# a little memory held back so that a slightly smaller reading at the next
# start does not drain the node.
node_line() {
  local host cpus mem line
  host=$(hostname -s)
  line=$("$(bin slurmd)" -C 2>/dev/null | head -n 1 || true)
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$line")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$cpus" ] || cpus=$(nproc)
  [ -n "$mem" ] || mem=$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)
  mem=$((mem * 95 / 100))
  echo "NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN"
}

render_conf() {
  local host user
  host=$(hostname -s)
  user=root
  id slurm >/dev/null 2>&1 && user=slurm
  cat <<EOF
$MARK
# A single-node cluster: this machine is controller and compute node.
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits cred_expire seconds before it may start again.
AuthInfo=cred_expire=20
StateSaveLocation=$SPOOL_CTLD
SlurmdSpoolDir=$SPOOL_D
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no accounting: works in containers and on any workstation.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Requeue: jobs may be requeued; a node back from a failure returns to service.
JobRequeue=1
ReturnToService=2
# Fast scheduling for a small, interactive cluster.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2,sched_min_interval=100000
MessageTimeout=20
KillWait=30
MinJobAge=300
InactiveLimit=0
SlurmdTimeout=120
SlurmctldTimeout=120
MaxArraySize=10001
$(node_line)
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# write_conf writes $CONF when its content changes and sets CHANGED=1 then.
CHANGED=0
write_conf() {
  local new
  new=$(render_conf)
  CHANGED=1
  if [ -e "$CONF" ]; then
    if ! grep -qF "$MARK" "$CONF" && [ "${SLURM_LOCAL_FORCE:-0}" != 1 ]; then
      die "$CONF exists and was not written by this script; move it away or set SLURM_LOCAL_FORCE=1 to replace it"
    fi
    if [ "$(as_root cat "$CONF")" = "$new" ]; then
      CHANGED=0
    fi
  fi
  if [ $CHANGED -eq 1 ]; then
    say "writing $CONF"
    as_root install -d -m 0755 "$(dirname "$CONF")"
    printf '%s\n' "$new" | as_root tee "$CONF.tmp" >/dev/null
    as_root mv "$CONF.tmp" "$CONF"
  fi
}

stop_pid() {
  local name=$1 pidfile=$2
  alive "$pidfile" || return 0
  local pid
  pid=$(as_root cat "$pidfile")
  say "stopping $name ($pid)"
  as_root kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    as_root kill -0 "$pid" 2>/dev/null || { as_root rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  say "$name did not stop in 10s; killing it"
  as_root kill -9 "$pid" 2>/dev/null || true
  as_root rm -f "$pidfile"
}

node_state() { sinfo -h -n "$(hostname -s)" -o %t 2>/dev/null | head -n 1; }

# slurmd_registered SINCE: slurmctld has heard from a slurmd started at or
# after SINCE (epoch seconds); a restored state says idle before that.
slurmd_registered() {
  local t
  t=$(scontrol show node -o "$(hostname -s)" 2>/dev/null | sed -n 's/.*SlurmdStartTime=\([^ ]*\).*/\1/p')
  [ -n "$t" ] && [ "$t" != None ] && [ "$(date -d "$t" +%s 2>/dev/null || echo 0)" -ge "$1" ]
}

# wait_idle SINCE: wait until the node answers and is usable.
wait_idle() {
  local deadline=$((SECONDS + TIMEOUT)) st="" since=${1:-0}
  while [ $SECONDS -lt $deadline ]; do
    st=$(node_state || true)
    if [ "$since" -gt 0 ] && ! slurmd_registered "$since"; then
      sleep 1
      continue
    fi
    case "$st" in
      idle|mix|mix-|alloc|comp|idle~) say "node $(hostname -s) is $st"; return 0 ;;
      down*|drain*|drng*|fail*)
        as_root scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  say "the node did not become idle in ${TIMEOUT}s (state: ${st:-no answer from slurmctld})"
  for f in slurmctld slurmd; do
    echo "--- $LOGDIR/$f.log (tail)" >&2
    as_root tail -n 25 "$LOGDIR/$f.log" >&2 || true
  done
  exit 1
}

up() {
  need
  start_munge
  write_conf
  as_root install -d -o "$(id slurm >/dev/null 2>&1 && echo slurm || echo root)" -m 0755 "$SPOOL_CTLD" "$LOGDIR"
  as_root install -d -m 0755 "$SPOOL_D"
  if [ $CHANGED -eq 1 ]; then
    stop_pid slurmd "$SLURMD_PID"
    stop_pid slurmctld "$CTLD_PID"
  fi
  if ! alive "$CTLD_PID"; then
    say "starting slurmctld"
    # Without -c: queued jobs survive a restart (state in $SPOOL_CTLD).
    as_root "$(bin slurmctld)" -f "$CONF" || die "slurmctld failed to start; see $LOGDIR/slurmctld.log"
  fi
  local since=0
  if ! alive "$SLURMD_PID"; then
    say "starting slurmd"
    since=$(($(date +%s) - 1))
    as_root "$(bin slurmd)" -f "$CONF" || die "slurmd failed to start; see $LOGDIR/slurmd.log"
  fi
  wait_idle "$since"
}

down() {
  stop_pid slurmd "$SLURMD_PID"
  stop_pid slurmctld "$CTLD_PID"
  if [ -s "$MUNGE_DIR/munged.pid" ]; then
    stop_pid munged "$MUNGE_DIR/munged.pid"
  fi
}

status() {
  local rc=0
  for d in "munged:$MUNGE_DIR/munged.pid" "slurmctld:$CTLD_PID" "slurmd:$SLURMD_PID"; do
    if alive "${d#*:}"; then
      echo "${d%%:*}: running (pid $(as_root cat "${d#*:}"))"
    else
      echo "${d%%:*}: stopped"; rc=1
    fi
  done
  if [ $rc -eq 0 ]; then
    sinfo || rc=1
    squeue || rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

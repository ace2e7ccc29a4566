#!/usr/bin/env bash
# Runs the README's Slurm array job for real on a one-node Slurm cluster started on this machine,
# then checks that `tailsim report` over the shards' parts prints exactly the tables of one
# unsharded run. NOT part of `npm test`: it needs root, installs Debian's slurm-wlm and munge, and
# starts daemons (munged, slurmctld, slurmd), which it stops again at the end.
#
#   sudo scripts/slurm-smoke.sh            # from the repository root; takes a few minutes
#
# Environment: SHARDS (default 4), KEEP=1 leaves the work directory (printed) in place.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SHARDS=${SHARDS:-4}
WORK=$(mktemp -d /tmp/tailsim-slurm.XXXXXX)
HOST=$(hostname -s)
say() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then echo "slurm-smoke: run as root (it installs packages and starts daemons)" >&2; exit 1; fi

say "install slurm-wlm and munge (Debian packages)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

say "package tailsim (npm pack) and install it into $WORK/prefix"
npm run build --silent >/dev/null
TGZ=$(npm pack --silent --pack-destination "$WORK" | tail -n 1)
npm install --global --prefix "$WORK/prefix" --offline --no-audit --no-fund --silent "$WORK/$TGZ" >/dev/null 2>&1 ||
  npm install --global --prefix "$WORK/prefix" --no-audit --no-fund --silent "$WORK/$TGZ" >/dev/null
export PATH="$WORK/prefix/bin:$PATH"
tailsim --version

say "start munged, slurmctld and slurmd (one node: $HOST, $(nproc) CPUs)"
mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown munge:munge /run/munge
[ -s /etc/munge/munge.key ] || mungekey --create --force
chown munge:munge /etc/munge/munge.key
chmod 600 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=tailsim-smoke
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$HOST CPUs=$(nproc) RealMemory=$MEM State=UNKNOWN
PartitionName=smoke Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
cleanup() {
  scancel --quiet --user=root 2>/dev/null || true
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
pkill -x slurmd 2>/dev/null || true
pkill -x slurmctld 2>/dev/null || true
sleep 1
slurmctld -c -i
slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix)'; then break; fi
  sleep 1
done
sinfo

say "submit the README's array job: $SHARDS shards"
mkdir -p "$WORK/run"
cp traces/exp-10us.parquet "$WORK/run/trace.parquet"
cd "$WORK/run"
# The same batch script the README shows, sized down: a few loads, fewer requests, 1 CPU a task.
export TRACE="$WORK/run/trace.parquet" LOADS="0.3,0.6,0.8" POLICIES="zygos,ix,mgn-fcfs"
export TAILSIM_EXTRA="--seed 7"
sbatch --wait --array=1-"$SHARDS" --cpus-per-task=1 --export=ALL "$REPO/examples/slurm/tailsim-array.sbatch"
sacct >/dev/null 2>&1 || true
ls -l results/
for f in tailsim-*.log; do echo "--- $f"; tail -n 3 "$f"; done

say "report over the parts, and the same sweep unsharded"
tailsim report results/ --format csv > sharded.csv
tailsim compare "$TRACE" --policies "$POLICIES" --loads "$LOADS" --cores 16 --seed 7 --jobs 2 --format csv > unsharded.csv
cat sharded.csv
if diff -u unsharded.csv sharded.csv; then
  say "OK: the $SHARDS shards' report equals the unsharded run"
else
  say "FAIL: the sharded report differs from the unsharded run"
  exit 1
fi

#!/usr/bin/env bash
# deploy/slurm/trawl-logs.sbatch on a one-node Slurm cluster started here
# (issue 17): munged, slurmctld and slurmd run from a private folder with
# their own key, config, ports and spool; a planted log archive is swept by an
# array job of 3 shards, and the merge job the first task submits writes the
# fleet report. The union of the shards' findings must equal an unsharded
# scan of the archive. Everything started is stopped by its pid. Needs root
# and Debian's slurm-wlm and munge (scripts/setup.sh); fails, never skips.
#   slurm_e2e_test.sh SOURCE_DIR TRAWL_BINARY
set -euo pipefail
src=$1 trawl=$2
TEST=slurm_e2e
on_fail() { [[ -n ${tmp:-} ]] && tail -n 20 "$tmp"/*.log >&2 2>/dev/null; }
source "$src/tests/deploy/lib.sh"
need_root "slurmd runs jobs as their user"
need /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue scontrol /usr/bin/python3
start_tmp

# munge: its own key and socket.
mkdir -p "$tmp/munge"
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
/usr/sbin/munged --foreground --force --key-file="$tmp/munge/munge.key" \
  --socket="$tmp/munge/munge.sock" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munge/seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $tmp/munge/munge.sock ]] && break; sleep 0.1; done
[[ -S $tmp/munge/munge.sock ]] || fail "munged did not start"

node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$tmp/spool/ctld" "$tmp/spool/d"
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CFG
ClusterName=trawltest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/spool/ctld
SlurmdSpoolDir=$tmp/spool/d
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CFG
/usr/sbin/slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -f "$SLURM_CONF" -N "$node" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)' && break
  sleep 0.3
done
sinfo -h -o '%T' | grep -qE '^(idle|mixed)' || fail "the node did not come up: $(sinfo 2>&1)"

# A planted log archive: C2 contacts across many files.
arch=$tmp/archive
mkdir -p "$arch" "$tmp/feed"
echo "c2-a.slurm-test.example" >"$tmp/feed/c2.txt"
echo "c2-b.slurm-test.example" >>"$tmp/feed/c2.txt"
for k in $(seq 1 30); do
  d=$arch/host$((k % 6))/var/log
  mkdir -p "$d"
  {
    echo "2023-03-$(printf '%02d' $((k % 28 + 1)))T10:00:00Z h$k app: beacon to c2-a.slurm-test.example"
    echo "2023-03-$(printf '%02d' $((k % 28 + 1)))T11:00:00Z h$k app: resolved harmless.example"
    ((k % 3)) || echo "2023-03-29T12:00:00Z h$k app: fetched c2-b.slurm-test.example/x"
  } >"$d/app$k.log"
done
set +e
"$trawl" scan "$arch" --iocs "$tmp/feed/c2.txt" --no-builtin --no-packs -q --no-color \
  --json "$tmp/whole.jsonl" >/dev/null 2>"$tmp/whole.err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "unsharded scan exit $rc: $(cat "$tmp/whole.err")"

out=$tmp/out
mkdir -p "$out"
chmod 777 "$out"
job=$(cd "$tmp" && sbatch --parsable --array=1-3 --cpus-per-task=1 --time=10 \
  --output="$tmp/task-%A_%a.out" --export=ALL,TRAWL="$trawl" \
  "$src/deploy/slurm/trawl-logs.sbatch" "$arch" "$out" \
  --iocs "$tmp/feed/c2.txt" --no-builtin --no-packs)
echo "array job $job"
for _ in $(seq 600); do
  [[ -f $out/merge.rc ]] && break
  sleep 0.5
done
[[ -f $out/merge.rc ]] || fail "no merge after 300 s: $(squeue 2>&1; cat "$tmp"/task-*.out 2>/dev/null)"
for i in 1 2 3; do
  [[ $(cat "$out/shard-$i-of-3.rc") -le 1 ]] || fail "shard $i exit $(cat "$out/shard-$i-of-3.rc")"
done
[[ $(cat "$out/merge.rc") == 1 ]] || fail "merge exit $(cat "$out/merge.rc"), want 1 (findings)"
[[ -s $out/fleet.html && -s $out/fleet.csv ]] || fail "no fleet report"

/usr/bin/python3 - "$tmp/whole.jsonl" "$out" <<'PY' || fail "shards differ from the unsharded scan"
import collections, glob, json, sys
def hits(path):
    c = collections.Counter()
    for line in open(path):
        j = json.loads(line)
        if j["type"] == "finding":
            for r in j["reasons"]:
                c[(j["path"], j.get("line"), r["indicator"])] += 1
    return c
whole = hits(sys.argv[1])
shards = collections.Counter()
for p in sorted(glob.glob(sys.argv[2] + "/shard-*-of-3.jsonl")):
    shards += hits(p)
    summary = json.loads(open(p).read().splitlines()[-1])
    assert summary["type"] == "summary" and summary["shard"].endswith("/3"), summary
assert len(whole) == 40, len(whole)   # 30 c2-a contacts, 10 c2-b
assert shards == whole, (whole - shards, shards - whole)
hosts = [json.loads(l) for l in open(sys.argv[2] + "/fleet.jsonl") if '"type":"host"' in l]
assert len(hosts) == 3 and all(h["shard"].endswith("/3") for h in hosts), hosts
PY
echo "slurm_e2e: ok (job $job)"

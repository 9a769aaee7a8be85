#!/usr/bin/env bash
# deploy/ansible end to end (issue 17): a real ansible-playbook against three
# hosts on this machine (sshd instances on 127.0.0.2-4, each on its own port
# with its own host key and its own planted tree), plus a fourth inventory
# host nobody listens for. Checks: the reports of each host are fetched to
# results/HOST/; the planted host is hit, the clean one is clean; a host whose
# scan cannot run and the unreachable one fail without stopping the others;
# a second run changes nothing on the hosts (only fresh reports are fetched);
# the fleet report lists every host. The sshd instances are started and
# stopped here. Needs root, sshd and ansible (scripts/setup.sh); fails, never
# skips, without them.
#   ansible_e2e_test.sh SOURCE_DIR TRAWL_BINARY
set -euo pipefail
src=$1 trawl=$2
TEST=ansible_e2e
source "$src/tests/deploy/lib.sh"
need_root "sshd instances, root logins"
need /usr/sbin/sshd ssh-keygen ansible-playbook /usr/bin/python3
start_tmp
mkdir -p /run/sshd  # sshd's privilege separation directory

ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
: >"$tmp/known_hosts"

# A C2 domain, a planted binary (by hash) and a log line for host1.
evil="ansible-e2e-evil-$RANDOM-$RANDOM"
mkdir -p "$tmp/feed"
printf '%s' "$evil" | sha256sum | cut -d' ' -f1 >"$tmp/feed/hashes.txt"
echo "c2.ansible-e2e.example" >"$tmp/feed/c2.txt"

inv="$tmp/hosts.ini"
echo "[sweep]" >"$inv"
for n in 1 2 3; do
  h="$tmp/host$n"
  mkdir -p "$h/tree/opt" "$h/tree/var/log"
  echo "ordinary file of host$n" >"$h/tree/opt/readme.txt"
  ssh-keygen -q -t ed25519 -N '' -f "$h/ssh_host_ed25519_key"
  addr=127.0.0.$((n + 1))
  port=$(free_port "$addr")
  cat >"$h/sshd_config" <<CFG
ListenAddress $addr:$port
HostKey $h/ssh_host_ed25519_key
PidFile $h/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
  /usr/sbin/sshd -D -e -f "$h/sshd_config" 2>"$h/sshd.log" &
  pids+=($!)
  echo "[$addr]:$port $(cut -d' ' -f1,2 "$h/ssh_host_ed25519_key.pub")" >>"$tmp/known_hosts"
  paths="[\"$h/tree\"]"
  [[ $n == 3 ]] && paths="[\"$h/no-such-tree\"]"  # trawl cannot run: exit 2
  echo "host$n ansible_host=$addr ansible_port=$port trawl_workdir=$h/work trawl_paths='$paths'" >>"$inv"
done
printf '%s' "$evil" >"$tmp/host1/tree/opt/payload.bin"
printf '2023-03-29T10:00:00Z host1 app: beacon to c2.ansible-e2e.example\n2023-03-30T11:00:00Z host1 app: beacon to c2.ansible-e2e.example\n' \
  >"$tmp/host1/tree/var/log/app.log"
# A host nobody listens for: unreachable, the others go on.
echo "ghost ansible_host=127.0.0.5 ansible_port=$(free_port 127.0.0.5) trawl_workdir=$tmp/ghost" >>"$inv"
cat >>"$inv" <<VARS
[sweep:vars]
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file=$tmp/client_key
ansible_ssh_common_args='-o UserKnownHostsFile=$tmp/known_hosts -o StrictHostKeyChecking=yes -o ConnectTimeout=5'
VARS

# Wait for the three sshd instances to accept connections.
for n in 1 2 3; do
  addr=127.0.0.$((n + 1))
  port=$(awk -v a="$addr" '$1 ~ "^ListenAddress" {split($2, p, ":"); print p[2]}' "$tmp/host$n/sshd_config")
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && break
    sleep 0.1
  done
done

export ANSIBLE_CONFIG=$tmp/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
cat >"$ANSIBLE_CONFIG" <<CFG
[defaults]
roles_path = $src/deploy/ansible/roles
local_tmp = $tmp/ansible-local
remote_tmp = $tmp/ansible-remote
host_key_checking = True
retry_files_enabled = False
forks = 4
stdout_callback = default
[ssh_connection]
# No ControlPersist: no ssh master outlives the play (the sshd instances stop with the test).
ssh_args = -o ControlMaster=no -o ControlPersist=no
CFG

play() {
  set +e
  ansible-playbook -i "$inv" "$src/deploy/ansible/site.yml" \
    -e trawl_install=binary -e "trawl_binary_src=$trawl" -e "trawl_results_dir=$tmp/results" \
    -e "trawl_merge_bin=$trawl" \
    -e "{\"trawl_packs\": [\"$tmp/feed/hashes.txt\", \"$tmp/feed/c2.txt\"], \"trawl_options\": [\"--no-builtin\", \"--no-packs\", \"--threads\", \"1\"]}" \
    >"$tmp/play$1.log" 2>&1
  local rc=$?
  set -e
  echo "$rc"
}
recap() {  # recap LOG HOST FIELD
  awk -v h="$2" -v f="$3" '$1 == h && $2 == ":" {for (i = 3; i <= NF; i++) {split($i, kv, "="); if (kv[1] == f) print kv[2]}}' "$1" | tail -n1
}

rc=$(play 1)
cat "$tmp/play1.log"
[[ $rc -ne 0 ]] || fail "ansible-playbook succeeded although host3 and ghost must fail"
r=$tmp/results
for n in 1 2; do
  for f in trawl.jsonl trawl.html inventory.db; do
    [[ -s $r/host$n/$f ]] || fail "results/host$n/$f was not fetched"
  done
  [[ ! -e $r/host$n/FAILED ]] || fail "host$n marked FAILED: $(cat "$r/host$n/FAILED")"
  tail -n1 "$r/host$n/trawl.jsonl" | grep -q '"type":"summary"' || fail "host$n report has no summary"
done
grep -q "\"path\":\"$tmp/host1/tree/opt/payload.bin\"" "$r/host1/trawl.jsonl" || fail "host1: planted file not found"
grep -q '"c2.ansible-e2e.example"' "$r/host1/trawl.jsonl" || fail "host1: C2 contact not found"
! grep -q '"type":"finding"' "$r/host2/trawl.jsonl" || fail "host2 (clean) has findings"
grep -q "$tmp/host2/tree" "$r/host2/trawl.jsonl" || fail "host2 scanned the wrong tree"
[[ -s $r/host3/FAILED ]] || fail "host3's failure was not recorded"
grep -q 'rc: 2' "$r/host3/FAILED" || fail "host3 FAILED does not say trawl's exit 2: $(cat "$r/host3/FAILED")"
[[ $(recap "$tmp/play1.log" host3 failed) == 1 ]] || fail "host3 not failed in the recap"
[[ $(recap "$tmp/play1.log" ghost unreachable) == 1 ]] || fail "ghost not unreachable in the recap"
grep -q unreachable "$r/ghost/FAILED" || fail "ghost's failure was not recorded"
for n in 1 2; do
  [[ $(recap "$tmp/play1.log" host$n failed) == 0 ]] || fail "host$n failed"
done
# The niceness and time limit are on the command line the role ran.
ansible-playbook -i "$inv" "$src/deploy/ansible/site.yml" --limit host2 \
  -e trawl_install=binary -e "trawl_binary_src=$trawl" -e "trawl_results_dir=$tmp/results-v" -vvv \
  >"$tmp/play-v.log" 2>&1 || true
# grep reads the whole stream (not -q): under pipefail, `grep -q` leaving
# early made tr die of SIGPIPE and the check fail one run in a few.
tr -d "\"',[]" <"$tmp/play-v.log" | tr -s ' ' |
  grep -c "timeout --signal=TERM --kill-after=60 3600 nice -n 19 ionice -c 3" >/dev/null ||
  fail "scan not run under timeout/nice/ionice"

# The fleet report (the localhost play ran trawl report merge).
[[ -s $r/fleet.html && -s $r/fleet.jsonl && -s $r/fleet.csv ]] || fail "no fleet report"
fleet=$(cat "$r/fleet.jsonl")
grep -q '"type":"fleet_summary"' <<<"$fleet" || fail "fleet.jsonl has no summary"
/usr/bin/python3 - "$r/fleet.jsonl" <<'PY' || fail "fleet report content"
import json, sys
hosts = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "host":
        hosts[j["source"].split("/")[-2]] = j["verdict"]
want = {"host1": "compromised", "host2": "clean", "host3": "failed", "ghost": "failed"}
assert all(hosts.get(k) == v for k, v in want.items()), hosts
PY

# Second run: nothing changes on the hosts; only the fresh reports are fetched.
sum_before=$(sha256sum "$tmp/host1/work/bin/trawl" "$tmp/host1/work/iocs/"* | sha256sum)
rc=$(play 2)
cat "$tmp/play2.log"
for n in 1 2; do
  changed=$(recap "$tmp/play2.log" host$n changed)
  # One changed task (a loop counts once): the fetch of the fresh reports.
  [[ $changed == 1 ]] || fail "second run: host$n changed=$changed, want 1 (the fetch only)"
done
# Which tasks changed on the second run: only the fetch (3 files per host).
if grep -B1 -E '^changed: \[host[12]\]' "$tmp/play2.log" | grep -E '^TASK' | grep -v 'Fetch the reports'; then
  fail "a task other than the fetch changed on the second run"
fi
[[ $(sha256sum "$tmp/host1/work/bin/trawl" "$tmp/host1/work/iocs/"* | sha256sum) == "$sum_before" ]] || fail "host files changed"
echo "ansible_e2e: ok"

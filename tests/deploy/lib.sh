# The prologue the deploy end-to-end tests share (sourced, not run). Set TEST
# (the name in messages and in the temporary folder) before sourcing; define
# on_fail to add to a failure's message (e.g. the daemons' logs).
#   need_root WHY      fail unless root
#   need TOOL...       fail unless each is on PATH (scripts/setup.sh installs them)
#   start_tmp          $tmp: a fresh folder (0755) removed at exit with every
#                      process whose pid the test appends to pids
#   free_port [ADDR]   a TCP port free on ADDR (default 127.0.0.1)
fail() {
  echo "$TEST: FAIL: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail; fi
  exit 1
}
need_root() { [[ $(id -u) -eq 0 ]] || fail "must run as root ($1)"; }
need() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || fail "$t missing (run scripts/setup.sh)"; done
}
pids=()
tmp=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${TRAWL_TEST_KEEP:-} || -z $tmp ]] || rm -rf "$tmp"
}
start_tmp() {
  tmp=$(mktemp -d "/tmp/trawl-$TEST.XXXXXX")
  chmod 755 "$tmp"
  trap cleanup EXIT
}
free_port() {
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

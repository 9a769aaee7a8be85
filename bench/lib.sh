# Shared helpers for bench scripts. Source it; needs /usr/bin/time (package `time`).

# measure NAME CMD...: runs CMD with stdout/stderr discarded, records wall
# seconds, CPU seconds (user + system) and peak RSS (MiB) in the global arrays
# WALL[NAME], CPU[NAME], RSS[NAME], and the 1-minute load average when it
# started in LOAD[NAME] (the machine is shared).
declare -A WALL CPU RSS LOAD
measure() {
  local name=$1; shift
  local t
  LOAD[$name]=$(cut -d' ' -f1 /proc/loadavg)
  t=$(mktemp)
  /usr/bin/time -f "%e %M %U %S" -o "$t" "$@" >/dev/null 2>&1 || true
  # GNU time puts "Command exited with non-zero status N" first when CMD fails
  # (trawl and clamscan exit 1 when they find something): the figures are last.
  read -r wall kb usr sys < <(tail -n 1 "$t")
  rm -f "$t"
  WALL[$name]=$wall
  CPU[$name]=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  RSS[$name]=$((kb / 1024))
  printf '  %-28s %8.2f s  %6.2f s CPU  %6d MiB\n' "$name" "$wall" "${CPU[$name]}" "${RSS[$name]}" >&2
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

machine_line() {
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
}

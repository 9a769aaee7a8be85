#!/usr/bin/env bash
# EVTX benchmark: trawl::evtx (evtx_bench) against libevtx's evtxexport, on
# one and two threads, over a >= 500 MB set built from the shared samples.
#
#   bench/evtx/run.sh [EVTXEXPORT_FILES]
#
# EVTXEXPORT_FILES (default: all 8) limits evtxexport to the first N files of
# the set (every file has the same chunk mix, so its rates carry over); the
# output says which. Prints a Markdown table; times are wall-clock and CPU
# (user+sys) seconds, so a busy machine shows up as wall > CPU.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-evtx}
CORPUS=$ROOT/bench/corpus/evtx
SAMPLES=${SAMPLES:-$ROOT/../shared/data/evtx}
NFILES=8
XFILES=${1:-$NFILES}

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target evtx_bench -j2 >/dev/null
BENCH=$BUILD/src/evtx/evtx_bench

if [ ! -f "$CORPUS/set_$(printf %02d $((NFILES - 1))).evtx" ]; then
  /usr/bin/python3 "$ROOT/bench/evtx/make_corpus.py" "$SAMPLES" "$CORPUS" 520 "$NFILES"
fi
FILES=("$CORPUS"/set_*.evtx)
XSET=("${FILES[@]:0:$XFILES}")
bytes() { du -cb "$@" | tail -1 | cut -f1; }
ALLBYTES=$(bytes "${FILES[@]}")
XBYTES=$(bytes "${XSET[@]}")
cat "${FILES[@]}" >/dev/null  # Page cache: both tools read from memory.

# Records per file: live ones (what evtxexport -m items exports) and all
# (trawl also recovers records from chunk slack by default).
count() {  # count FIELD FILES...: sum of evtx_bench's FIELD= over FILES
  local field=$1 total=0 n
  shift
  for f; do
    n=$("$BENCH" "$f" 2>&1 >/dev/null | tail -1 | grep -o "\b$field=[0-9]*" | cut -d= -f2)
    total=$((total + n))
  done
  echo "$total"
}
ALL=$(count records "${FILES[@]}")
REC=$(count recovered "${FILES[@]}")
LIVE=$((ALL - REC))
XLIVE=$(($(count records "${XSET[@]}") - $(count recovered "${XSET[@]}")))
# Check that evtxexport really exports that many records from the first file.
n1=$(evtxexport -f xml "${FILES[0]}" 2>/dev/null | grep -c '^<Event ' || true)
t1=$(($(count records "${FILES[0]}") - $(count recovered "${FILES[0]}")))
if [ "$n1" -ne "$t1" ]; then
  echo "record count mismatch on ${FILES[0]}: evtxexport $n1, trawl $t1" >&2
  exit 1
fi

# run NAME RECORDS BYTES CMD...: prints one table row.
declare -A RATE
run() {
  local name=$1 records=$2 nbytes=$3
  shift 3
  local t tf
  tf=$(mktemp)
  /usr/bin/time -o "$tf" -f "%e %U %S" "$@" >/dev/null 2>&1
  t=$(tail -1 "$tf")
  rm -f "$tf"
  local wall cpu
  wall=$(cut -d' ' -f1 <<<"$t")
  cpu=$(awk '{print $2 + $3}' <<<"$t")
  RATE[$name]=$(awk -v r="$records" -v w="$wall" 'BEGIN{printf "%.0f", r / w}')
  awk -v n="$name" -v r="$records" -v b="$nbytes" -v w="$wall" -v c="$cpu" 'BEGIN{
    printf "| %s | %d | %.0f | %.2f | %.2f | %.0f | %.1f | %.0f |\n",
      n, r, b / 1e6, w, c, r / w, b / w / 1e6, r / c }'
}

echo "Set: ${#FILES[@]} files, $ALLBYTES bytes, $ALL records ($LIVE live + $REC recovered from slack)."
echo "evtxexport runs on ${#XSET[@]} of ${#FILES[@]} files ($XBYTES bytes, $XLIVE records)."
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | records | MB | wall s | CPU s | records/s (wall) | MB/s (wall) | records/CPU-s |"
echo "|---|---|---|---|---|---|---|---|"
run "trawl fields, 1 thread" "$ALL" "$ALLBYTES" "$BENCH" --threads 1 "${FILES[@]}"
run "trawl fields, 2 threads" "$ALL" "$ALLBYTES" "$BENCH" --threads 2 "${FILES[@]}"
run "trawl XML, 1 thread" "$ALL" "$ALLBYTES" "$BENCH" --xml --threads 1 "${FILES[@]}"
run "trawl XML, 2 threads" "$ALL" "$ALLBYTES" "$BENCH" --xml --threads 2 "${FILES[@]}"
run "evtxexport -f xml, 1 process" "$XLIVE" "$XBYTES" sh -c 'for f; do evtxexport -f xml "$f"; done' _ "${XSET[@]}"
# Two evtxexport processes at a time (it has no threads of its own).
run "evtxexport -f xml, 2 processes" "$XLIVE" "$XBYTES" sh -c \
  'printf "%s\n" "$@" | xargs -P 2 -I{} sh -c "evtxexport -f xml {} >/dev/null 2>&1"' _ "${XSET[@]}"
echo
awk -v a="${RATE[trawl fields, 1 thread]}" -v x="${RATE[trawl XML, 1 thread]}" \
    -v e="${RATE[evtxexport -f xml, 1 process]}" 'BEGIN{
  printf "Ratio, 1 thread, records/s: trawl fields / evtxexport = %.1fx; trawl XML / evtxexport = %.1fx\n", a / e, x / e }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Sigma benchmark: the whole SigmaHQ rule set (rules, rules-emerging-threats,
# rules-threat-hunting; every Windows rule that loads) over the >= 500 MB EVTX
# set of bench/evtx, on one and two threads, side by side in one run with
# trawl's own EVTX field extraction alone (evtx_bench --fields: the floor).
#
#   bench/sigma/run.sh
#
# Prints a Markdown table: wall seconds, CPU seconds, records/s, peak RSS, and
# the ratio of the Sigma run's wall time to the decode-only run's. Memory
# flatness: peak RSS over 1 file and over all 8 files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-evtx}
CORPUS=$ROOT/bench/corpus/evtx
SAMPLES=${SAMPLES:-$ROOT/../shared/data/evtx}
SIGMA=${SIGMA:-$ROOT/../shared/data/sigma}
NFILES=8

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target evtx_bench sigma_bench -j2 >/dev/null
if [ ! -f "$CORPUS/set_$(printf %02d $((NFILES - 1))).evtx" ]; then
  /usr/bin/python3 "$ROOT/bench/evtx/make_corpus.py" "$SAMPLES" "$CORPUS" 520 "$NFILES"
fi
FILES=("$CORPUS"/set_*.evtx)
cat "${FILES[@]}" >/dev/null  # page cache
RULES=(--rules "$SIGMA/rules" --rules "$SIGMA/rules-emerging-threats" --rules "$SIGMA/rules-threat-hunting")

measure() {  # measure CMD...: sets WALL, CPU, RSS (KB) and OUT (the command's last stderr line)
  local tf user sys
  tf=$(mktemp)
  OUT=$(/usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" 2>&1 >/dev/null | tail -1)
  read -r WALL user sys RSS <"$tf"
  rm -f "$tf"
  CPU=$(echo "$user + $sys" | bc)
}

echo "| run | threads | wall s | CPU s | records/s | peak RSS MB | wall / decode-only |"
echo "|---|---|---|---|---|---|---|"
for t in 1 2; do
  measure "$BUILD/src/evtx/evtx_bench" --threads "$t" --fields "${FILES[@]}"
  dw=$WALL dc=$CPU drss=$RSS
  records=$(echo "$OUT" | grep -o '\brecords=[0-9]*' | cut -d= -f2)
  measure "$BUILD/src/sigma/sigma_bench" --threads "$t" "${RULES[@]}" -- "${FILES[@]}"
  sw=$WALL sc=$CPU srss=$RSS
  line=$OUT
  load=$(echo "$line" | grep -o 'load_s=[0-9.]*' | cut -d= -f2)
  ms=$(echo "$line" | grep -o 'match_s=[0-9.]*' | cut -d= -f2)
  printf "| decode only (evtx_bench --fields) | %s | %s | %s | %.0f | %.0f | 1.00 |\n" \
    "$t" "$dw" "$dc" "$(echo "$records / $dw" | bc -l)" "$(echo "$drss / 1024" | bc -l)"
  printf "| Sigma, all rules (sigma_bench) | %s | %s | %s | %.0f | %.0f | %.2f |\n" \
    "$t" "$sw" "$sc" "$(echo "$records / $ms" | bc -l)" "$(echo "$srss / 1024" | bc -l)" \
    "$(echo "$ms / $dw" | bc -l)"
  echo "<!-- threads $t: $line; rule loading ${load}s is excluded from records/s and the ratio -->"
done
measure "$BUILD/src/sigma/sigma_bench" --threads 2 "${RULES[@]}" -- "${FILES[0]}"
rss1=$RSS
measure "$BUILD/src/sigma/sigma_bench" --threads 2 "${RULES[@]}" -- "${FILES[@]}"
rss8=$RSS
printf "\nPeak RSS, 2 threads: 1 file %.0f MB, %d files %.0f MB\n" "$(echo "$rss1 / 1024" | bc -l)" \
  "$NFILES" "$(echo "$rss8 / 1024" | bc -l)"

#!/usr/bin/env bash
# Retro-hunt benchmark (issue 16), side by side in one run, warm page cache:
#  1. a scan of a generated corpus (copies of /usr/include and /usr/share/doc,
#     plus a synthetic syslog) without and with --inventory (same indicators,
#     so the same three digests): the cost of writing the inventory;
#  2. the same scan with --since the first inventory: the unchanged re-scan;
#  3. `trawl retro` of a fresh feed (10,000 hashes, 5,000 network indicators)
#     against COPIES copies of the inventory: seconds and rows per second.
# Writes bench/retro/RESULTS.md. Usage: bench/retro/run.sh (after a release build in build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/lib.sh"
WORK=${WORK:-$ROOT/bench/corpus/retro}
COPIES=${COPIES:-50}
TRAWL=${TRAWL:-$ROOT/build/trawl}  # TRAWL=... measures another build (e.g. the one before a change)
OUT=${OUT:-$ROOT/bench/retro/RESULTS.md}
[[ -x $TRAWL ]] || { echo "build trawl first (README command 1)" >&2; exit 2; }
CORPUS=$WORK/host
if [[ ! -f $CORPUS/.complete ]]; then
  rm -rf "$CORPUS"; mkdir -p "$CORPUS/var/log"
  cp -a /usr/include "$CORPUS/include"; cp -a /usr/share/doc "$CORPUS/doc"
  /usr/bin/python3 "$ROOT/bench/retro/make_logs.py" "$CORPUS/var/log/syslog" 200000 20000
  touch "$CORPUS/.complete"
fi
files=$(find "$CORPUS" -type f | wc -l); bytes=$(du -sb "$CORPUS" | cut -f1)
DBS=$WORK/dbs; rm -rf "$DBS"; mkdir -p "$DBS"
SCANFEED=$WORK/scanfeed; mkdir -p "$SCANFEED"
# One indicator of each hash kind: the plain scan computes the same three digests.
printf '%s\n%s\n%s\nnever-seen.invalid\n' "$(printf '0%.0s' {1..32})" "$(printf '0%.0s' {1..40})" \
  "$(printf '0%.0s' {1..64})" >"$SCANFEED/iocs.txt"
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# --json to a regular file: trawl refuses to write its reports to a device.
S=(scan "$CORPUS" --no-builtin --no-packs --iocs "$SCANFEED/iocs.txt" --threads 2 -q --json "$WORK/scan.jsonl")
echo "scans (2 threads)" >&2
measure scan_plain     "$TRAWL" "${S[@]}"
measure scan_inventory "$TRAWL" "${S[@]}" --inventory "$DBS/first.db"
measure scan_plain2    "$TRAWL" "${S[@]}"
measure scan_inventory2 "$TRAWL" "${S[@]}" --inventory "$DBS/again.db"
measure scan_since     "$TRAWL" "${S[@]}" --inventory "$DBS/since.db" --since "$DBS/first.db"
# The file inventory alone (no log or contact sweep), to separate it from the contact index.
measure files_plain     "$TRAWL" "${S[@]}" --modules file
measure files_inventory "$TRAWL" "${S[@]}" --modules file --inventory "$DBS/files.db"
measure files_since     "$TRAWL" "${S[@]}" --modules file --inventory "$DBS/files2.db" --since "$DBS/files.db"
for db in first again since files files2; do  # a run that failed must not pass for a fast one
  [[ -s $DBS/$db.db ]] || { echo "inventory $db.db was not written" >&2; exit 1; }
done
"$TRAWL" inventory stats "$DBS/since.db" | grep -E 'digest|files ' >&2
rows=$(sqlite3 "$DBS/first.db" "SELECT COUNT(*) FROM files") 2>/dev/null || \
  rows=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from files').fetchone()[0])" "$DBS/first.db")
contacts=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from contacts').fetchone()[0])" "$DBS/first.db")
/usr/bin/python3 "$ROOT/bench/retro/make_feed.py" "$DBS/first.db" "$WORK/feed" 10000 5000 >&2
for i in $(seq 1 "$COPIES"); do cp "$DBS/first.db" "$DBS/copy$i.db"; done
echo "retro over $COPIES inventories" >&2
# retro exits 1 on findings; /usr/bin/time would then prefix its output.
measure retro_all bash -c '"$@" || true' _ "$TRAWL" retro "$DBS"/copy*.db --no-builtin --no-packs --iocs "$WORK/feed" -q --json "$WORK/retro.jsonl"
measure retro_one bash -c '"$@" || true' _ "$TRAWL" retro "$DBS/copy1.db" --no-builtin --no-packs --iocs "$WORK/feed" -q --json "$WORK/retro1.jsonl"
total_rows=$(( (rows + contacts) * COPIES ))
rps=$(awk -v r="$total_rows" -v s="${WALL[retro_all]}" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "n/a" }')
plain=$(awk -v a="${WALL[scan_plain]}" -v b="${WALL[scan_plain2]}" 'BEGIN { print (a + b) / 2 }')
inv=$(awk -v a="${WALL[scan_inventory]}" -v b="${WALL[scan_inventory2]}" 'BEGIN { print (a + b) / 2 }')
plain_cpu=$(awk -v a="${CPU[scan_plain]}" -v b="${CPU[scan_plain2]}" 'BEGIN { print (a + b) / 2 }')
inv_cpu=$(awk -v a="${CPU[scan_inventory]}" -v b="${CPU[scan_inventory2]}" 'BEGIN { print (a + b) / 2 }')

cat >"$OUT" <<MD
# Retro-hunt benchmark

Made by \`bench/retro/run.sh\` on $(date -u +%Y-%m-%d), trawl $(git -C "$ROOT" rev-parse --short HEAD).
Machine: $(machine_line). **Shared**: other engineers were compiling on the same 2 cores
during the run, so absolute times are noisy; the ratios compare runs made side by side.
Corpus: $files files, $bytes bytes (copies of /usr/include and /usr/share/doc, and a
synthetic syslog of 200,000 lines naming 20,000 hosts: \`make_logs.py\`), warm page cache.
Inventory: $rows file rows, $contacts contacts. Feed: 10,000 hashes, 5,000 network
indicators (\`make_feed.py\`, 10 of each planted). $COPIES copies of the inventory.

| measure | wall | CPU | goal |
|---|---|---|---|
| scan with \`--inventory\` (and its contact index) / scan without (same indicators, same digests; mean of 2 each) | $(ratio "$inv" "$plain")x | $(ratio "$inv_cpu" "$plain_cpu")x | < 1.15x |
| first inventory scan / unchanged re-scan with \`--since\` | $(ratio "${WALL[scan_inventory]}" "${WALL[scan_since]}")x faster | $(ratio "${CPU[scan_inventory]}" "${CPU[scan_since]}")x | >= 5x |
| the same, file sweep only (\`--modules file\`): with / without \`--inventory\` | $(ratio "${WALL[files_inventory]}" "${WALL[files_plain]}")x | $(ratio "${CPU[files_inventory]}" "${CPU[files_plain]}")x | < 1.15x |
| the same, file sweep only: first / \`--since\` | $(ratio "${WALL[files_inventory]}" "${WALL[files_since]}")x faster | $(ratio "${CPU[files_inventory]}" "${CPU[files_since]}")x | >= 5x |
| \`retro\` over $COPIES inventories ($total_rows rows) | ${WALL[retro_all]} s, $rps rows/s on one thread | ${CPU[retro_all]} s | < 10 s (3 M rows), >= 300,000 rows/s |
| \`retro\` of one inventory / of $COPIES (start-up share) | $(ratio "${WALL[retro_one]}" "${WALL[retro_all]}") | | |

Raw wall times (s): plain ${WALL[scan_plain]} / ${WALL[scan_plain2]}, inventory
${WALL[scan_inventory]} / ${WALL[scan_inventory2]}, since ${WALL[scan_since]}, retro one
${WALL[retro_one]}, retro all ${WALL[retro_all]}; file sweep only: plain ${WALL[files_plain]},
inventory ${WALL[files_inventory]}, since ${WALL[files_since]}.
CPU seconds (user + system): plain ${CPU[scan_plain]} / ${CPU[scan_plain2]}, inventory
${CPU[scan_inventory]} / ${CPU[scan_inventory2]}, since ${CPU[scan_since]}; file sweep only: plain
${CPU[files_plain]}, inventory ${CPU[files_inventory]}, since ${CPU[files_since]}.
Load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg).
MD
cat "$OUT"

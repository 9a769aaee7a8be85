#!/bin/bash
# Log-sweep benchmark: `trawl scan --modules log` vs `rg -F -i -f` and `grep -F -i -f`
# on the same indicator text, plain and gzip-compressed, with precision and
# recall against the planted ground truth. Prints a Markdown report.
#
# usage: bench/logs/run.sh            (env: BUILD=build dir with trawl built,
#                                       CORPUS=corpus dir, THREADS=2)
# Makes the corpus first when missing (bench/logs/make_corpus.py, ~1.1 GB,
# plus gzip copies).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/bench/corpus/logs}
BUILD=${BUILD:-$ROOT/build}
THREADS=${THREADS:-2}
OUT=$CORPUS/out
PY=/usr/bin/python3

if [ ! -f "$CORPUS/truth.tsv" ]; then
  echo "making corpus in $CORPUS" >&2
  $PY "$HERE/make_corpus.py" --out "$CORPUS"
fi
if [ ! -d "$CORPUS/gz" ]; then
  mkdir -p "$CORPUS/gz"
  ls "$CORPUS"/plain/*.log | xargs -P "$THREADS" -I{} sh -c 'gzip -6 -c "$1" > "$2/gz/$(basename "$1").gz"' _ {} "$CORPUS"
fi
TRAWL=$BUILD/trawl
[ -x "$TRAWL" ] || { echo "build trawl first (README command 1)" >&2; exit 2; }
# trawl scan over a folder of logs, hits as FILE LINE INDICATOR for evaluate.py.
trawl_scan() {
  local dir=$1 out=$2
  "$TRAWL" scan "$dir" --modules log --no-builtin "${IOCS[@]}" --threads "$THREADS" \
    --max-hits-per-file 100000000 --no-color --json "$out.jsonl" >/dev/null 2>"$out.err" || true
  $PY -c 'import json,sys,os
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["type"] == "finding":
        print("%s\t%d\t%s" % (os.path.basename(j["path"]), j["line"], j["reasons"][0]["indicator"]))
    elif j["type"] == "summary":
        print("trawl: %d logs, %d lines, %d hits, %.2f s in trawl" % (j["logs"], j["log_lines"], j["log_hits"], j["seconds"]), file=sys.stderr)
' "$out.jsonl" >"$out" 2>>"$out.err"
}
mkdir -p "$OUT"
PLAIN=("$CORPUS"/plain/*.log)
GZ=("$CORPUS"/gz/*.log.gz)
PAT=$CORPUS/patterns.txt
IOCS=(--iocs "$CORPUS/c2-iocs.txt" --iocs "$CORPUS/planted-iocs.txt")

# Wall seconds of a command (stdout to $1's file, stderr kept in $1.err).
declare -A WALL
timed() {
  local name=$1 out=$2; shift 2
  local s e
  s=$(date +%s.%N)
  "$@" >"$out" 2>"$out.err" || true
  e=$(date +%s.%N)
  WALL[$name]=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
  echo "  $name: ${WALL[$name]} s" >&2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cat "${PLAIN[@]}" "${GZ[@]}" >/dev/null  # warm the page cache: all runs read from memory
BYTES=$(cat "${PLAIN[@]}" | wc -c)
GZBYTES=$(cat "${GZ[@]}" | wc -c)

echo "timing (each run once, page cache warm)" >&2
timed trawl "$OUT/trawl.run" trawl_scan "$CORPUS/plain" "$OUT/trawl.tsv"
timed rg "$OUT/rg.txt" rg -F -i -n --no-heading -j "$THREADS" -f "$PAT" "${PLAIN[@]}"
timed grep "$OUT/grep.txt" grep -F -i -n -H -f "$PAT" "${PLAIN[@]}"
timed trawl_gz "$OUT/trawl_gz.run" trawl_scan "$CORPUS/gz" "$OUT/trawl_gz.tsv"
timed rg_gz "$OUT/rg_gz.txt" rg -z -F -i -n --no-heading -j "$THREADS" -f "$PAT" "${GZ[@]}"

E_T=$($PY "$HERE/evaluate.py" "$CORPUS" trawl "$OUT/trawl.tsv")
E_TG=$($PY "$HERE/evaluate.py" "$CORPUS" trawl "$OUT/trawl_gz.tsv")
E_R=$($PY "$HERE/evaluate.py" "$CORPUS" lines rg "$OUT/rg.txt")
E_RG=$($PY "$HERE/evaluate.py" "$CORPUS" lines rg_gz "$OUT/rg_gz.txt")
E_G=$($PY "$HERE/evaluate.py" "$CORPUS" lines grep "$OUT/grep.txt")
j() { echo "$1" | $PY -c "import json,sys; print(json.load(sys.stdin)$2)"; }

cat <<MD
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr).
Corpus: ${#PLAIN[@]} files, $BYTES bytes plain ($GZBYTES gzip -6), $(wc -l <"$CORPUS/truth.tsv") planted contacts on $(cut -f1,2 "$CORPUS/truth.tsv" | sort -u | wc -l) lines, $(wc -l <"$CORPUS/decoys.tsv") decoy lines.
Indicators: trawl $(grep -o 'network indicators: .*' "$OUT/trawl.tsv.err" | head -1); rg/grep $(wc -l <"$PAT") fixed strings.
Tools: $(rg --version | head -1), $(grep --version | head -1); $THREADS threads for trawl and rg, grep has one.

| run | wall s | vs trawl | precision | recall | decoy lines hit |
|---|---|---|---|---|---|
| trawl (plain) | ${WALL[trawl]} | 1.00 | $(j "$E_T" "['precision']") | $(j "$E_T" "['recall']") | $(j "$E_T" "['decoy_hits']") |
| rg -F -i -f (plain) | ${WALL[rg]} | $(ratio "${WALL[rg]}" "${WALL[trawl]}") | $(j "$E_R" "['precision']") | $(j "$E_R" "['recall']") | $(j "$E_R" "['decoy_hits']") of $(j "$E_R" "['decoy_lines']") |
| grep -F -i -f (plain) | ${WALL[grep]} | $(ratio "${WALL[grep]}" "${WALL[trawl]}") | $(j "$E_G" "['precision']") | $(j "$E_G" "['recall']") | $(j "$E_G" "['decoy_hits']") of $(j "$E_G" "['decoy_lines']") |
| trawl (gzip) | ${WALL[trawl_gz]} | $(ratio "${WALL[trawl_gz]}" "${WALL[trawl]}") | $(j "$E_TG" "['precision']") | $(j "$E_TG" "['recall']") | $(j "$E_TG" "['decoy_hits']") |
| rg -z -F -i -f (gzip) | ${WALL[rg_gz]} | $(ratio "${WALL[rg_gz]}" "${WALL[trawl_gz]}") (vs trawl gzip) | $(j "$E_RG" "['precision']") | $(j "$E_RG" "['recall']") | $(j "$E_RG" "['decoy_hits']") of $(j "$E_RG" "['decoy_lines']") |

trawl is scored per (file, line, indicator), rg and grep per line (they cannot say which indicator matched).
trawl plain: $(grep '^trawl:' "$OUT/trawl.tsv.err" | sed 's/^trawl: //')
trawl gzip: $(grep '^trawl:' "$OUT/trawl_gz.tsv.err" | sed 's/^trawl: //')
Commands: \`trawl scan DIR --modules log --no-builtin --iocs c2-iocs.txt --iocs planted-iocs.txt --threads $THREADS --max-hits-per-file 100000000 --json OUT\`,
\`rg -F -i -n --no-heading -j $THREADS -f patterns.txt FILES\`, \`grep -F -i -n -H -f patterns.txt FILES\`, \`rg -z ...\` on the gzip copies.
MD
echo "trawl plain: $E_T" >&2
echo "trawl gzip:  $E_TG" >&2

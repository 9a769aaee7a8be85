#!/usr/bin/env bash
# File-sweep benchmark (issues 2 and 12), side by side in one run, warm page cache:
#  1. trawl with the whole of signature-base (hashes, ~3,800 filename regexes,
#     ~5,900 YARA rules) vs `yara -r -p 2` with the same rules alone;
#  2. trawl with the YARA rules alone, routed by file class and --yara-exact,
#     and the differential check of their hits with yara's (diff_hits.py);
#  3. trawl with hash indicators only vs `hashdeep -r -c md5,sha1,sha256`.
# Writes bench/files/RESULTS.md. Usage: bench/files/run.sh (after a release build in build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/lib.sh"
CORPUS=${CORPUS:-$ROOT/bench/corpus/files}
SB=$(cd "$ROOT/../shared/data/signature-base" && pwd)
TRAWL=$ROOT/build/trawl
OUT=$ROOT/bench/out/files
mkdir -p "$OUT"
[[ -x $TRAWL ]] || { echo "build trawl first (README command 1)" >&2; exit 2; }
"$ROOT/bench/files/make_corpus.sh" "$CORPUS"
files=$(find "$CORPUS" -type f | wc -l)
bytes=$(du -sb "$CORPUS" | cut -f1)

# yara CLI: every rule file in its own namespace, LOKI's externals defined.
mapfile -t RULES < <(find "$SB/yara" -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
YARA_ARGS=(-r -p 2 -N -w --skip-larger=104857600)
YARA_SOURCES=()
for i in "${!RULES[@]}"; do YARA_SOURCES+=("ns$i:${RULES[$i]}"); done
printf '%s\n' "${RULES[@]}" >"$OUT/rules.txt"
# As the issue asks, yara runs precompiled (`yarac`, then `yara -C`), and trawl
# with its own compiled cache (--yara-cache, filled by an untimed run first);
# the runs that compile their rules are kept for comparison.
YARA_DEFS=(-d filename= -d filepath= -d extension= -d filetype= -d owner= -d md5=)
yarac -w "${YARA_DEFS[@]}" "${YARA_SOURCES[@]}" "$OUT/all.yarc"
CACHE=$OUT/yara-cache
rm -rf "$CACHE"
EMPTY=$(mktemp -d)
"$TRAWL" scan "$EMPTY" --no-archives --iocs "$SB" --no-builtin -q --yara-cache "$CACHE" >/dev/null 2>&1 || true
"$TRAWL" scan "$EMPTY" --no-archives --yara "$SB/yara" --no-builtin -q --yara-cache "$CACHE" >/dev/null 2>&1 || true
"$TRAWL" scan "$EMPTY" --no-archives --yara "$SB/yara" --no-yara-prefilter --no-builtin -q --yara-cache "$CACHE" >/dev/null 2>&1 || true
"$TRAWL" scan "$EMPTY" --no-archives --yara "$SB/yara" --yara-exact --no-builtin -q --yara-cache "$CACHE" >/dev/null 2>&1 || true
rmdir "$EMPTY"

echo "warming the page cache" >&2
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

echo "running (2 threads each)" >&2
# yara -r does not look inside archives and trawl does by default (issue 15):
# every trawl run here gets --no-archives, so both tools read the same bytes
# and the hits can be compared one for one (bench/archives measures unpacking).
measure trawl_full  "$TRAWL" scan "$CORPUS" --no-archives --iocs "$SB" --no-builtin --threads 2 -q --yara-cache "$CACHE" --json "$OUT/trawl.jsonl"
measure trawl_full_compiling "$TRAWL" scan "$CORPUS" --no-archives --iocs "$SB" --no-builtin --threads 2 -q --json "$OUT/trawl.jsonl"
# yara's hits (-e: with their namespace) are kept for the differential check.
measure yara        sh -c 'out=$1; shift; exec yara -e "$@" >"$out"' sh "$OUT/yara.txt" "${YARA_ARGS[@]}" "${YARA_DEFS[@]}" -C "$OUT/all.yarc" "$CORPUS"
measure yara_compiling yara "${YARA_ARGS[@]}" "${YARA_DEFS[@]}" "${YARA_SOURCES[@]}" "$CORPUS"
measure trawl_hash  "$TRAWL" scan "$CORPUS" --no-archives --iocs "$SB/iocs/hash-iocs.txt" --no-builtin --threads 2 -q --json "$OUT/trawl.jsonl"
measure hashdeep    hashdeep -r -j 2 -c md5,sha1,sha256 "$CORPUS"
measure trawl_names "$TRAWL" scan "$CORPUS" --no-archives --iocs "$SB/iocs/filename-iocs.txt" --no-builtin --threads 2 -q --json "$OUT/trawl.jsonl"
# YARA alone, routed and exact; every hit kept (--notice-score 0) for the check.
measure trawl_yara  "$TRAWL" scan "$CORPUS" --no-archives --yara "$SB/yara" --no-builtin --threads 2 -q --notice-score 0 --yara-cache "$CACHE" --json "$OUT/routed.jsonl"
measure trawl_yara_compiling "$TRAWL" scan "$CORPUS" --no-archives --yara "$SB/yara" --no-builtin --threads 2 -q --notice-score 0 --json "$OUT/compiling.jsonl"
# The same without the prefilter (issue 12 part 3): what the prefilter adds.
measure trawl_yara_nopf "$TRAWL" scan "$CORPUS" --no-archives --yara "$SB/yara" --no-yara-prefilter --no-builtin --threads 2 -q --notice-score 0 --yara-cache "$CACHE" --json "$OUT/nopf.jsonl"
measure trawl_yara_exact "$TRAWL" scan "$CORPUS" --no-archives --yara "$SB/yara" --yara-exact --no-builtin --threads 2 -q --notice-score 0 --yara-cache "$CACHE" --json "$OUT/exact.jsonl"
DIFF=$(python3 "$ROOT/bench/files/diff_hits.py" "$OUT/rules.txt" "$OUT/routed.jsonl" "$OUT/exact.jsonl" "$OUT/yara.txt" || true)
echo "$DIFF" >&2
CLASSES=$(tail -n 1 "$OUT/routed.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
for k, v in s.items():
    if k.startswith("yara_class_") and k.endswith("_files"):
        c = k[len("yara_class_"):-len("_files")]
        rules = s.get("yara_class_%s_rules" % c, "")
        pf = s.get("yara_class_%s_prefilter_rules" % c, "")
        print("| %s | %s | %s | %s |" % (c, v, rules, pf))')
PREFILTER=$(tail -n 1 "$OUT/routed.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
print("prefilter: %s; %s rules skippable; %s of the routed scans settled by it (no pattern of the class found)" % (
    s.get("yara_prefilter"), s.get("yara_prefilter_skippable_rules"), s.get("yara_prefilter_settled")))')
echo "$PREFILTER" >&2
NOPF_EQUAL=$(python3 - "$ROOT/bench/files" "$OUT/routed.jsonl" "$OUT/nopf.jsonl" "$OUT/compiling.jsonl" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from diff_hits import trawl_hits
a, b, c = trawl_hits(sys.argv[2]), trawl_hits(sys.argv[3]), trawl_hits(sys.argv[4])
print("hits equal, trawl with prefilter vs --no-yara-prefilter: %s (%d hits)" % ("yes" if a == b else "NO", len(a)))
print("hits equal, trawl with --yara-cache vs compiling its rules: %s (%d hits)" % ("yes" if a == c else "NO", len(c)))
PY
)
CACHE_STATE=$(tail -n 1 "$OUT/routed.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
print("yara_cache: %s; build_seconds %.2f" % (s.get("yara_cache"), s.get("build_seconds", 0)))')
COMPILING_STATE=$(tail -n 1 "$OUT/compiling.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
print("build_seconds %.2f" % s.get("build_seconds", 0))')
echo "$NOPF_EQUAL" >&2

# The corpus above holds no malware: the same check on a planted corpus that
# triggers thousands of rules (untimed).
PLANTED=$("$ROOT/bench/files/differential.sh" 2>/dev/null || true)
echo "$PLANTED" >&2

cat >"$ROOT/bench/files/RESULTS.md" <<MD
# File sweep benchmark

Made by \`bench/files/run.sh\` on $(date -u +%Y-%m-%d), trawl $(git -C "$ROOT" rev-parse --short HEAD).
Machine: $(machine_line).
Corpus: $files files, $bytes bytes (${CORPUS_NOTE:-\`bench/files/make_corpus.sh\`: copies of /usr/share and /usr/lib}), warm page cache, 2 threads for every tool.

| run | wall s | peak RSS MiB | ratio |
|---|---:|---:|---|
| trawl, whole signature-base (hashes + filename regexes + YARA), \`--yara-cache\` | ${WALL[trawl_full]} | ${RSS[trawl_full]} | $(ratio "${WALL[trawl_full]}" "${WALL[yara]}") × yara's time |
| \`yara -C all.yarc -r -p 2\`, same YARA rules alone, precompiled (\`yarac\`) | ${WALL[yara]} | ${RSS[yara]} | 1 |
| trawl, YARA rules only (routed by file class, prefilter), \`--yara-cache\` | ${WALL[trawl_yara]} | ${RSS[trawl_yara]} | $(ratio "${WALL[trawl_yara]}" "${WALL[yara]}") × yara's time |
| trawl, whole signature-base, compiling its rules (no cache) | ${WALL[trawl_full_compiling]} | ${RSS[trawl_full_compiling]} | $(ratio "${WALL[trawl_full_compiling]}" "${WALL[yara_compiling]}") × yara's time compiling |
| \`yara -r -p 2\`, YARA rules alone, compiling them | ${WALL[yara_compiling]} | ${RSS[yara_compiling]} | 1 (for the row above and below) |
| trawl, YARA rules only, compiling them (no cache) | ${WALL[trawl_yara_compiling]} | ${RSS[trawl_yara_compiling]} | $(ratio "${WALL[trawl_yara_compiling]}" "${WALL[yara_compiling]}") × yara's time compiling |
| trawl, YARA rules only, \`--no-yara-prefilter\` (routed, no prefilter) | ${WALL[trawl_yara_nopf]} | ${RSS[trawl_yara_nopf]} | $(ratio "${WALL[trawl_yara_nopf]}" "${WALL[yara]}") × yara's time |
| trawl, YARA rules only, \`--yara-exact\` (whole set for every file) | ${WALL[trawl_yara_exact]} | ${RSS[trawl_yara_exact]} | $(ratio "${WALL[trawl_yara_exact]}" "${WALL[yara]}") × yara's time |
| trawl, filename regexes only | ${WALL[trawl_names]} | ${RSS[trawl_names]} | |
| trawl, hash indicators only (MD5, SHA-1, SHA-256) | ${WALL[trawl_hash]} | ${RSS[trawl_hash]} | $(ratio "${WALL[trawl_hash]}" "${WALL[hashdeep]}") × hashdeep's time |
| \`hashdeep -r -j 2 -c md5,sha1,sha256\` | ${WALL[hashdeep]} | ${RSS[hashdeep]} | 1 |

The machine was shared with other engineers compiling while this ran: the
runs are side by side in one run, so compare the ratios, not the seconds.
1-minute load average when each run started: $(for k in trawl_full trawl_full_compiling yara yara_compiling trawl_hash hashdeep trawl_names trawl_yara trawl_yara_compiling trawl_yara_nopf trawl_yara_exact; do printf '%s %s; ' "$k" "${LOAD[$k]}"; done)

CPU seconds (user + system): $(for k in trawl_full trawl_full_compiling yara yara_compiling trawl_yara trawl_yara_compiling; do printf '%s %s; ' "$k" "${CPU[$k]}"; done)

Start-up of the routed YARA-only runs: with the cache $CACHE_STATE; compiling, $COMPILING_STATE.

$PREFILTER

Differential check (\`bench/files/diff_hits.py\`, file for file and rule for rule):
\`\`\`
$DIFF
$NOPF_EQUAL
\`\`\`

The same check on the planted corpus (\`bench/files/differential.sh\`: 1,482 files made of
signature-base's own strings behind each class's magic, \`bench/files/plant.py\`):
\`\`\`
$PLANTED
\`\`\`

Files per routing class in the routed YARA-only run (rules in that class's set, and in the
set its files get when the prefilter finds none of the class's patterns):

| class | files | rules | rules without a prefilter hit |
|---|---:|---:|---:|
$CLASSES

Commands (trawl adds \`--threads 2 -q --json OUT/trawl.jsonl\`, all with \`--no-builtin\`):
- \`yarac -w -d filename= -d filepath= -d extension= -d filetype= -d owner= -d md5= ns0:RULE0 … all.yarc\` and two untimed \`trawl scan EMPTY --iocs signature-base --yara-cache CACHE\` / \`--yara signature-base/yara --yara-cache CACHE\` (fill the caches)
- \`trawl scan CORPUS --iocs signature-base --yara-cache CACHE\`, and without \`--yara-cache\`
- \`yara -e -r -p 2 -N -w --skip-larger=104857600 -d filename= … -C all.yarc CORPUS\` (output kept for the check), and \`yara -r -p 2 -N -w --skip-larger=104857600 -d filename= … ns0:RULE0 … CORPUS\` (compiling)
- \`trawl scan CORPUS --yara signature-base/yara --notice-score 0 --yara-cache CACHE --json routed.jsonl\`, and without \`--yara-cache\` (\`compiling.jsonl\`)
- \`trawl scan CORPUS --yara signature-base/yara --no-yara-prefilter --notice-score 0 --yara-cache CACHE --json nopf.jsonl\` (its own cache entry, filled first like the others)
- \`trawl scan CORPUS --yara signature-base/yara --yara-exact --notice-score 0 --yara-cache CACHE --json exact.jsonl\`
- \`trawl scan CORPUS --iocs signature-base/iocs/filename-iocs.txt\`
- \`trawl scan CORPUS --iocs signature-base/iocs/hash-iocs.txt\`
- \`hashdeep -r -j 2 -c md5,sha1,sha256 CORPUS\`
MD
cat "$ROOT/bench/files/RESULTS.md"

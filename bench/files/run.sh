#!/usr/bin/env bash
# File-sweep benchmark (issue 2), side by side in one run, warm page cache:
#  1. trawl with the whole of signature-base (hashes, ~3,800 filename regexes,
#     ~5,900 YARA rules) vs `yara -r -p 2` with the same rules alone;
#  2. trawl with hash indicators only vs `hashdeep -r -c md5,sha1,sha256`.
# Writes bench/files/RESULTS.md. Usage: bench/files/run.sh (after a release build in build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/lib.sh"
CORPUS=${CORPUS:-$ROOT/bench/corpus/files}
SB=$(cd "$ROOT/../shared/data/signature-base" && pwd)
TRAWL=$ROOT/build/trawl
[[ -x $TRAWL ]] || { echo "build trawl first (README command 1)" >&2; exit 2; }
"$ROOT/bench/files/make_corpus.sh" "$CORPUS"
files=$(find "$CORPUS" -type f | wc -l)
bytes=$(du -sb "$CORPUS" | cut -f1)

# yara CLI: every rule file in its own namespace, LOKI's externals defined.
mapfile -t RULES < <(find "$SB/yara" -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
YARA_ARGS=(-r -p 2 -N -w --skip-larger=104857600
  -d filename= -d filepath= -d extension= -d filetype= -d owner= -d md5=)
for i in "${!RULES[@]}"; do YARA_ARGS+=("ns$i:${RULES[$i]}"); done

echo "warming the page cache" >&2
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

echo "running (2 threads each)" >&2
measure trawl_full  "$TRAWL" scan "$CORPUS" --iocs "$SB" --no-builtin --threads 2 -q --json /dev/null
measure yara        yara "${YARA_ARGS[@]}" "$CORPUS"
measure trawl_hash  "$TRAWL" scan "$CORPUS" --iocs "$SB/iocs/hash-iocs.txt" --no-builtin --threads 2 -q --json /dev/null
measure hashdeep    hashdeep -r -j 2 -c md5,sha1,sha256 "$CORPUS"
measure trawl_names "$TRAWL" scan "$CORPUS" --iocs "$SB/iocs/filename-iocs.txt" --no-builtin --threads 2 -q --json /dev/null
measure trawl_yara  "$TRAWL" scan "$CORPUS" --yara "$SB/yara" --no-builtin --threads 2 -q --json /dev/null

cat >"$ROOT/bench/files/RESULTS.md" <<MD
# File sweep benchmark

Made by \`bench/files/run.sh\` on $(date -u +%Y-%m-%d), trawl $(git -C "$ROOT" rev-parse --short HEAD).
Machine: $(machine_line).
Corpus: $files files, $bytes bytes (\`bench/files/make_corpus.sh\`: copies of /usr/share and /usr/lib), warm page cache, 2 threads for every tool.

| run | wall s | peak RSS MiB | ratio |
|---|---:|---:|---|
| trawl, whole signature-base (hashes + filename regexes + YARA) | ${WALL[trawl_full]} | ${RSS[trawl_full]} | $(ratio "${WALL[trawl_full]}" "${WALL[yara]}") × yara's time |
| \`yara -r -p 2\`, same YARA rules alone | ${WALL[yara]} | ${RSS[yara]} | 1 |
| trawl, YARA rules only | ${WALL[trawl_yara]} | ${RSS[trawl_yara]} | $(ratio "${WALL[trawl_yara]}" "${WALL[yara]}") × yara's time |
| trawl, filename regexes only | ${WALL[trawl_names]} | ${RSS[trawl_names]} | |
| trawl, hash indicators only (MD5, SHA-1, SHA-256) | ${WALL[trawl_hash]} | ${RSS[trawl_hash]} | $(ratio "${WALL[trawl_hash]}" "${WALL[hashdeep]}") × hashdeep's time |
| \`hashdeep -r -j 2 -c md5,sha1,sha256\` | ${WALL[hashdeep]} | ${RSS[hashdeep]} | 1 |

Commands (trawl adds \`--threads 2 -q --json /dev/null\`, all with \`--no-builtin\`):
- \`trawl scan CORPUS --iocs signature-base\`
- \`yara -r -p 2 -N -w --skip-larger=104857600 -d filename= -d filepath= -d extension= -d filetype= -d owner= -d md5= ns0:RULE0 … CORPUS\`
- \`trawl scan CORPUS --yara signature-base/yara\`
- \`trawl scan CORPUS --iocs signature-base/iocs/filename-iocs.txt\`
- \`trawl scan CORPUS --iocs signature-base/iocs/hash-iocs.txt\`
- \`hashdeep -r -j 2 -c md5,sha1,sha256 CORPUS\`
MD
cat "$ROOT/bench/files/RESULTS.md"

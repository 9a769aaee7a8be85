#!/usr/bin/env bash
# Differential check of YARA hits on a planted corpus (bench/files/plant.py:
# files made of signature-base's own strings behind each class's magic):
# trawl routed, trawl --yara-exact and `yara -r` over the same files, compared
# file for file and rule for rule by diff_hits.py. Untimed.
# Usage: bench/files/differential.sh (after a release build in build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SB=$(cd "$ROOT/../shared/data/signature-base" && pwd)
TRAWL=$ROOT/build/trawl
OUT=$ROOT/bench/out/planted
rm -rf "$OUT"; mkdir -p "$OUT"
python3 "$ROOT/bench/files/plant.py" "$SB/yara" "$OUT/corpus" >&2
mapfile -t RULES < <(find "$SB/yara" -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
ARGS=(-e -r -p 2 -N -w --skip-larger=104857600
  -d filename= -d filepath= -d extension= -d filetype= -d owner= -d md5=)
for i in "${!RULES[@]}"; do ARGS+=("ns$i:${RULES[$i]}"); done
printf '%s\n' "${RULES[@]}" >"$OUT/rules.txt"
yara "${ARGS[@]}" "$OUT/corpus" >"$OUT/yara.txt" 2>/dev/null || true
T=(scan "$OUT/corpus" --yara "$SB/yara" --no-builtin --threads 2 -q --notice-score 0)
"$TRAWL" "${T[@]}" --json "$OUT/routed.jsonl" >/dev/null 2>&1 || true
"$TRAWL" "${T[@]}" --yara-exact --json "$OUT/exact.jsonl" >/dev/null 2>&1 || true
python3 "$ROOT/bench/files/diff_hits.py" "$OUT/rules.txt" "$OUT/routed.jsonl" "$OUT/exact.jsonl" "$OUT/yara.txt"
# The compiled cache (--yara-cache): filled by one run, loaded by the next;
# the loaded rules must hit exactly as the compiled ones.
"$TRAWL" "${T[@]}" --yara-cache "$OUT/cache" --json "$OUT/cache_written.jsonl" >/dev/null 2>&1 || true
"$TRAWL" "${T[@]}" --yara-cache "$OUT/cache" --json "$OUT/cache_hit.jsonl" >/dev/null 2>&1 || true
python3 - "$ROOT/bench/files" "$OUT/routed.jsonl" "$OUT/cache_written.jsonl" "$OUT/cache_hit.jsonl" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from diff_hits import trawl_hits
a, b, c = (trawl_hits(p) for p in sys.argv[2:5])
state = json.loads(open(sys.argv[4]).read().splitlines()[-1]).get("yara_cache")
print("hits equal, trawl routed vs the same with --yara-cache (written, then %s): %s (%d hits)"
      % (state, "yes" if a == b == c else "NO", len(c)))
PY

#!/usr/bin/env bash
# Builds the file-sweep corpus: >= 1 GB and >= 20,000 files, copies of
# /usr/share and part of /usr/lib (ELF libraries, scripts, text, images).
# Usage: bench/files/make_corpus.sh [DIR]   (default bench/corpus/files)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-$ROOT/bench/corpus/files}
if [[ -f $DIR/.complete ]]; then echo "corpus exists: $DIR"; exit 0; fi
rm -rf "$DIR"; mkdir -p "$DIR"
cp -a /usr/share "$DIR/share" 2>/dev/null || true
cp -a /usr/lib/x86_64-linux-gnu "$DIR/lib" 2>/dev/null || true
# Top up to 1 GB with more of /usr/lib if needed.
for extra in /usr/lib/gcc /usr/lib/python3 /usr/lib/jvm; do
  size=$(du -sb "$DIR" | cut -f1)
  (( size >= 1200000000 )) && break
  [[ -d $extra ]] && cp -a "$extra" "$DIR/$(basename "$extra")" 2>/dev/null || true
done
files=$(find "$DIR" -type f | wc -l)
size=$(du -sb "$DIR" | cut -f1)
echo "corpus: $files files, $size bytes in $DIR"
(( files >= 20000 && size >= 1000000000 )) || { echo "corpus too small" >&2; exit 1; }
touch "$DIR/.complete"

#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a short
# time (FUZZ_SECONDS, default 15) over its kept corpus, so every CI run both
# replays the regression inputs and explores a little. Crashes fail the run and
# leave their reproducer in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-15}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRAWL_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/crashes
status=0
for bin in build-fuzz/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  work=build-fuzz/corpus/$name
  mkdir -p "$work"
  seeds=()
  [[ -d fuzz/corpus/$name ]] && seeds+=("fuzz/corpus/$name")
  extra=()
  # LeakSanitizer takes the per-thread scratch that oneTBB's thread-local
  # table keeps for the process lifetime for a leak.
  [[ $name == logs ]] && extra+=(-detect_leaks=0)
  # libgsf's own leak on damaged OLE directories (see the file).
  lsan=""
  [[ -f fuzz/$name.lsan.supp ]] && lsan="suppressions=$PWD/fuzz/$name.lsan.supp"
  echo "== fuzz $name (${SECONDS_EACH}s)"
  if ! LSAN_OPTIONS="$lsan" "$bin" "${extra[@]}" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix=build-fuzz/crashes/"$name"- "$work" "${seeds[@]}" >build-fuzz/"$name".log 2>&1; then
    echo "fuzz $name FAILED:"; tail -40 build-fuzz/"$name".log; status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" build-fuzz/"$name".log | tail -1 || true
  fi
done
exit $status

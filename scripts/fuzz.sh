#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each over its kept
# corpus, so every run both replays the regression inputs and explores a little.
#
#   scripts/fuzz.sh                 CI: each target for FUZZ_SECONDS (default 10)
#   scripts/fuzz.sh --long          a night's campaign: each target for FUZZ_SECONDS
#                                   (default 600); every crash, timeout or OOM
#                                   reproducer is copied into fuzz/corpus/NAME/ as
#                                   crash-SHA256 (commit it with the fix: the short
#                                   run then replays it on every CI run)
#   scripts/fuzz.sh [--long] NAME.. only these targets (e.g. browser journal)
#
# Crashes fail the run and leave their reproducer in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
LONG=0
ONLY=()
for a in "$@"; do
  case $a in
    --long) LONG=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $a" >&2; exit 2 ;;
    *) ONLY+=("$a") ;;
  esac
done
if ((LONG)); then SECONDS_EACH=${FUZZ_SECONDS:-600}; else SECONDS_EACH=${FUZZ_SECONDS:-10}; fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRAWL_FUZZ=ON >/dev/null
if ((${#ONLY[@]})); then
  cmake --build build-fuzz -j"$(nproc)" --target "${ONLY[@]/%/_fuzz}"
else
  cmake --build build-fuzz -j"$(nproc)"
fi
mkdir -p build-fuzz/crashes
status=0
for bin in build-fuzz/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  if ((${#ONLY[@]})) && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then continue; fi
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
  # Journal files are 8 MiB (systemd-journal-remote's smallest); mutate them whole.
  [[ $name == journal ]] && extra+=(-max_len=$((8 << 20)))
  # libarchive allocates what a damaged header declares (a 7z header asking
  # for 3 TB): in trawl's real process that malloc returns NULL and libarchive
  # reports "Couldn't allocate memory" (an error record; the reproducer in
  # fuzz/corpus/unpack and UnpackRegression check it). The fuzzer is run the
  # same way: ASan returns NULL too, and only memory really used counts
  # against -rss_limit_mb.
  asan=""
  if [[ $name == unpack ]]; then
    asan="allocator_may_return_null=1"
    extra+=(-malloc_limit_mb=$((64 << 20)))
  fi
  echo "== fuzz $name (${SECONDS_EACH}s)"
  before=$(ls build-fuzz/crashes | wc -l)
  if ! ASAN_OPTIONS="$asan" LSAN_OPTIONS="$lsan" "$bin" "${extra[@]}" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix=build-fuzz/crashes/"$name"- "$work" "${seeds[@]}" >build-fuzz/"$name".log 2>&1; then
    echo "fuzz $name FAILED:"; tail -40 build-fuzz/"$name".log; status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" build-fuzz/"$name".log | tail -1 || true
  fi
  if ((LONG)) && (($(ls build-fuzz/crashes | wc -l) > before)); then
    mkdir -p fuzz/corpus/"$name"
    for f in build-fuzz/crashes/"$name"-*; do
      [[ -f $f ]] || continue
      dst=fuzz/corpus/$name/crash-$(sha256sum "$f" | cut -c1-64)
      [[ -e $dst ]] || { cp "$f" "$dst"; echo "kept reproducer $dst (commit it with the fix)"; }
    done
  fi
done
exit $status

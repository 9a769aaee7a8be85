#!/usr/bin/env bash
# README command 2: installs what is needed, builds trawl twice (release and
# ASan+UBSan) and runs the whole test suite on both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
JOBS=$(nproc)

echo "== release build and tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== ASan+UBSan build and tests"
# handle_sigbus=0: trawl's own SIGBUS guard for mapped evidence (read/mapped.h)
# must see the signal, as it does in a release build; ASan would abort first.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRAWL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
# allocator_may_return_null: an allocation too big to make returns NULL, as
# malloc does in the real process (libarchive allocates what a damaged header
# declares and reports the failure; UnpackRegression checks it).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_sigbus=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS"

echo "== fuzz smoke (libFuzzer, clang, ASan+UBSan): replays kept corpora, explores briefly"
FUZZ_SECONDS=${FUZZ_SECONDS:-10} bash scripts/fuzz.sh

# Reached only when every stage passed (set -e): one closing line for CI.
count() { ctest --test-dir "$1" -N | awk '/Total Tests:/ {print $3}'; }
fuzzers=$(ls build-fuzz/fuzz/*_fuzz 2>/dev/null | wc -l)
echo "trawl: $(( $(count build) + $(count build-asan) + fuzzers )) passed, 0 failed"

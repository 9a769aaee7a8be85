#!/usr/bin/env bash
# Builds the Debian package trawl_VERSION_amd64.deb (README "Fleet"):
# the binary, a man page generated from `trawl --help` (help2man), bash
# completion and the README; Depends from dpkg-shlibdeps (CPack's DEB
# generator, cmake/Packaging.cmake).
#
#   scripts/package.sh [BUILD_DIR [OUT_DIR]]
#
# BUILD_DIR: a build directory to package (default: build-pkg, configured here
# as Release without tests); OUT_DIR: where the .deb goes (default: .).
# Prints the path of the package on its last line.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build-pkg}")
out=$(realpath -m "${2:-$PWD}")
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
fi
for tool in help2man dpkg-shlibdeps cpack; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (run scripts/setup.sh)" >&2; exit 2; }
done
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRAWL_BUILD_TESTS=OFF >/dev/null
fi
if grep -q '^TRAWL_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" || grep -q '^TRAWL_TSAN:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "package.sh: $build is a sanitizer build; package a release build" >&2
  exit 2
fi
cmake --build "$build" --target trawl trawl_man
work=$(mktemp -d "$build/cpack.XXXXXX")
trap 'rm -rf "$work"' EXIT
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  exit 2
}
deb=$(find "$work" -maxdepth 1 -name 'trawl_*_*.deb' | head -n1)
[[ -n $deb ]] || { cat "$work/cpack.log" >&2; echo "package.sh: cpack made no .deb" >&2; exit 2; }
mkdir -p "$out"
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"

#!/usr/bin/env bash
# The Debian package end to end (issue 17): scripts/package.sh builds it from
# BUILD_DIR; it is installed with `apt-get install ./trawl_*.deb` (dpkg -i only
# if apt-get cannot, which the test says), the installed binary prints its
# version and runs a small scan, the man page and the bash completion work,
# and the package is removed again. Needs root (CI runs as root); fails, never
# skips, without it.
#   package_test.sh SOURCE_DIR BUILD_DIR VERSION
set -euo pipefail
src=$1 build=$2 version=$3
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "must run as root (it installs the package)"
if dpkg-query -W -f='${Status}' trawl 2>/dev/null | grep -q 'install ok installed'; then
  fail "a trawl package is already installed; this test would replace and remove it"
fi
tmp=$(mktemp -d)
installed=0
cleanup() {
  if ((installed)); then apt-get remove -y -qq trawl >/dev/null 2>&1 || dpkg -r trawl >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

deb=$(bash "$src/scripts/package.sh" "$build" "$tmp" | tail -n1)
[[ $(basename "$deb") == "trawl_${version}_amd64.deb" ]] || fail "package named $(basename "$deb")"

# Depends from dpkg-shlibdeps: the libraries the binary links, and publicsuffix.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libyara libvectorscan libssl3 libarchive libsqlite3 libsystemd libtbb libpsl libyaml-cpp libpcre2-8 libc6 libstdc++6 publicsuffix; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/trawl ./usr/share/man/man1/trawl.1.gz ./usr/share/bash-completion/completions/trawl ./usr/share/doc/trawl/README.md; do
  grep -q " $f\$" <<<"$contents" || fail "package lacks $f"
done

cd "$tmp"
export DEBIAN_FRONTEND=noninteractive
# Offline: every dependency is installed already (scripts/setup.sh), so apt
# resolves them from the dpkg database and downloads nothing.
if apt-get install -y -qq "$deb" >"$tmp/apt.log" 2>&1; then
  echo "installed with: apt-get install $deb"
else
  cat "$tmp/apt.log" >&2
  echo "apt-get could not install offline; installing with dpkg -i" >&2
  dpkg -i "$deb" || fail "dpkg -i failed"
fi
installed=1
[[ $(command -v trawl) == /usr/bin/trawl ]] || fail "trawl is not /usr/bin/trawl"
[[ $(/usr/bin/trawl --version) == "trawl $version" ]] || fail "--version says $(/usr/bin/trawl --version)"
man -w trawl >/dev/null || fail "man page not found"
zcat /usr/share/man/man1/trawl.1.gz | grep -qF -- '\-\-shard' || fail "man page lacks scan's flags"

# A small scan with the installed binary: one planted file by hash, one clean.
mkdir -p tree/opt feed
printf 'package-test-evil-%s\n' "$RANDOM$RANDOM" >tree/opt/evil.bin
echo harmless >tree/opt/ok.txt
sha256sum tree/opt/evil.bin | cut -d' ' -f1 >feed/iocs.txt
set +e
XDG_DATA_HOME=$tmp/xdg /usr/bin/trawl scan "$tmp/tree" --iocs feed/iocs.txt --no-builtin -q --json scan.jsonl >scan.out 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] || { cat scan.out >&2; fail "scan exit $rc, want 1"; }
grep -q "\"path\":\"$tmp/tree/opt/evil.bin\"" scan.jsonl || fail "planted file not found"
grep -c '"type":"finding"' scan.jsonl | grep -qx 1 || fail "want exactly one finding"
tail -n1 scan.jsonl | grep -q '"type":"summary"' || fail "no summary"

# The bash completion answers from the installed CLI.
got=$(bash -c 'source /usr/share/bash-completion/completions/trawl
  COMP_WORDS=(trawl sc); COMP_CWORD=1; _trawl; echo "${COMPREPLY[*]}"
  COMP_WORDS=(trawl scan --sha); COMP_CWORD=2; _trawl; echo "${COMPREPLY[*]}"
  COMP_WORDS=(trawl report m); COMP_CWORD=2; _trawl; echo "${COMPREPLY[*]}"')
[[ $got == $'scan\n--shard\nmerge' ]] || fail "completion gave: $got"

apt-get remove -y -qq trawl >/dev/null 2>&1 || dpkg -r trawl
installed=0
[[ ! -e /usr/bin/trawl ]] || fail "/usr/bin/trawl still there after removal"
echo "package_test: ok ($deb)"

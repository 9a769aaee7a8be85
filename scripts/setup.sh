#!/usr/bin/env bash
# Installs the Debian 12 packages trawl needs to build, test and benchmark.
# Idempotent; run as root (or with sudo available). Safe to run again.
set -euo pipefail

# Build and runtime libraries.
BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git
  libyara-dev libvectorscan-dev libssl-dev libarchive-dev libsqlite3-dev
  libsystemd-dev libgtest-dev libgmock-dev libcli11-dev libfmt-dev libtbb-dev
  nlohmann-json3-dev libplist-dev libpcre2-dev
  # Public Suffix List: libpsl reads the packaged list (publicsuffix) so that
  # free-text indicator files take only real domains ("ffmpeg.dll" is none).
  libpsl-dev publicsuffix
  libyaml-cpp-dev  # Sigma rules and the logsource mapping are YAML (src/sigma)
  libgsf-1-dev  # OLE compound files (MSI, MSP, old Office): their streams as archive members (src/read)
)
# Tools the tests use as oracles or peers; also the benchmarks' peers.
TEST_PKGS=(
  yara hashdeep ripgrep libevtx-utils systemd-journal-remote sqlite3
  gzip bzip2 xz-utils zstd util-linux time clang libclang-rt-14-dev
  gcc-mingw-w64-x86-64  # real PE files: VERSIONINFO for the inventory tests, the YARA routing differential test
  zlib1g-dev  # the RAR unpack test writes its archive byte by byte (CRC32); Debian has no RAR writer
  python3  # bench/files: the planted corpus and the YARA hits differential check
  rsyslog rsyslog-openssl rsyslog-gnutls openssl  # syslog sink tests: a private rsyslogd, TLS certs
  chromium  # HTML report test (headless, --dump-dom) and docs/report.png
  # Fleet (issue 17):
  help2man dpkg-dev fakeroot  # scripts/package.sh: man page from --help, dpkg-shlibdeps for Depends
  man-db bash-completion      # the package test: `man -w trawl`, the installed completion
  ansible openssh-server openssh-client  # deploy/ansible end-to-end test: sshd on loopback
  python3-yaml                # deploy/velociraptor artifact schema test (/usr/bin/python3)
  slurm-wlm slurm-client munge  # deploy/slurm test: a one-node Slurm cluster started by the test
  # Archives the unpacking tests build (src/read, tests/e2e/archive_e2e_test.cc):
  # zip, 7z (7zz), ISO 9660 (xorriso), CAB (gcab), cpio, a real MSI (wixl).
  zip unzip 7zip xorriso gcab cpio wixl msitools
  libarchive-tools  # bsdtar: XAR archives for the unpacking tests
  clamav  # bench/archives: clamscan, the peer that also unpacks (same hash list as .hsb)
)

want=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    want+=("$p")
  fi
done

if ((${#want[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}"
else
  echo "setup: all packages present"
fi

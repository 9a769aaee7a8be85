#!/usr/bin/env bash
# Makes docs/report.png: a demo scan of a synthetic tree (random files whose
# hashes a demo indicator file names, a file with a hostile HTML name, a proxy
# log that contacts 3CX C2 domains of the built-in pack) rendered by trawl's
# HTML report in headless Chromium. No real malware involved.
#   scripts/screenshot-report.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d /tmp/trawl-screenshot-XXXXXX)
trap 'rm -rf "$work"' EXIT

t=$work/host
mkdir -p "$t/opt/3CXDesktopApp" "$t/home/alice/Downloads" "$t/var/log/squid" "$work/iocs" "$work/profile"
head -c 5000 /dev/urandom > "$t/opt/3CXDesktopApp/ffmpeg.dll"
head -c 3000 /dev/urandom > "$t/home/alice/Downloads/<img src=x onerror=alert(1)>.exe"
head -c 2000 /dev/urandom > "$t/home/alice/Downloads/invoice"$'\u202e'"fdp.exe"
cat > "$t/var/log/squid/access.log" <<'LOG'
2023-03-22T10:15:01Z 10.0.0.5 GET https://akamaicontainer.com/update 200
2023-03-24T11:02:40Z 10.0.0.5 GET https://msstorageazure.com/api 200
2023-03-29T08:00:00Z 10.0.0.5 GET https://akamaicontainer.com/y 200
2023-03-30T09:12:13Z 10.0.0.7 GET https://raw.githubusercontent.com/IconStorages/images/main/icon1.ico 200
LOG
{
  echo "# Demo indicators for the screenshot"
  echo "$(sha256sum "$t/opt/3CXDesktopApp/ffmpeg.dll" | cut -d' ' -f1);Trojanized ffmpeg.dll shipped in 3CXDesktopApp 18.12.416 (demo hash)"
  echo "$(md5sum "$t/home/alice/Downloads/<img src=x onerror=alert(1)>.exe" | cut -d' ' -f1);70;Dropper seen in the campaign (demo hash)"
  echo "$(sha1sum "$t/home/alice/Downloads/invoice"$'\u202e'"fdp.exe" | cut -d' ' -f1);65;Phishing attachment with a reversed extension (demo hash)"
} > "$work/iocs/demo-hash-iocs.txt"

"$build/trawl" scan "$t" --iocs "$work/iocs" --no-packs --quiet --html "$work/report.html" \
  > /dev/null || true   # exit code 1: findings, as intended
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1280,1500 --screenshot="$root/docs/report.png" "file://$work/report.html" \
  2> "$work/chromium.log" || { cat "$work/chromium.log" >&2; exit 1; }
echo "wrote $root/docs/report.png"

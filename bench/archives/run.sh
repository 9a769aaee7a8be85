#!/usr/bin/env bash
# Archive benchmark (issue 15), side by side in one run, warm page cache:
#  1. trawl with a SHA-256 hash list over a software-share corpus of ZIPs,
#     tarballs (gzip, xz), 7z archives and MSI installers (wixl: the files in
#     the MSI's embedded cabinet) made from real files (/usr/lib, /usr/share:
#     the FILES corpus's sources), a few planted members among them;
#  2. clamscan (which also unpacks) with the same hashes as a .hsb database,
#     one process, and two processes over halves of the corpus (trawl uses 2
#     threads);
#  3. trawl over the same files unpacked (--no-archives): the cost of unpacking.
# Writes bench/archives/RESULTS.md. Usage: bench/archives/run.sh (after a
# release build in build/). SIZE_MB (default 1100: the issue asks for at
# least 1 GB) sets the corpus size.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/lib.sh"
TRAWL=$ROOT/build/trawl
CORPUS=${CORPUS:-$ROOT/bench/corpus/archives}
OUT=$ROOT/bench/out/archives
SIZE_MB=${SIZE_MB:-1100}
mkdir -p "$OUT"
[[ -x $TRAWL ]] || { echo "build trawl first (README command 1)" >&2; exit 2; }
command -v clamscan >/dev/null || { echo "clamscan missing (scripts/setup.sh installs clamav)" >&2; exit 2; }
command -v wixl >/dev/null || { echo "wixl missing (scripts/setup.sh installs msitools)" >&2; exit 2; }

# mkwxs DIR: DIR/app.wxs, an installer with every regular file of DIR as one
# component, all in one embedded cabinet (as WiX-built MSIs ship them).
mkwxs() {
  local d=$1 i=0 f esc comps="" refs=""
  while IFS= read -r f; do
    i=$((i + 1))
    esc=${f//&/&amp;}; esc=${esc//</&lt;}; esc=${esc//>/&gt;}; esc=${esc//\"/&quot;}
    comps+="<Component Id=\"C$i\" Guid=\"*\"><File Id=\"F$i\" Name=\"$esc\" Source=\"$esc\" KeyPath=\"yes\"/></Component>"
    refs+="<ComponentRef Id=\"C$i\"/>"
  done < <(cd "$d" && find . -maxdepth 1 -type f ! -name app.wxs -printf '%f\n' | sort)
  cat >"$d/app.wxs" <<WXS
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Bench" Language="1033" Version="1.0.0.0" Manufacturer="trawl bench"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes" />
    <Media Id="1" Cabinet="Data.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder">
      <Directory Id="INSTALLDIR" Name="Bench">$comps</Directory></Directory></Directory>
    <Feature Id="Main" Level="1">$refs</Feature>
  </Product>
</Wix>
WXS
}

if [[ ! -f $CORPUS/.complete ]]; then
  echo "making the corpus ($SIZE_MB MB of files from /usr/lib and /usr/share)" >&2
  rm -rf "$CORPUS"; mkdir -p "$CORPUS/plain" "$CORPUS/packed"
  # Real software: shared libraries and the like, in folders of about 20 MB.
  cap=$((SIZE_MB * 1048576)); total=0; chunk=0; inchunk=0
  while IFS= read -r f; do
    s=$(stat -c %s "$f")
    (( total + s > cap )) && break
    total=$((total + s))
    if (( inchunk + s > 20971520 )); then chunk=$((chunk + 1)); inchunk=0; fi
    inchunk=$((inchunk + s))
    mkdir -p "$CORPUS/plain/pkg$chunk"
    cp "$f" "$CORPUS/plain/pkg$chunk/" 2>/dev/null || true
  done < <(find /usr/lib/x86_64-linux-gnu /usr/share -type f -size -20M -size +4k 2>/dev/null | sort)
  # Planted members: random "DLLs" whose hashes are on the list, one in every third package.
  : >"$OUT/planted.sha256"
  n=0
  for d in "$CORPUS"/plain/pkg*; do
    (( n++ % 3 == 0 )) || continue
    head -c 300000 /dev/urandom >"$d/ffmpeg_$n.dll"
    sha256sum "$d/ffmpeg_$n.dll" | cut -d' ' -f1 >>"$OUT/planted.sha256"
  done
  # Pack each folder; the format rotates: zip, tar.gz, 7z, tar.xz, msi.
  i=0
  for d in "$CORPUS"/plain/pkg*; do
    name=$(basename "$d")
    case $((i++ % 5)) in
      0) (cd "$d" && zip -q -r -6 "$CORPUS/packed/$name.zip" .) ;;
      1) tar -C "$d" -czf "$CORPUS/packed/$name.tar.gz" . ;;
      2) (cd "$d" && 7zz a -bd -mx1 "$CORPUS/packed/$name.7z" . >/dev/null) ;;
      3) tar -C "$d" -cf - . | xz -1 -T2 >"$CORPUS/packed/$name.tar.xz" ;;
      4) mkwxs "$d" && (cd "$d" && wixl -o "$CORPUS/packed/$name.msi" app.wxs) && rm "$d/app.wxs" ;;
    esac
  done
  touch "$CORPUS/.complete"
fi

# The hash list: the planted hashes and 10,000 random ones, for trawl and clamscan.
planted=$(wc -l <"$OUT/planted.sha256")
{ cat "$OUT/planted.sha256"; for _ in $(seq 10000); do head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1; done; } \
  | awk '{print $1 ";bench planted"}' >"$OUT/x-hash-iocs.txt"
# ClamAV hash signatures: SHA256:SIZE:NAME (the planted files are 300,000 bytes).
awk -F';' '{print $1 ":300000:Bench.Planted-" NR ":73"}' "$OUT/x-hash-iocs.txt" >"$OUT/bench.hsb"

packed_bytes=$(du -sb "$CORPUS/packed" | cut -f1)
plain_bytes=$(du -sb "$CORPUS/plain" | cut -f1)
archives=$(find "$CORPUS/packed" -type f | wc -l)
members=$(find "$CORPUS/plain" -type f | wc -l)
echo "corpus: $archives archives, $packed_bytes bytes packed; $members files, $plain_bytes bytes unpacked; $planted planted" >&2

echo "warming the page cache" >&2
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

LOAD=$(cut -d' ' -f1 /proc/loadavg)
echo "running" >&2
measure trawl_archives "$TRAWL" scan "$CORPUS/packed" --iocs "$OUT/x-hash-iocs.txt" --no-builtin \
  --modules file --threads 2 -q --json "$OUT/trawl.jsonl"
measure clamscan_1 sh -c 'clamscan -r --no-summary -d "$1" "$2" >"$3"' sh "$OUT/bench.hsb" "$CORPUS/packed" "$OUT/clam1.txt"
measure clamscan_2 sh -c 'find "$2" -type f | sort | xargs -P 2 -n $(( ($4 + 1) / 2 )) clamscan --no-summary -d "$1" >"$3"' \
  sh "$OUT/bench.hsb" "$CORPUS/packed" "$OUT/clam2.txt" "$archives"
measure trawl_plain "$TRAWL" scan "$CORPUS/plain" --iocs "$OUT/x-hash-iocs.txt" --no-builtin \
  --modules file --threads 2 --no-archives -q --json "$OUT/plain.jsonl"

found_trawl=$(grep -c '"member":' "$OUT/trawl.jsonl" || true)
found_clam1=$(grep -c 'FOUND$' "$OUT/clam1.txt" || true)
found_clam2=$(grep -c 'FOUND$' "$OUT/clam2.txt" || true)
found_plain=$(grep -c '"type":"finding"' "$OUT/plain.jsonl" || true)
summary=$(tail -n 1 "$OUT/trawl.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("archives %s, members %s, unpacked bytes %s, skipped %s, errors %s" % (s.get("archives"), s.get("archive_members"), s.get("archive_bytes"), s.get("skipped"), s.get("errors")))')
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "n/a" }'; }

cat >"$ROOT/bench/archives/RESULTS.md" <<MD
# Archive benchmark

Made by \`bench/archives/run.sh\` on $(date -u +%Y-%m-%d), trawl $(git -C "$ROOT" rev-parse --short HEAD).
Machine: $(machine_line).
Corpus (\`SIZE_MB=$SIZE_MB\`): $archives archives (zip, tar.gz, 7z, tar.xz, msi in turn) made from
$members real files of /usr/lib and /usr/share ($plain_bytes bytes unpacked, $packed_bytes bytes
packed), $planted planted members
whose SHA-256 is among 10,000 on the list. Warm page cache.

| run | wall s | CPU s | MB/s (packed) | peak RSS MiB | planted found | wall ratio | CPU ratio |
|---|---:|---:|---:|---:|---:|---|---|
| trawl, archives, 2 threads | ${WALL[trawl_archives]} | ${CPU[trawl_archives]} | $(mbs "$packed_bytes" "${WALL[trawl_archives]}") | ${RSS[trawl_archives]} | $found_trawl / $planted | 1 | 1 |
| clamscan, one process | ${WALL[clamscan_1]} | ${CPU[clamscan_1]} | $(mbs "$packed_bytes" "${WALL[clamscan_1]}") | ${RSS[clamscan_1]} | $found_clam1 / $planted | $(ratio "${WALL[clamscan_1]}" "${WALL[trawl_archives]}") × trawl's | $(ratio "${CPU[clamscan_1]}" "${CPU[trawl_archives]}") × trawl's |
| clamscan, two processes (halves) | ${WALL[clamscan_2]} | ${CPU[clamscan_2]} | $(mbs "$packed_bytes" "${WALL[clamscan_2]}") | ${RSS[clamscan_2]} (one) | $found_clam2 / $planted | $(ratio "${WALL[clamscan_2]}" "${WALL[trawl_archives]}") × trawl's | $(ratio "${CPU[clamscan_2]}" "${CPU[trawl_archives]}") × trawl's |
| trawl, the same files unpacked (\`--no-archives\`) | ${WALL[trawl_plain]} | ${CPU[trawl_plain]} | $(mbs "$plain_bytes" "${WALL[trawl_plain]}") (unpacked) | ${RSS[trawl_plain]} | $found_plain / $planted | $(ratio "${WALL[trawl_plain]}" "${WALL[trawl_archives]}") × trawl's on the archives | $(ratio "${CPU[trawl_plain]}" "${CPU[trawl_archives]}") × |

trawl's summary of the archive run: $summary.

The machine was shared with other engineers compiling while this ran (load average
$LOAD on 2 cores at the start): wall times are inflated and uneven, CPU seconds (user +
system) less so. The runs are side by side in one run, so compare the ratios, not the seconds.

Commands:
- \`trawl scan packed --iocs x-hash-iocs.txt --no-builtin --modules file --threads 2 -q --json trawl.jsonl\`
- \`clamscan -r --no-summary -d bench.hsb packed\` (\`SHA256:300000:NAME:73\` lines, the same hashes)
- \`find packed -type f | xargs -P 2 -n HALF clamscan --no-summary -d bench.hsb\`
- \`trawl scan plain --iocs x-hash-iocs.txt --no-builtin --modules file --threads 2 --no-archives -q --json plain.jsonl\`
MD
cat "$ROOT/bench/archives/RESULTS.md"

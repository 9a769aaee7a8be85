// The pack store (stage ioc: where indicator sets live on the analyst's
// machine). Signature packs: indicator and rule folders installed once into the user's
// data directory and loaded by every `trawl scan` (unless --no-packs).
//
// Layout: PacksDir()/NAME/manifest.json and PacksDir()/NAME/content/ (a copy
// of the installed folder or the unpacked tarball; a single top-level folder
// of a tarball is stripped). Content is loaded like `--iocs DIR`: a
// signature-base root (iocs/ and yara/) or a folder of indicator and rule files.
//
// Installing reads only the source; it copies regular files and folders, never
// links, devices or FIFOs (they are counted as skipped), and refuses tarball
// entries with absolute paths or ".." components. Limits: 256 MiB per file,
// 2 GiB and 200,000 entries per pack. The new content is built beside the old
// and renamed into place, so a failed install leaves the installed pack as it was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::ioc {

// $XDG_DATA_HOME/trawl/packs, else $HOME/.local/share/trawl/packs. Empty
// when neither variable is set.
std::filesystem::path PacksDir();

struct PackManifest {
  std::string name;
  std::string version;    // VERSION file, git commit (.git/HEAD), or "unknown"
  std::string source;     // the path installed from
  std::string installed;  // ISO 8601 UTC
  std::map<std::string, std::uint64_t> counts;   // per kind, plus "yara_files"
  std::map<std::string, std::uint64_t> skipped;  // load problems and copy skips, by reason
  std::filesystem::path content;                 // PacksDir()/NAME/content
};

// manifest.json, both ways. Parsing never throws: a text that is not a JSON
// object with a string "name" is an error naming `where`; a number where a
// string belongs (a hand-edited `"version": 5`) is kept as its JSON text; counts
// that are not unsigned integers are dropped. `content` is left empty.
Result<PackManifest> ParsePackManifest(std::string_view text, const std::string& where);
std::string PackManifestJson(const PackManifest& m);

// A pack name: 1-64 of [A-Za-z0-9._-], not starting with '.'.
bool ValidPackName(const std::string& name);
// The default name for a source: its base name without .tar.gz/.tgz/.tar/... .
std::string PackNameFor(const std::filesystem::path& source);

struct InstallLimits {
  std::uint64_t max_file = 256ull << 20;
  std::uint64_t max_total = 2ull << 30;
  std::uint64_t max_entries = 200000;
};

// Installs (or replaces) pack `name` from a folder or a tarball (any format
// libarchive reads: .tar, .tar.gz, .tgz, .tar.xz, .tar.bz2, .tar.zst, .zip).
Result<PackManifest> InstallPack(const std::filesystem::path& source, const std::string& name,
                                 const std::filesystem::path& packs_dir,
                                 const InstallLimits& limits = {});

// Every installed pack, by name. A pack whose manifest cannot be read is an
// error (it would otherwise be skipped silently by a scan).
Result<std::vector<PackManifest>> ListPacks(const std::filesystem::path& packs_dir);

Status RemovePack(const std::string& name, const std::filesystem::path& packs_dir);

}  // namespace trawl::ioc

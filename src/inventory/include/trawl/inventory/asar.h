// A small reader of Electron's asar archives (resources/app.asar).
//
// Layout: a Chromium pickle holding the header size (bytes 0..7), then a
// pickle holding a JSON string (the directory tree: {"files": {NAME:
// {"files": ...} | {"size": N, "offset": "N"} | {"unpacked": true}}}), then
// the file data, offsets relative to its start. The reader checks every size
// against the file and caps the header (64 MiB) and any member read (16 MiB).
// Errors are values naming what is wrong; nothing here throws or aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/inventory/pe.h"  // ReadAtFn

namespace trawl::inventory {

struct AsarMember {
  std::uint64_t offset = 0;  // absolute, in the archive file
  std::uint64_t size = 0;
  bool unpacked = false;  // stored beside the archive (app.asar.unpacked/), not in it
};

// The package.json facts inventory needs.
struct PackageInfo {
  std::string name, product_name, version;
};

// Finds a member ("package.json", "dist/x.js") in the archive's header.
Result<AsarMember> FindAsarMember(const ReadAtFn& read_at, std::uint64_t file_size,
                                  std::string_view member_path);

// Reads the archive's top-level package.json and its name, productName and
// version (each may be empty when absent or not a string).
Result<PackageInfo> ReadAsarPackage(const ReadAtFn& read_at, std::uint64_t file_size);
Result<PackageInfo> ReadAsarPackage(const std::uint8_t* data, std::size_t n);

// name, productName and version of a package.json text.
Result<PackageInfo> ParsePackageJson(std::string_view text);

}  // namespace trawl::inventory

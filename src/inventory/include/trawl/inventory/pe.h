// A small reader of the version resource (VS_VERSIONINFO) of Windows PE files.
//
// Reads only what it needs: the DOS and PE headers, the section table, the
// resource directory (.rsrc) and the RT_VERSION leaf. Every offset, size and
// count is bounds-checked against the bytes given, recursion is limited, and
// a broken file is an error value naming the byte offset, never a crash.
// Not a general PE parser: no imports, no signatures, no overlays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::inventory {

struct PeVersionInfo {
  // VS_FIXEDFILEINFO as "a.b.c.d" (empty when the resource had none).
  std::string file_version, product_version;
  // The first StringTable's strings (ProductName, FileDescription,
  // CompanyName, ProductVersion, FileVersion, OriginalFilename, ...), UTF-8.
  std::map<std::string, std::string> strings;
};

// Random access to a file's bytes: fills `out` with up to n bytes at offset
// (fewer at the end of the file). Error only on an I/O failure.
using ReadAtFn =
    std::function<Status(std::uint64_t offset, std::size_t n, std::vector<std::uint8_t>& out)>;

// Reads the version resource of a PE file of `file_size` bytes through
// `read_at`, reading at most the headers and the resource section (capped at
// 32 MiB). Errors: "not a PE file", "no version resource", or what is broken
// and at which offset.
Result<PeVersionInfo> ReadPeVersion(const ReadAtFn& read_at, std::uint64_t file_size);

// The same over bytes in memory (tests, fuzzing).
Result<PeVersionInfo> ReadPeVersion(const std::uint8_t* data, std::size_t n);

}  // namespace trawl::inventory

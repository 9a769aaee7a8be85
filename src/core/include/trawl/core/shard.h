// Sharding a walk across N runs (`trawl scan --shard I/N`): run I takes the
// walked entries whose path hashes to I, so N runs over the same roots cover
// every entry exactly once (a Slurm array over a central log archive).
//
// The hash is FNV-1a (64 bit) over the path's bytes: fixed by this file, the
// same on every machine, compiler and run (std::hash is none of these). It
// decides membership only; it is not a security boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trawl/core/status.h"

namespace trawl {

// FNV-1a, 64 bit, over the bytes of s.
std::uint64_t StableHash64(std::string_view s);

struct Shard {
  std::uint32_t index = 1;  // 1..count
  std::uint32_t count = 1;
  // Whether this shard takes the entry at `path` (the path as walked).
  bool Holds(std::string_view path) const {
    return StableHash64(path) % count == static_cast<std::uint64_t>(index - 1);
  }
  std::string Name() const;  // "I/N"
};

// Parses "I/N" (decimal, 1 <= I <= N <= 65536, nothing else around). The
// error names what is wrong ("--shard 3/2: ...").
Result<Shard> ParseShard(std::string_view text);

}  // namespace trawl

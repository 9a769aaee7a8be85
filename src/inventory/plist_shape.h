// Bounds a property list's shape before libplist parses it (inventory only).
//
// libplist (2.2) parses and frees recursively and expands shared objects of a
// binary plist into copies: an Info.plist planted 100,000 levels deep crashes
// the scan (stack overflow), and a small binary plist whose arrays reference
// one another twice per level expands to 2^depth nodes. CheckPlistShape walks
// the structure without recursion first -- the object graph of a binary plist
// (trailer, offset table, container references), or the container tags of an
// XML one -- and refuses a plist nested deeper than `max_depth` or (binary)
// expanding to more than `max_nodes` nodes. It checks shape, not validity:
// what it cannot make sense of is left to libplist to refuse.
#pragma once

#include <cstddef>
#include <cstdint>

#include "trawl/core/status.h"

namespace trawl::inventory::detail {

struct PlistLimits {
  int max_depth = 128;               // Info.plist files nest a handful of levels
  std::uint64_t max_nodes = 200000;  // objects after shared references are expanded
};

Status CheckPlistShape(const std::uint8_t* data, std::size_t n, PlistLimits limits = {});

}  // namespace trawl::inventory::detail

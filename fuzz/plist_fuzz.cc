// libFuzzer target: the property-list shape guard in front of libplist
// (inventory). Invariants: the guard never crashes or reads outside the
// buffer, and whatever it lets through libplist parses and frees without
// running out of stack (depth <= 128) or memory (<= 200,000 objects).
#include <plist/plist.h>

#include <cstddef>
#include <cstdint>

#include "../src/inventory/plist_shape.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;  // the inventory reads Info.plist files up to 1 MiB
  if (!trawl::inventory::detail::CheckPlistShape(data, size).ok()) return 0;
  plist_t root = nullptr;
  plist_from_memory(reinterpret_cast<const char*>(data), static_cast<std::uint32_t>(size), &root);
  if (root) plist_free(root);
  return 0;
}

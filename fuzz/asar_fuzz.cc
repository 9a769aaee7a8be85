// libFuzzer target: the asar reader (header pickle, JSON tree, member bounds)
// over hostile bytes. Invariants: never crashes or reads outside the buffer;
// a member found lies inside the archive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "trawl/inventory/asar.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto read_at = [&](std::uint64_t off, std::size_t n, std::vector<std::uint8_t>& out) {
    out.clear();
    if (off < size) out.assign(data + off, data + off + std::min<std::uint64_t>(n, size - off));
    return trawl::Status::Ok();
  };
  for (const char* member : {"package.json", "a/b/c"}) {
    auto m = trawl::inventory::FindAsarMember(read_at, size, member);
    if (m.ok() && !m->unpacked && (m->offset > size || m->size > size - m->offset)) std::abort();
  }
  (void)trawl::inventory::ReadAsarPackage(data, size);
  return 0;
}

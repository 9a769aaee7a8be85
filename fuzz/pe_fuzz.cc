// libFuzzer target: the PE version-resource reader over hostile bytes.
// Invariants: never crashes, hangs or reads outside the buffer (ASan); an
// accepted file's fixed versions are empty or four dotted numbers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "trawl/inventory/pe.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto v = trawl::inventory::ReadPeVersion(data, size);
  if (v.ok()) {
    for (const std::string* s : {&v->file_version, &v->product_version}) {
      int dots = 0;
      for (char c : *s) dots += c == '.';
      if (!s->empty() && dots != 3) std::abort();
    }
  }
  return 0;
}

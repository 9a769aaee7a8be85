// libFuzzer target: the pack store's manifest.json (issue 11 part 6). An
// installed pack's manifest is read by every `trawl scan`; a hand-edited or
// damaged one must be an error value, never an abort. Invariants: parsing never
// throws or crashes; an accepted manifest survives a write and a re-read with
// every field equal.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/ioc/packs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;  // the store refuses larger manifests unread
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = trawl::ioc::ParsePackManifest(text, "manifest.json");
  if (!m.ok()) {
    if (m.status().message().find("manifest.json") == std::string::npos) __builtin_trap();
    return 0;
  }
  auto back = trawl::ioc::ParsePackManifest(trawl::ioc::PackManifestJson(*m), "again");
  if (!back.ok()) __builtin_trap();
  if (back->name != m->name || back->version != m->version || back->source != m->source ||
      back->installed != m->installed || back->counts != m->counts ||
      back->skipped != m->skipped)
    __builtin_trap();
  return 0;
}

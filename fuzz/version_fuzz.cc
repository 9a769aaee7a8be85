// libFuzzer target: the affected-version indicator format (version-iocs.txt,
// PRODUCT;PLATFORM;VERSION[,VERSION...][;SCORE[;DESCRIPTION]]) and the
// inventory's index over it. Invariants: every rejected line is reported, each
// loaded entry is a kVersion indicator with a known platform and a score in
// 0..100, and the index finds every loaded (product, platform, version) again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/core/finding.h"
#include "trawl/inventory/inventory.h"
#include "trawl/ioc/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::ioc::IndicatorSet set;
  trawl::ioc::LoadStats stats =
      trawl::ioc::LoadText(text, trawl::ioc::Format::kVersion, "version-iocs.txt", set);
  std::uint64_t skipped = 0;
  for (const auto& [reason, n] : stats.skipped)
    if (reason != "duplicate") skipped += n;
  if (skipped != stats.problems.size() + stats.notes.size()) __builtin_trap();
  trawl::inventory::VersionIndex index(set);
  for (const trawl::ioc::Indicator& ind : set.records()) {
    if (ind.kind != trawl::ioc::Kind::kVersion) __builtin_trap();
    if (ind.score < 0 || ind.score > 100) __builtin_trap();
    if (ind.platform != "windows" && ind.platform != "macos" && ind.platform != "linux" &&
        ind.platform != "any")
      __builtin_trap();
    trawl::InstalledProduct p;
    p.product = ind.product;
    p.version = ind.value;
    p.platform = ind.platform == "any" ? "linux" : ind.platform;
    if (!index.Match(p)) __builtin_trap();
  }
  return 0;
}

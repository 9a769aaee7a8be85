// libFuzzer target: the STIX loader must accept arbitrary bytes without
// crashing, report every rejection, and whatever it loads must survive a
// STIX round trip (export, load again: the same number of indicators).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/ioc/interchange.h"
#include "trawl/ioc/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool all : {false, true}) {
    trawl::ioc::LoadOptions opts;
    opts.all_attributes = all;
    opts.now = 1700000000;
    trawl::ioc::IndicatorSet set;
    trawl::ioc::LoadStats stats =
        trawl::ioc::LoadText(text, trawl::ioc::Format::kStix, "fuzz.json", set, opts);
    uint64_t skipped = 0;
    for (const auto& [reason, n] : stats.skipped) skipped += n;
    if (skipped < stats.problems.size()) __builtin_trap();  // a problem without a count
    trawl::ioc::ExportResult r = trawl::ioc::ExportIndicators(set, trawl::ioc::ExportFormat::kStix);
    trawl::ioc::IndicatorSet back;
    trawl::ioc::LoadText(r.files.at(0).text, trawl::ioc::Format::kStix, "back.json", back, opts);
    if (back.size() != set.size()) __builtin_trap();  // a loaded indicator does not round-trip
  }
  return 0;
}

// libFuzzer target: every indicator text format must accept arbitrary bytes
// without crashing, and every line it rejects must be reported.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/ioc/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using trawl::ioc::Format;
  for (Format f :
       {Format::kSigBaseHash, Format::kSigBaseTrustedHash, Format::kSigBaseFilename,
        Format::kSigBaseC2, Format::kSigBaseKeyword, Format::kPlain, Format::kCsv, Format::kAuto}) {
    trawl::ioc::IndicatorSet set;
    trawl::ioc::LoadStats stats = trawl::ioc::LoadText(text, f, "fuzz.txt", set);
    uint64_t skipped = 0;
    for (const auto& [reason, n] : stats.skipped)
      if (reason != "duplicate") skipped += n;
    // Every rejection is a problem, every deliberate omission (free text) a note.
    if (skipped != stats.problems.size() + stats.notes.size()) __builtin_trap();
  }
  trawl::ioc::Indicator ind;
  (void)trawl::ioc::DetectKind(trawl::ioc::Refang(text), ind);
  return 0;
}

// libFuzzer target: the YARA rule splitter and condition analysis (route.h)
// over hostile rule text (rules arrive in MISP and STIX feeds).
// Invariants: never crashes, hangs or recurses without bound; a split rule's
// text is a piece of the input; a rule's classes never leave the class mask;
// a skippable rule (prefilter) has patterns for all its strings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "route.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace trawl::yara::route;
  SplitUnit u = SplitSource(text);
  if (!u.ok) return 0;
  for (const RuleText& r : u.rules) {
    if (text.find(r.text) == std::string_view::npos) std::abort();
  }
  for (const RuleFacts& f : AnalyseUnit(u)) {
    if ((f.classes & ~kAllClasses) != 0) std::abort();
    if (f.skippable() && !f.prefilterable) std::abort();
  }
  return 0;
}

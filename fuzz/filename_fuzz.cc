// libFuzzer target: filename regex sets (src/match). The input is a
// signature-base filename-iocs.txt (REGEX;SCORE[;FP_REGEX] lines), then,
// after a NUL byte, paths to match, one a line. Every regex, however hostile,
// is compiled (Vectorscan, else PCRE2, else reported) and matched.
// Invariants: Build never fails on bad patterns (they are problems), the
// stats add up, and every hit is one of the given indicators, once.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "trawl/ioc/loader.h"
#include "trawl/match/filename.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (64u << 10)) return 0;  // compile time grows with the set: keep runs short
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::size_t nul = all.find('\0');
  std::string_view rules = all.substr(0, nul);
  std::string_view paths = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
  trawl::ioc::IndicatorSet set;
  trawl::ioc::LoadText(rules, trawl::ioc::Format::kSigBaseFilename, "filename-iocs.txt", set);
  std::vector<const trawl::ioc::Indicator*> inds = set.OfKind(trawl::ioc::Kind::kFilename);
  if (inds.size() > 64) inds.resize(64);
  trawl::match::BuildStats stats;
  auto m = trawl::match::FilenameMatcher::Build(inds, stats);
  if (stats.vectorscan + stats.fallback + stats.failed != stats.patterns) __builtin_trap();
  if (stats.problems.size() != stats.fallback + stats.failed + stats.fp_failed) __builtin_trap();
  if (!m.ok()) return 0;  // an engine failing as a whole (allocation): an error value
  std::set<const trawl::ioc::Indicator*> given(inds.begin(), inds.end());
  auto scratch = m->MakeScratch();
  std::vector<const trawl::ioc::Indicator*> hits;
  while (!paths.empty()) {
    std::size_t nl = paths.find('\n');
    std::string_view path = paths.substr(0, nl);
    paths = nl == std::string_view::npos ? std::string_view() : paths.substr(nl + 1);
    hits.clear();
    m->Match(path, *scratch, hits);
    std::set<const trawl::ioc::Indicator*> seen;
    for (const trawl::ioc::Indicator* h : hits)
      if (!given.count(h) || !seen.insert(h).second) __builtin_trap();
  }
  return 0;
}

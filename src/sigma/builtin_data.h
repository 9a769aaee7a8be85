// The built-in Sigma pack (packs/sigma), embedded at build time (internal).
#pragma once

#include <cstddef>

namespace trawl::sigma::detail {

struct BuiltinFile {
  const char* name;
  const char* text;
};

extern const char* const kThorMapping;
extern const char* const kTrawlMapping;
extern const BuiltinFile kBuiltinRules[];
extern const std::size_t kBuiltinRuleCount;

}  // namespace trawl::sigma::detail

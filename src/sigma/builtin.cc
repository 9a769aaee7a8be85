// The built-in Sigma pack: packs/sigma/rules, embedded (builtin_data.cc).
#include "builtin_data.h"
#include "trawl/sigma/builtin.h"

namespace trawl::sigma {

void AddBuiltinRules(Engine& engine) {
  for (std::size_t i = 0; i < detail::kBuiltinRuleCount; ++i)
    engine.AddText(detail::kBuiltinRules[i].text,
                   std::string("builtin:sigma/") + detail::kBuiltinRules[i].name);
}

std::size_t BuiltinRuleFileCount() { return detail::kBuiltinRuleCount; }

}  // namespace trawl::sigma

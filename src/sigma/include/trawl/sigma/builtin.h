// The built-in Sigma pack (packs/sigma/rules: SigmaHQ's eight 3CX rules,
// DRL 1.1), compiled into trawl so a bare scan runs them. Source names are
// "builtin:sigma/FILE". The default mapping is Mapping::Thor() (mapping.h).
#pragma once

#include <cstddef>

#include "trawl/sigma/engine.h"

namespace trawl::sigma {

// Adds every built-in rule file to `engine` (before Finish()).
void AddBuiltinRules(Engine& engine);
std::size_t BuiltinRuleFileCount();

}  // namespace trawl::sigma

// Value compilation (modifiers -> matchers) and rule documents (internal).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "internal.h"

namespace trawl::sigma::detail {

struct ValueIn {
  bool null = false;
  std::string text;
};

struct CompileOptions {
  const std::map<std::string, std::vector<std::string>>* placeholders = nullptr;
};

// Compiles `values` under the field's modifiers, appending to `out`.
bool CompileValues(const std::vector<std::string>& mods, const std::vector<ValueIn>& values,
                   const CompileOptions& opts, std::vector<Matcher>& out, CompileError& err);

}  // namespace trawl::sigma::detail

// Value compilation (modifiers -> matchers) and rule documents (internal).
#pragma once

#include <map>
#include <string>
#include <string_view>
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

// A literal every match of regex `pattern` contains ("" when none is known
// for sure), for the prefilter.
std::string RegexLiteral(std::string_view pattern);

}  // namespace trawl::sigma::detail

// Rule documents -> CompiledRule (internal).
#pragma once

#include <yaml-cpp/yaml.h>

#include "compile.h"

namespace trawl::sigma::detail {

// May throw YAML exceptions (the caller catches them).
bool CompileDocument(const YAML::Node& doc, const std::string& path, int line,
                     const CompileOptions& opts, CompiledRule& rule, CompileError& err,
                     LoadReport* stats);

// A Sigma v2 filter document: its condition is ANDed to each named rule.
struct FilterRule {
  RuleInfo info;
  std::vector<std::string> refs;
  std::vector<Search> searches;
  Cond cond;
};
bool CompileFilter(const YAML::Node& doc, const std::string& path, int line,
                   const CompileOptions& opts, FilterRule& out, CompileError& err);

}  // namespace trawl::sigma::detail

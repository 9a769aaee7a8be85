// Rule documents -> CompiledRule (internal).
#pragma once

#include <yaml-cpp/yaml.h>

#include "compile.h"

namespace trawl::sigma::detail {

// May throw YAML exceptions (the caller catches them).
bool CompileDocument(const YAML::Node& doc, const std::string& path, int line,
                     const CompileOptions& opts, CompiledRule& rule, CompileError& err,
                     LoadReport* stats);

}  // namespace trawl::sigma::detail

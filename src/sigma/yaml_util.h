// YAML helpers shared by the rule, correlation and mapping readers.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace trawl::sigma::detail {

// The node's scalar text; "" for a missing node, a list or a map.
inline std::string Scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

}  // namespace trawl::sigma::detail

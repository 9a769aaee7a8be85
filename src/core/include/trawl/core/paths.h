// Where a path is, for the decisions that keep trawl's own files off the
// scanned system (an --inventory inside a scan root, a --yara-cache folder
// written there): one rule, called by each.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trawl {

// The absolute, normalised form of `p`, with the symlinks of the part that
// exists resolved (std::filesystem::weakly_canonical; lexical on error).
std::filesystem::path CanonicalPath(const std::string& p);

// Whether `p` is `root` or below it, by path components (both canonical).
bool PathInside(const std::filesystem::path& p, const std::filesystem::path& root);

// The first of `roots` that `p` is inside (canonical forms compared), or
// empty when none.
std::string RootHolding(const std::string& p, const std::vector<std::string>& roots);

}  // namespace trawl

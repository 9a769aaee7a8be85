// Indicator sources as the command line names them (`--iocs PATH`,
// `trawl iocs check|list PATH`), resolved in one place:
//   - a folder: its indicator files (ioc::LoadDirectory; a signature-base
//     root's iocs/), plus YARA rules: the root's yara/ folder, or, in a plain
//     folder (no iocs/), the rule files in it;
//   - a rule file (IsRuleFile): a YARA rule path, not loaded here;
//   - any other file: one indicator file (format detected).
// Only non-throwing std::filesystem calls: an unreadable folder, a symlink
// loop where yara/ should be, or a vanished file is an error value naming
// the path, never an exception.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {

// ".yar" or ".yara", any case: the one test of a YARA rule file's name.
bool IsRuleFile(const std::filesystem::path& p);

struct LoadedSource {
  std::vector<LoadStats> stats;         // one per indicator file loaded
  std::vector<std::string> rule_paths;  // YARA rule files or folders found
};

// Loads one source into `set`. Error (naming the path) when it cannot be
// read at all; per-entry problems are in the stats.
Result<LoadedSource> LoadSource(const std::string& path, IndicatorSet& set,
                                const LoadOptions& options);

}  // namespace trawl::ioc

// Building a Sigma engine from what the operator asked for: the rule paths,
// the logsource mapping, the lowest level, expand placeholders, and whether
// the built-in pack joins. One place for `trawl scan --sigma` and
// `trawl sigma check|list`, so both load the same rules the same way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/sigma/engine.h"

namespace trawl::sigma {

struct LoadConfig {
  std::vector<std::string> paths;         // rule files or folders (recursive)
  std::string mapping;                    // THOR-format mapping file; "" = the built-in thor.yml
  std::vector<std::string> placeholders;  // NAME=VALUE, repeatable per name
  std::string level = "informational";    // lowest rule level loaded
  bool builtin = true;                    // the built-in pack (packs/sigma/rules)
};

// An engine ready to match (Finish()ed), or the reason it cannot be built: an
// unreadable mapping or rule path, a bad level or placeholder. Rules that do
// not load are not errors: they are in engine->report().issues.
Result<std::unique_ptr<Engine>> LoadEngine(const LoadConfig& config);

// Skip reasons that describe the rule set rather than a broken rule (a
// logsource trawl has no input for, a level below --sigma-level): counted
// and listed as notes, not load problems.
bool IsNoteReason(const std::string& reason);

}  // namespace trawl::sigma

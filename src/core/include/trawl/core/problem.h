// A problem met while loading indicators or rules: an entry skipped, a rule
// file that did not compile. Loaders count and describe them; sinks report
// them (JSON Lines `type: "problem"`, the HTML report's section), so load
// problems never reach stderr only.
#pragma once

#include <string>

namespace trawl {

struct Problem {
  std::string where;    // "file:line" (or object id)
  std::string message;  // why the entry was skipped
  std::string set;      // the indicator set or stage it came from ("yara", a path, "pack:NAME")
};

}  // namespace trawl

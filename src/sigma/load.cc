#include "trawl/sigma/load.h"

#include <utility>

#include "trawl/sigma/builtin.h"

namespace trawl::sigma {

bool IsNoteReason(const std::string& reason) {
  return reason == "unmapped-logsource" || reason == "below-level";
}

Result<std::unique_ptr<Engine>> LoadEngine(const LoadConfig& config) {
  Mapping mapping = Mapping::Default();
  if (!config.mapping.empty()) {
    auto m = Mapping::LoadFile(config.mapping);
    if (!m.ok()) return Status::Error("--sigma-mapping " + config.mapping + ": " + m.status().message());
    mapping = Mapping::WithAdditions(*m);
  }
  EngineOptions eo;
  if (!ParseRuleLevel(config.level, eo.min_level))
    return Status::Error("--sigma-level: unknown level '" + config.level +
                         "' (informational, low, medium, high, critical)");
  for (const std::string& p : config.placeholders) {
    std::size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Error("--placeholder wants NAME=VALUE, not '" + p + "'");
    eo.placeholders[p.substr(0, eq)].push_back(p.substr(eq + 1));
  }
  auto engine = std::make_unique<Engine>(std::move(mapping), eo);
  if (config.builtin) AddBuiltinRules(*engine);
  for (const std::string& p : config.paths)
    if (Status st = engine->AddPath(p); !st.ok()) return Status::Error("--sigma " + st.message());
  if (Status st = engine->Finish(); !st.ok()) return st;
  return engine;
}

}  // namespace trawl::sigma

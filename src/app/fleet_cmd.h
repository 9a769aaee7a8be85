// Fleet commands (README "Fleet"; issue 17):
//   trawl scan ... --shard I/N       a deterministic share of the walk (trawl/core/shard.h)
//   trawl report merge FILE.jsonl... [--html FLEET.html] [--json OUT] [--csv OUT]
// `report merge` exits 1 when a host is compromised or suspicious, else 2 when
// a host failed (no complete report) or an output could not be written, else 0.
#pragma once

#include <CLI/CLI.hpp>

#include "trawl/app/scan.h"

namespace trawl::app {

// --shard I/N on `trawl scan`: a bad value is refused at parse time (exit 2).
void AddShardFlag(CLI::App* scan, ScanConfig& config);

// `trawl report merge`; its exit code goes to `exit_code`.
void AddReportCommands(CLI::App& app, int& exit_code);

}  // namespace trawl::app

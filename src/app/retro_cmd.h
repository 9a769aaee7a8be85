// The host inventory's commands (src/hunt; README "Host inventory and
// retro-hunt"):
//   trawl scan ... --inventory FILE.db [--since OLD.db] [--force]
//   trawl retro DB... --iocs FEED... [--json/--html/--csv/--syslog]
//   trawl inventory stats DB
//   trawl inventory diff OLD.db NEW.db
// `retro` exits like a scan (0 clean, 1 a finding at warning or above) and 2
// when any inventory could not be read (the others are still checked and
// reported) or the indicators could not be loaded. stats/diff exit 0, or 2
// when a file is not a readable inventory.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trawl::app {

struct InventoryFlags {
  std::string path;   // --inventory
  std::string since;  // --since
  bool force = false;
};

// --inventory, --since, --force on `trawl scan`.
void AddInventoryFlags(CLI::App* scan, InventoryFlags& flags);

// `trawl retro` and `trawl inventory stats|diff`; the exit code of the one
// that ran goes to `exit_code`.
void AddRetroCommands(CLI::App& app, int& exit_code);

}  // namespace trawl::app

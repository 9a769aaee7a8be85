// `trawl iocs` (check, list, convert) and `trawl signatures` (install, list,
// remove): the indicator-management commands. Each Add* registers its
// subcommands on `app`; when one runs (during app.parse) it stores its exit
// code in `exit_code` (0 = fine, 2 = errors; see README "Indicator interchange").
#pragma once

#include <CLI/CLI.hpp>

namespace trawl::app {

void AddIocsCommands(CLI::App& app, int& exit_code);

}  // namespace trawl::app

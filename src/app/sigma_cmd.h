// `trawl sigma check PATH...` and `trawl sigma list [PATH...]`: load Sigma
// rules (trawl/sigma/engine.h) and report what loaded, what was skipped and
// why. See iocs_cmd.h for the conventions (exit_code set by the callback:
// 0 fine, 2 problems or unreadable input).
#pragma once

#include <CLI/CLI.hpp>

namespace trawl::app {

void AddSigmaCommands(CLI::App& app, int& exit_code);

}  // namespace trawl::app

// `trawl signatures install|list|remove`: signature packs in the user's data
// directory (trawl/ioc/packs.h). See iocs_cmd.h for the conventions.
#pragma once

#include <CLI/CLI.hpp>

namespace trawl::app {

void AddSignaturesCommands(CLI::App& app, int& exit_code);

}  // namespace trawl::app

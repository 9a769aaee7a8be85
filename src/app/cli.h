// The command line of the `trawl` binary, built in one place so that the
// tests parse an argv exactly as the binary does (app_test.cc) and main.cc
// only calls Main.
//
// Every subcommand and flag is declared here or by the function of the
// command's own file (iocs_cmd, signatures_cmd, sigma_cmd, retro_cmd,
// report_flags). A sweep's own options (`--sigma`, `--events`, ...) are not
// spelled out here: they come from the sweep registry (sweep::Registration::
// options), so a new sweep adds its flags in its own folder.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "report_flags.h"
#include "retro_cmd.h"
#include "trawl/app/scan.h"

namespace trawl::app {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitError = 2;

// What `trawl scan` was given.
struct ScanOptions {
  ScanConfig config;
  std::string json_path;  // --json FILE ('-' for stdout)
  bool no_color = false;
  bool quiet = false;
  ReportSetup reports;
  InventoryFlags inventory;
};

class CommandLine {
 public:
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses argv (argv[0] is the program). Returns the exit code when parsing
  // ends the run: 0 after --help or --version, 2 after a bad option or value
  // (the message printed to stderr, CLI11's or trawl's own). nullopt: go on
  // with Run.
  std::optional<int> Parse(int argc, const char* const* argv);

  // After Parse: runs the command that was given, returns its exit code.
  int Run();

  bool scan_given() const { return scan_->parsed(); }
  ScanOptions& scan() { return scan_options_; }

 private:
  CLI::App app_;
  CLI::App* scan_ = nullptr;
  ScanOptions scan_options_;
  std::string modules_;  // --modules, split and checked after parsing
  bool no_builtin_ = false, no_packs_ = false;
  std::map<std::string, bool> sweep_flags_;  // registered flag options, by name
  int command_exit_ = -1;  // set by the other commands when they run
};

// The binary's main, without the top-level guard (main.cc adds it).
int Main(int argc, const char* const* argv);

}  // namespace trawl::app

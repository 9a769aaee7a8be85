// trawl: compromise assessment. `trawl scan` sweeps files (and, as later
// sweeps land, logs and the live system) for indicators of compromise.
//
// Exit codes (a contract): 0 = nothing at warning or above, 1 = a finding at
// warning or above, 2 = could not run (bad arguments, unreadable indicators
// or rules, no path scannable).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>

#include "fleet_cmd.h"
#include "iocs_cmd.h"
#include "report_flags.h"
#include "retro_cmd.h"
#include "signals.h"
#include "sigma_cmd.h"
#include "signatures_cmd.h"
#include "trawl/app/registry.h"
#include "trawl/app/scan.h"
#include "trawl/core/stop.h"
#include "trawl/hunt/recorder.h"
#include "trawl/report/output.h"
#include "trawl/report/sink.h"

namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitError = 2;

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int RunScanCommand(trawl::app::ScanConfig& config, const std::string& json_path, bool no_color,
                   bool quiet, trawl::app::ReportSetup& reports,
                   const trawl::app::InventoryFlags& inv) {
  auto start = std::chrono::steady_clock::now();
  std::string started = UtcNow();
  config.paths = trawl::app::DefaultScanPaths(config);

  // --inventory: refused inside a scan root (unless --force) before anything runs.
  std::unique_ptr<trawl::hunt::Recorder> recorder;
  if (!inv.path.empty()) {
    auto r = trawl::hunt::Recorder::Open({inv.path, inv.since, inv.force, config.paths});
    if (!r.ok()) {
      std::fprintf(stderr, "trawl: %s\n", r.status().message().c_str());
      return kExitError;
    }
    recorder = std::move(*r);
    config.inventory = recorder.get();
  } else if (!inv.since.empty()) {
    std::fprintf(stderr, "trawl: --since needs --inventory\n");
    return kExitError;
  }

  trawl::app::InstallStopSignals();  // from here on, SIGINT/SIGTERM stop the scan cleanly
  auto engine = trawl::app::LoadEngine(config, stderr, quiet);
  if (!engine.ok()) {
    std::fprintf(stderr, "trawl: cannot start the scan: %s\n", engine.status().message().c_str());
    return kExitError;
  }

  trawl::report::FanOut sinks;
  bool json_to_stdout = json_path == "-";
  std::FILE* console = json_to_stdout ? stderr : stdout;
  bool color = !no_color && std::getenv("NO_COLOR") == nullptr && isatty(fileno(console));
  sinks.Add(trawl::app::WrapConsole(
      reports, quiet,
      trawl::report::MakeConsoleSink(console, {.color = color, .show_errors = !quiet})));
  if (!json_path.empty()) {
    auto opened = json_to_stdout ? trawl::Result<std::FILE*>(stdout)
                                 : trawl::report::OpenOutputFile(json_path);  // O_NOFOLLOW, ours only
    if (!opened.ok()) {
      std::fprintf(stderr, "trawl: %s\n", opened.status().message().c_str());
      return kExitError;
    }
    std::FILE* jf = *opened;
    sinks.Add(trawl::app::MakeJsonSink(reports, jf, !json_to_stdout));
  }
  if (!trawl::app::AddReportSinks(reports, sinks)) return kExitError;
  config.progress = trawl::app::StartProgress(reports);

  auto summary = trawl::app::RunScan(config, **engine, sinks);
  if (!summary.ok()) {
    std::fprintf(stderr, "trawl: %s\n", summary.status().message().c_str());
    return kExitError;
  }
  summary->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary->started = started;
  summary->finished = UtcNow();
  summary->interrupted = trawl::StopRequested();
  if (recorder) {
    // An interrupted scan's inventory is written whole but marked incomplete.
    if (auto st = recorder->Finish(*summary, TRAWL_VERSION, config.image_root); !st.ok()) {
      // The scan's findings still go out; the inventory is not to be trusted.
      std::fprintf(stderr, "trawl: inventory %s: %s\n", inv.path.c_str(), st.message().c_str());
      summary->errors++;
      sinks.OnError({inv.path, st.message(), "inventory"});
    }
  }
  trawl::app::FinishReports(reports, *summary);
  sinks.OnSummary(*summary);
  if (auto st = sinks.Close(); !st.ok()) {
    std::fprintf(stderr, "trawl: %s\n", st.message().c_str());
    return kExitError;
  }
  trawl::app::ReportForwarding(reports, quiet);
  return trawl::app::ScanExitCode(*summary);
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"trawl: compromise assessment scanner (files, logs, live system)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trawl " TRAWL_VERSION);

  trawl::app::ScanConfig config;
  std::string json_path;
  bool no_color = false, quiet = false;
  bool no_builtin = false;

  CLI::App* scan = app.add_subcommand("scan", "Sweep paths for indicators of compromise");
  scan->add_option("paths", config.paths, "Paths to scan (default: /)");
  scan->add_option("--iocs", config.ioc_paths,
                   "Indicator file or folder; a signature-base root loads iocs/ and yara/")
      ->type_name("PATH");
  scan->add_option("--yara", config.yara_paths, "YARA rule file or folder")->type_name("PATH");
  scan->add_flag("--no-builtin", no_builtin, "Do not load the built-in 3CX indicator pack");
  bool no_packs = false;
  scan->add_flag("--no-packs", no_packs, "Do not load installed signature packs");
  scan->add_flag("--all-attributes", config.all_attributes,
                 "MISP: also load attributes without the to_ids flag");
  scan->add_flag("--allow-broad-ranges", config.allow_broad_ranges,
                 "Load catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 shorter than /8, IPv6 "
                 "shorter than /16); refused by default");
  int command_exit = -1;  // set by the iocs/signatures commands when they run
  trawl::app::AddIocsCommands(app, command_exit);
  trawl::app::AddSignaturesCommands(app, command_exit);
  trawl::app::AddSigmaCommands(app, command_exit);
  scan->add_option("--json", json_path, "Write JSON Lines findings to FILE ('-' for stdout)")
      ->type_name("FILE");
  trawl::app::ReportSetup reports;
  trawl::app::AddReportFlags(scan, reports);
  scan->add_option("--exclude", config.exclude_globs, "Skip paths matching GLOB (pruned)")
      ->type_name("GLOB");
  scan->add_flag("--follow", config.follow_symlinks,
                 "Follow symbolic links (never out of the scan roots)");
  scan->add_flag("--one-filesystem", config.one_filesystem, "Stay on the roots' file systems");
  // CLI11's size validator: "100M", "1G", "512K", "4096"; a negative or
  // overflowing size is refused (exit 2), never wrapped around.
  scan->add_option("--max-file-size", config.max_file_size,
                   "Content checks only for files up to SIZE (default 100M; K, M, G)")
      ->check(CLI::Validator(
          [](std::string& v) {
            // strtoull would wrap "-1" around to 2^64-1 before the size validator sees it.
            return v.find('-') == std::string::npos ? std::string() : "not a size: " + v;
          },
          "SIZE"))
      ->transform(CLI::AsSizeValue(false))
      ->type_name("SIZE");
  scan->add_option("--threads", config.threads, "Worker threads (default: all cores)");
  scan->add_option("--yara-timeout", config.yara_timeout, "Seconds per file for YARA (default 30)");
  scan->add_flag("--yara-exact", config.yara_exact,
                 "Scan every file with the whole YARA rule set, as yara -r does (no routing by file class)");
  scan->add_option("--alert-score", config.thresholds.alert, "Score for an alert (default 80)");
  scan->add_option("--warning-score", config.thresholds.warning,
                   "Score for a warning (default 60)");
  scan->add_option("--notice-score", config.thresholds.notice, "Score for a notice (default 40)");
  std::string modules;
  scan->add_option("--modules", modules,
                   "Sweeps to run, comma-separated: " + trawl::app::Sweeps().ModuleList() +
                       " (default: all but process and network; those too when scanning /)")
      ->type_name("LIST");
  scan->add_option("--log", config.log_globs, "Also read files matching GLOB as logs")
      ->type_name("GLOB");
  // Sigma (module "sigma"): read by the Sigma sweep through the settings' options.
  scan->add_option("--sigma", config.sweep_options["sigma"],
                   "Sigma rule file or folder (recursive), repeatable; the built-in 3CX rules "
                   "run unless --no-builtin")
      ->type_name("PATH");
  scan->add_option("--events", config.sweep_options["events"],
                   "Also read files matching GLOB as event exports for Sigma (JSON, JSON Lines, "
                   "EVTX, W3C, Zeek, Squid)")
      ->type_name("GLOB");
  scan->add_option("--sigma-mapping", config.sweep_options["sigma-mapping"],
                   "Sigma logsource mapping in THOR format (default: SigmaHQ's thor.yml and "
                   "trawl's additions)")
      ->type_name("FILE")
      ->expected(1);
  scan->add_option("--sigma-level", config.sweep_options["sigma-level"],
                   "Lowest Sigma rule level loaded: informational, low, medium, high, critical "
                   "(default informational)")
      ->type_name("LEVEL")
      ->expected(1);
  scan->add_option("--placeholder", config.sweep_options["placeholder"],
                   "Value for a Sigma expand placeholder, repeatable")
      ->type_name("NAME=VALUE");
  scan->add_option("--max-hits-per-file", config.max_hits_per_file,
                   "Hits kept per file and indicator in JSON (default 1000; the rest are counted)");
  scan->add_option("--root", config.image_root,
                   "Scan a mounted system at DIR as that system (paths shown inside it; no "
                   "process or network sweep)")
      ->type_name("DIR");
  scan->add_option("--map", config.maps,
                   "A mounted Windows volume: report DIR's paths as C:\\... and match Windows "
                   "name indicators caselessly there")
      ->type_name("DIR:C");
  scan->add_flag("--process-memory", config.process_memory,
                 "Also run YARA over process memory (process sweep; capped per process)");
  trawl::app::InventoryFlags inventory;
  trawl::app::AddInventoryFlags(scan, inventory);
  trawl::app::AddRetroCommands(app, command_exit);
  // Fleet (issue 17): --shard I/N on scan, `trawl report merge`.
  trawl::app::AddShardFlag(scan, config);
  trawl::app::AddReportCommands(app, command_exit);
  scan->add_flag("--no-color", no_color, "No colours (also when NO_COLOR is set)");
  scan->add_flag("-q,--quiet", quiet, "Print only findings and the summary");

  // A repeatable option takes one value per use (`--iocs A --iocs B`), so
  // `trawl scan --iocs DIR /path` never swallows the path to scan.
  for (CLI::Option* opt : scan->get_options())
    if (!opt->get_positional() && opt->get_items_expected_max() > 1)
      opt->expected(1)->allow_extra_args(false)->multi_option_policy(
          CLI::MultiOptionPolicy::TakeAll);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitClean : kExitError;
  }

  if (scan->parsed()) {
    config.builtin = !no_builtin;
    config.packs = !no_packs;
    for (const std::string& m : CLI::detail::split(modules, ',')) {
      if (m.empty()) continue;
      if (!trawl::app::Sweeps().Knows(m)) {
        std::fprintf(stderr, "trawl: --modules: unknown module '%s'\n", m.c_str());
        return kExitError;
      }
      config.modules.push_back(m);
    }
    return RunScanCommand(config, json_path, no_color, quiet, reports, inventory);
  }
  if (command_exit >= 0) return command_exit;
  return kExitError;
}

// The top-level guard: whatever escapes (a library's exception, a bad
// allocation) ends the run with its message and exit 2, never an abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trawl: cannot run: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "trawl: cannot run: unknown error\n");
  }
  return kExitError;
}

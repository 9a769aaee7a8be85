// The `trawl` command line (cli.h): every flag of `trawl scan`, the other
// commands' registration, and the scan command's run.
#include "cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "fleet_cmd.h"
#include "iocs_cmd.h"
#include "signals.h"
#include "sigma_cmd.h"
#include "signatures_cmd.h"
#include "trawl/app/registry.h"
#include "trawl/core/stop.h"
#include "trawl/hunt/recorder.h"
#include "trawl/report/output.h"
#include "trawl/report/sink.h"

namespace trawl::app {
namespace {

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int RunScanCommand(ScanOptions& o) {
  ScanConfig& config = o.config;
  const std::string& json_path = o.json_path;
  const bool no_color = o.no_color, quiet = o.quiet;
  ReportSetup& reports = o.reports;
  const InventoryFlags& inv = o.inventory;
  auto start = std::chrono::steady_clock::now();
  std::string started = UtcNow();
  config.paths = DefaultScanPaths(config);

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

  InstallStopSignals();  // from here on, SIGINT/SIGTERM stop the scan cleanly
  auto engine = LoadEngine(config, stderr, quiet);
  if (!engine.ok()) {
    std::fprintf(stderr, "trawl: cannot start the scan: %s\n", engine.status().message().c_str());
    return kExitError;
  }

  trawl::report::FanOut sinks;
  bool json_to_stdout = json_path == "-";
  std::FILE* console = json_to_stdout ? stderr : stdout;
  bool color = !no_color && std::getenv("NO_COLOR") == nullptr && isatty(fileno(console));
  sinks.Add(WrapConsole(
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
    sinks.Add(MakeJsonSink(reports, jf, !json_to_stdout));
  }
  if (!AddReportSinks(reports, sinks)) return kExitError;
  config.progress = StartProgress(reports);

  auto summary = RunScan(config, **engine, sinks);
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
  FinishReports(reports, *summary);
  sinks.OnSummary(*summary);
  if (auto st = sinks.Close(); !st.ok()) {
    std::fprintf(stderr, "trawl: %s\n", st.message().c_str());
    return kExitError;
  }
  ReportForwarding(reports, quiet);
  return ScanExitCode(*summary);
}

}  // namespace

const char* Version() { return TRAWL_VERSION; }

namespace {

// CLI11's size validator ("100M", "1G", "512K", "4096"); a negative or
// overflowing size is refused (exit 2), never wrapped around: strtoull would
// turn "-1" into 2^64-1 before the size validator sees it.
void SizeOption(CLI::Option* o) {
  o->check(CLI::Validator(
              [](std::string& v) {
                return v.find('-') == std::string::npos ? std::string() : "not a size: " + v;
              },
              "SIZE"))
      ->transform(CLI::AsSizeValue(false))
      ->type_name("SIZE");
}

}  // namespace

CommandLine::CommandLine()
    : app_("trawl: compromise assessment scanner (files, logs, live system)") {
  CLI::App& app = app_;
  app.require_subcommand(1);
  app.set_version_flag("--version", "trawl " TRAWL_VERSION);

  ScanConfig& config = scan_options_.config;
  CLI::App* scan = app.add_subcommand("scan", "Sweep paths for indicators of compromise");
  scan_ = scan;
  scan->add_option("paths", config.paths, "Paths to scan (default: /)");
  scan->add_option("--iocs", config.ioc_paths,
                   "Indicator file or folder; a signature-base root loads iocs/ and yara/")
      ->type_name("PATH");
  scan->add_option("--yara", config.yara_paths, "YARA rule file or folder")->type_name("PATH");
  scan->add_flag("--no-builtin", no_builtin_, "Do not load the built-in 3CX indicator pack");
  scan->add_flag("--no-packs", no_packs_, "Do not load installed signature packs");
  scan->add_flag("--all-attributes", config.all_attributes,
                 "MISP: also load attributes without the to_ids flag");
  scan->add_flag("--allow-broad-ranges", config.allow_broad_ranges,
                 "Load catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 shorter than /8, IPv6 "
                 "shorter than /16); refused by default");
  AddIocsCommands(app, command_exit_);
  AddSignaturesCommands(app, command_exit_);
  AddSigmaCommands(app, command_exit_);
  scan->add_option("--json", scan_options_.json_path,
                   "Write JSON Lines findings to FILE ('-' for stdout)")
      ->type_name("FILE");
  AddReportFlags(scan, scan_options_.reports);
  scan->add_option("--exclude", config.exclude_globs, "Skip paths matching GLOB (pruned)")
      ->type_name("GLOB");
  scan->add_flag("--follow", config.follow_symlinks,
                 "Follow symbolic links (never out of the scan roots)");
  scan->add_flag("--one-filesystem", config.one_filesystem, "Stay on the roots' file systems");
  SizeOption(scan->add_option("--max-file-size", config.max_file_size,
                              "Content checks only for files up to SIZE (default 100M; K, M, G)"));
  // Archives and installers (src/read/unpack.h; README "Archives and installers"):
  // limits of every unpacking, shared by the file, log and inventory sweeps.
  scan->add_flag(
      "--no-archives", [&config](std::int64_t) { config.archives = false; },
      "Do not look inside archives, installers and compressed files");
  scan->add_option("--archive-depth", config.archive_depth,
                   "Containers opened inside containers, outermost included (default 4)")
      ->check(CLI::Range(1, 64));
  SizeOption(scan->add_option("--archive-max-bytes", config.archive_max_bytes,
                              "Unpacked bytes per file on disk, nested members included (default 4G)"));
  scan->add_option("--archive-ratio", config.archive_ratio,
                   "Most unpacked bytes per packed byte before a file is a bomb (default 250)")
      ->check(CLI::PositiveNumber);
  scan->add_option("--archive-timeout", config.archive_timeout,
                   "Seconds to unpack one file on disk, nested members included (default 120; "
                   "0: no limit)")
      ->check(CLI::NonNegativeNumber);
  scan->add_option("--archive-max-members", config.archive_max_members,
                   "Members read from one file on disk, nested members included (default 100000)")
      ->check(CLI::PositiveNumber);
  scan->add_option("--threads", config.threads, "Worker threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  scan->add_option("--file-timeout", config.file_timeout,
                   "Seconds one file may take to read: a log, event log, journal, browser database, "
                   "or any file's content for hashes and YARA (default 600; 0: no limit); the "
                   "rest of the file is skipped, with an error record")
      ->check(CLI::NonNegativeNumber);
  scan->add_option("--yara-timeout", config.yara_timeout, "Seconds per file for YARA (default 30)")
      ->check(CLI::NonNegativeNumber);
  scan->add_flag("--yara-exact", config.yara_exact,
                 "Scan every file with the whole YARA rule set, as yara -r does (no routing by "
                 "file class)");
  scan->add_flag("--no-yara-prefilter", config.yara_no_prefilter,
                 "Scan every routed file with its class's whole YARA rule set (no Vectorscan "
                 "prefilter settling files that no string-dependent rule can match)");
  scan->add_option("--yara-cache", config.yara_cache,
                   "Folder of compiled YARA rule sets: loaded when it holds the same rules (same "
                   "files, content, options and library versions), else compiled and saved there; "
                   "only read, never written, when it is inside a scan root")
      ->type_name("DIR");
  scan->add_option("--alert-score", config.thresholds.alert, "Score for an alert (default 80)");
  scan->add_option("--warning-score", config.thresholds.warning,
                   "Score for a warning (default 60)");
  scan->add_option("--notice-score", config.thresholds.notice, "Score for a notice (default 40)");
  scan->add_option("--modules", modules_,
                   "Sweeps to run, comma-separated: " + Sweeps().ModuleList() +
                       " (default: all but process and network; those too when scanning /)")
      ->type_name("LIST");
  scan->add_option("--log", config.log_globs, "Also read files matching GLOB as logs")
      ->type_name("GLOB");
  // Each sweep's own options, declared by its registration (Sigma's --sigma,
  // --events, ...): the values go to the settings' options under the name.
  for (const sweep::Registration& reg : Sweeps().all()) {
    for (const sweep::OptionInfo& opt : reg.options) {
      std::string name(opt.name), flag = "--" + name;
      if (opt.value_name.empty()) {
        scan->add_flag(flag, sweep_flags_[name], std::string(opt.help));
        continue;
      }
      CLI::Option* o = scan->add_option(flag, config.sweep_options[name], std::string(opt.help))
                           ->type_name(std::string(opt.value_name));
      // Once-only: one value, never the path after it, and a second use is refused.
      if (!opt.repeatable)
        o->expected(1)->allow_extra_args(false)->multi_option_policy(
            CLI::MultiOptionPolicy::Throw);
    }
  }
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
  AddInventoryFlags(scan, scan_options_.inventory);
  AddRetroCommands(app, command_exit_);
  // Fleet (issue 17): --shard I/N on scan, `trawl report merge`.
  AddShardFlag(scan, config);
  AddReportCommands(app, command_exit_);
  scan->add_flag("--no-color", scan_options_.no_color, "No colours (also when NO_COLOR is set)");
  scan->add_flag("-q,--quiet", scan_options_.quiet, "Print only findings and the summary");

  // A repeatable option takes one value per use (`--iocs A --iocs B`), so
  // `trawl scan --iocs DIR /path` never swallows the path to scan.
  for (CLI::Option* opt : scan->get_options())
    if (!opt->get_positional() && opt->get_items_expected_max() > 1)
      opt->expected(1)->allow_extra_args(false)->multi_option_policy(
          CLI::MultiOptionPolicy::TakeAll);
}

std::optional<int> CommandLine::Parse(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app_.exit(e);
    return rc == 0 ? kExitClean : kExitError;
  }
  if (!scan_->parsed()) return std::nullopt;
  ScanConfig& config = scan_options_.config;
  config.builtin = !no_builtin_;
  config.packs = !no_packs_;
  config.modules.clear();
  for (const std::string& m : CLI::detail::split(modules_, ',')) {
    if (m.empty()) continue;
    if (!Sweeps().Knows(m)) {
      std::fprintf(stderr, "trawl: --modules: unknown module '%s'\n", m.c_str());
      return kExitError;
    }
    config.modules.push_back(m);
  }
  for (const auto& [name, given] : sweep_flags_)
    if (given) config.sweep_options[name] = {"true"};
  // An option that was not given has no entry (Settings::Option: empty).
  for (auto it = config.sweep_options.begin(); it != config.sweep_options.end();)
    it = it->second.empty() ? config.sweep_options.erase(it) : std::next(it);
  return std::nullopt;
}

int CommandLine::Run() {
  if (scan_->parsed()) return RunScanCommand(scan_options_);
  if (command_exit_ >= 0) return command_exit_;
  return kExitError;
}

int Main(int argc, const char* const* argv) {
  CommandLine cli;
  if (auto done = cli.Parse(argc, argv)) return *done;
  return cli.Run();
}

}  // namespace trawl::app

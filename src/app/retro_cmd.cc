#include "retro_cmd.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "report_flags.h"
#include "trawl/app/scan.h"
#include "trawl/core/scoring.h"
#include "trawl/core/text.h"
#include "trawl/hunt/inventory_db.h"
#include "trawl/hunt/retro.h"
#include "trawl/ioc/indicator.h"
#include "trawl/report/sink.h"
#include "trawl/sigma/load.h"
#include "trawl/sweep/sweep.h"

namespace trawl::app {

namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitError = 2;

struct RetroOptions {
  std::vector<std::string> dbs;
  std::vector<std::string> iocs, yara;
  std::vector<std::string> sigma;  // --sigma: loaded to be counted, never checkable here
  bool no_builtin = false, no_packs = false, no_color = false, quiet = false;
  std::string json_path;
  Thresholds thresholds;
  ReportSetup reports;
};

int RunRetro(RetroOptions& o) {
  auto start = std::chrono::steady_clock::now();
  ScanConfig config;
  config.ioc_paths = o.iocs;
  config.yara_paths = o.yara;
  config.builtin = !o.no_builtin;
  config.packs = !o.no_packs;
  config.thresholds = o.thresholds;
  // The file and log sweeps' pieces: filename automaton, network matcher.
  config.modules = {"file", "log"};
  config.windows_names = true;  // C:\... rows of a --map scan match caselessly, as in the scan
  auto engine = LoadEngine(config, stderr, o.quiet);
  if (!engine.ok()) {
    std::fprintf(stderr, "trawl: cannot start retro: %s\n", engine.status().message().c_str());
    return kExitError;
  }
  const sweep::Engine& view = EngineView(**engine);

  report::FanOut sinks;
  bool json_to_stdout = o.json_path == "-";
  std::FILE* console = json_to_stdout ? stderr : stdout;
  bool color = !o.no_color && std::getenv("NO_COLOR") == nullptr && isatty(fileno(console));
  sinks.Add(WrapConsole(o.reports, o.quiet,
                        report::MakeConsoleSink(console, {.color = color, .show_errors = true})));
  if (!o.json_path.empty()) {
    std::FILE* jf = json_to_stdout ? stdout : std::fopen(o.json_path.c_str(), "w");
    if (!jf) {
      std::fprintf(stderr, "trawl: cannot write %s\n", o.json_path.c_str());
      return kExitError;
    }
    sinks.Add(MakeJsonSink(o.reports, jf, !json_to_stdout));
  }
  if (!AddReportSinks(o.reports, sinks)) return kExitError;
  for (const Problem& p : EngineProblems(**engine)) sinks.OnProblem(p);

  Summary s;
  s.indicator_sets = EngineSets(**engine);
  // Indicators no inventory can answer are said, never dropped silently.
  std::map<std::string, std::uint64_t> not_checkable;
  if (view.set) not_checkable = hunt::NotCheckable(*view.set);
  for (const IndicatorSetInfo& i : s.indicator_sets)
    if (i.name == "yara")
      for (const auto& [k, n] : i.loaded) not_checkable[k] += n;  // "yara rules"
  // Sigma rules need events, which no inventory holds: loaded (so a broken
  // rule path stops retro as it stops a scan) and counted, like YARA rules.
  {
    sigma::LoadConfig sc;
    sc.paths = o.sigma;
    sc.builtin = !o.no_builtin;
    auto rules = sigma::LoadEngine(sc);
    if (!rules.ok()) {
      std::fprintf(stderr, "trawl: cannot start retro: %s\n", rules.status().message().c_str());
      return kExitError;
    }
    if (std::size_t n = (*rules)->report().loaded) not_checkable["sigma rule"] += n;
  }
  for (const auto& [kind, n] : not_checkable)
    sinks.OnProblem({"retro",
                     fmt::format("{} {} indicator(s) cannot be checked against an "
                                 "inventory (it holds no content or text)",
                                 n, kind),
                     "retro"});

  std::uint64_t levels[4] = {0, 0, 0, 0};
  auto emit = [&](Finding& f) {
    ScoreFinding(f, o.thresholds);
    if (f.level == Level::kNone) return;
    levels[static_cast<int>(f.level)]++;
    sinks.OnFinding(f);
  };
  hunt::RetroStats stats;
  std::uint64_t failed = 0, ok = 0;
  std::string hosts;
  for (const std::string& path : o.dbs) {
    auto db = hunt::Reader::Open(path);
    if (!db.ok()) {
      failed++;
      s.errors++;
      sinks.OnError({path, db.status().message(), "retro"});
      continue;
    }
    if ((*db)->Meta("complete") != "1")
      sinks.OnError(
          {path, "inventory is incomplete (its scan did not finish); checked as is", "retro"});
    Status st = hunt::Check(**db, view, o.thresholds, emit, stats);
    if (!st.ok()) {
      failed++;
      s.errors++;
      sinks.OnError({path, st.message(), "retro"});
      continue;
    }
    ok++;
    std::string h = (*db)->Meta("host");
    if (hosts.find(h) == std::string::npos) hosts += (hosts.empty() ? "" : ",") + h;
  }
  s.files = stats.files;
  s.notices = levels[static_cast<int>(Level::kNotice)];
  s.warnings = levels[static_cast<int>(Level::kWarning)];
  s.alerts = levels[static_cast<int>(Level::kAlert)];
  s.host = hosts;
  s.paths = o.dbs;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.extra.push_back({"inventories", static_cast<std::int64_t>(ok)});
  s.extra.push_back({"inventories_failed", static_cast<std::int64_t>(failed)});
  s.extra.push_back({"file_rows", static_cast<std::int64_t>(stats.files)});
  s.extra.push_back({"contact_rows", static_cast<std::int64_t>(stats.contacts)});
  s.extra.push_back({"product_rows", static_cast<std::int64_t>(stats.products)});
  std::string nc;
  for (const auto& [k, n] : not_checkable)
    nc += fmt::format("{}{} {}", nc.empty() ? "" : ", ", n, k);
  if (!nc.empty()) s.extra.push_back({"not_checkable", nc});
  FinishReports(o.reports, s);
  sinks.OnSummary(s);
  if (auto st = sinks.Close(); !st.ok()) {
    std::fprintf(stderr, "trawl: %s\n", st.message().c_str());
    return kExitError;
  }
  ReportForwarding(o.reports, o.quiet);
  if (failed) return kExitError;
  return (s.alerts || s.warnings) ? kExitFindings : kExitClean;
}

int RunStats(const std::string& path, bool json) {
  auto db = hunt::Reader::Open(path);
  if (!db.ok()) {
    std::fprintf(stderr, "trawl: %s: %s\n", path.c_str(), db.status().message().c_str());
    return kExitError;
  }
  auto counts = (*db)->Counts();
  if (!counts.ok()) {
    std::fprintf(stderr, "trawl: %s\n", counts.status().message().c_str());
    return kExitError;
  }
  if (json) {
    nlohmann::json j;
    j["type"] = "inventory_stats";
    j["inventory"] = path;
    j["meta"] = (*db)->meta();
    j["counts"] = *counts;
    std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitClean;
  }
  std::printf("inventory %s\n", EscapeControl(path).c_str());
  for (const auto& [k, v] : (*db)->meta())
    std::printf("  %-16s %s\n", EscapeControl(k).c_str(), EscapeControl(v).c_str());
  for (const auto& [k, v] : *counts)
    std::printf("  %-16s %lld\n", EscapeControl(k).c_str(), static_cast<long long>(v));
  return kExitClean;
}

int RunDiff(const std::string& old_db, const std::string& new_db, bool json) {
  std::map<std::string, std::uint64_t> counts;
  Status st = hunt::Diff(
      old_db, new_db,
      [&](std::string_view change, std::string_view what, std::string_view detail) {
        if (json) {
          nlohmann::json j{
              {"type", "change"}, {"change", change}, {"what", what}, {"detail", detail}};
          std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
          std::printf("%-15s %s%s%s\n", std::string(change).c_str(),
                      EscapeControl(std::string(what)).c_str(), detail.empty() ? "" : "  ",
                      EscapeControl(std::string(detail)).c_str());
        }
      },
      counts);
  if (!st.ok()) {
    std::fprintf(stderr, "trawl: %s\n", st.message().c_str());
    return kExitError;
  }
  if (json) {
    nlohmann::json j{{"type", "summary"}, {"old", old_db}, {"new", new_db}, {"counts", counts}};
    std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::string line;
    for (const auto& [k, n] : counts)
      line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, k);
    std::printf("diff: %s\n", line.c_str());
  }
  return kExitClean;
}

}  // namespace

void AddInventoryFlags(CLI::App* scan, InventoryFlags& f) {
  scan->add_option("--inventory", f.path,
                   "Write a SQLite inventory of the host (files with digests, installed "
                   "products, contact index) to FILE, for `trawl retro`")
      ->type_name("FILE");
  scan->add_option("--since", f.since,
                   "With --inventory: reuse the digests of files unchanged since OLD.db")
      ->type_name("OLD.db");
  scan->add_flag("--force", f.force, "Allow an --inventory path inside a scan root");
}

void AddRetroCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RetroOptions>();
  CLI::App* retro = app.add_subcommand(
      "retro", "Check indicators against host inventories (trawl scan --inventory)");
  retro->add_option("inventories", o->dbs, "Inventory files")->required();
  retro->add_option("--iocs", o->iocs, "Indicator file or folder")
      ->type_name("PATH")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  retro->add_option("--yara", o->yara, "YARA rules (reported as not checkable)")
      ->type_name("PATH")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  retro->add_option("--sigma", o->sigma, "Sigma rules (reported as not checkable)")
      ->type_name("PATH")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  retro->add_flag("--no-builtin", o->no_builtin,
                  "Do not load the built-in 3CX indicator pack (nor its Sigma rules)");
  retro->add_flag("--no-packs", o->no_packs, "Do not load installed signature packs");
  retro->add_option("--json", o->json_path, "Write JSON Lines findings to FILE ('-' for stdout)")
      ->type_name("FILE");
  AddReportFlags(retro, o->reports);
  retro->add_option("--alert-score", o->thresholds.alert, "Score for an alert (default 80)");
  retro->add_option("--warning-score", o->thresholds.warning, "Score for a warning (default 60)");
  retro->add_option("--notice-score", o->thresholds.notice, "Score for a notice (default 40)");
  retro->add_flag("--no-color", o->no_color, "No colours");
  retro->add_flag("-q,--quiet", o->quiet, "Print only findings and the summary");
  retro->callback([o, &exit_code] { exit_code = RunRetro(*o); });

  CLI::App* inv = app.add_subcommand("inventory", "Inspect host inventories");
  inv->require_subcommand(1);
  auto db = std::make_shared<std::string>();
  auto old_db = std::make_shared<std::string>();
  auto new_db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* stats = inv->add_subcommand("stats", "Header and row counts of an inventory");
  stats->add_option("inventory", *db, "Inventory file")->required();
  stats->add_flag("--json", *json, "One JSON object");
  stats->callback([db, json, &exit_code] { exit_code = RunStats(*db, *json); });
  CLI::App* diff = inv->add_subcommand(
      "diff", "What changed on a host between two inventories (files, contacts, products)");
  diff->add_option("old", *old_db, "The older inventory")->required();
  diff->add_option("new", *new_db, "The newer inventory")->required();
  diff->add_flag("--json", *json, "JSON Lines");
  diff->callback(
      [old_db, new_db, json, &exit_code] { exit_code = RunDiff(*old_db, *new_db, *json); });
}

}  // namespace trawl::app

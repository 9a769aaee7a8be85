#include "fleet_cmd.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "trawl/core/shard.h"
#include "trawl/core/text.h"
#include "trawl/fleet/fleet.h"
#include "trawl/report/output.h"

namespace trawl::app {

namespace {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string html, json, csv;
  bool quiet = false;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f && f != stdout) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

Result<FilePtr> Open(const std::string& path) {
  if (path == "-") return FilePtr(stdout);
  auto f = report::OpenOutputFile(path);  // O_NOFOLLOW, ours only, as for a scan's reports
  if (!f.ok()) return f.status();
  return FilePtr(*f);
}

int RunMerge(const MergeOptions& o) {
  if (o.html.empty() && o.json.empty() && o.csv.empty()) {
    std::fprintf(stderr, "trawl: report merge: give --html, --json or --csv\n");
    return kExitError;
  }
  // Every output opens before any input is read: a bad path fails fast.
  FilePtr html, json, csv;
  for (auto [path, file] : {std::pair{&o.html, &html}, {&o.json, &json}, {&o.csv, &csv}}) {
    if (path->empty()) continue;
    auto f = Open(*path);
    if (!f.ok()) {
      std::fprintf(stderr, "trawl: %s\n", f.status().message().c_str());
      return kExitError;
    }
    *file = std::move(*f);
  }
  fleet::Fleet fl;
  for (const std::string& in : o.inputs) fleet::AddHostReport(fl, in);
  std::FILE* log = o.json == "-" || o.html == "-" || o.csv == "-" ? stderr : stdout;
  if (!o.quiet) {
    for (const fleet::BadLine& b : fl.bad_lines)
      std::fprintf(stderr, "trawl: %s: %s\n", EscapeControl(b.where).c_str(),
                   EscapeControl(b.message).c_str());
    if (fl.bad_lines_seen > fl.bad_lines.size())
      std::fprintf(stderr, "trawl: %llu more bad lines\n",
                   static_cast<unsigned long long>(fl.bad_lines_seen - fl.bad_lines.size()));
    for (const fleet::Host& h : fl.hosts)
      if (h.verdict == "failed")
        std::fprintf(stderr, "trawl: %s: failed: %s\n", EscapeControl(h.source).c_str(),
                     EscapeControl(h.why).c_str());
  }
  int rc = fleet::FleetExitCode(fl);
  auto check = [&](const Status& st) {
    if (!st.ok()) {
      std::fprintf(stderr, "trawl: %s\n", st.message().c_str());
      rc = kExitError;
    }
  };
  if (html) check(fleet::WriteFleetHtml(fl, html.get(), o.html == "-" ? "fleet.html" : o.html));
  if (json) check(fleet::WriteFleetJson(fl, json.get()));
  if (csv) check(fleet::WriteFleetCsv(fl, csv.get()));
  std::fprintf(log,
               "fleet: %zu hosts: %llu compromised, %llu suspicious, %llu failed, %llu clean; "
               "%zu indicators hit; %llu bad lines\n",
               fl.hosts.size(), static_cast<unsigned long long>(fl.Count("compromised")),
               static_cast<unsigned long long>(fl.Count("suspicious")),
               static_cast<unsigned long long>(fl.Count("failed")),
               static_cast<unsigned long long>(fl.Count("clean")), fl.indicators.size(),
               static_cast<unsigned long long>(fl.bad_lines_seen));
  return rc;
}

}  // namespace

void AddShardFlag(CLI::App* scan, ScanConfig& config) {
  scan->add_option_function<std::string>(
          "--shard",
          [&config](const std::string& v) {
            auto s = ParseShard(v);
            if (s.ok()) config.shard = *s;
          },
          "Check only shard I of N of the walked files (by a stable hash of the path); N runs "
          "cover the tree once; process and network sweeps run in shard 1 only")
      ->type_name("I/N")
      ->expected(1)
      ->check(CLI::Validator(
          [](std::string& v) {
            auto s = ParseShard(v);
            if (s.ok()) return std::string();
            // CLI11 names the flag itself ("--shard: 3/2: ...").
            std::string m = s.status().message();
            return m.rfind("--shard ", 0) == 0 ? m.substr(8) : m;
          },
          "I/N"));
}

void AddReportCommands(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<MergeOptions>();
  CLI::App* report = app.add_subcommand("report", "Work with finished reports");
  report->require_subcommand(1);
  CLI::App* merge =
      report->add_subcommand("merge",
                             "One fleet report from per-host JSON Lines reports (hosts by verdict, "
                             "indicators and hosts, C2 timeline)");
  merge->add_option("files", opts->inputs, "Per-host JSON Lines reports (trawl scan --json)")
      ->required()
      ->type_name("FILE.jsonl");
  merge->add_option("--html", opts->html, "Write the fleet HTML report")->type_name("FILE");
  merge->add_option("--json", opts->json, "Write the fleet as JSON Lines ('-' for stdout)")
      ->type_name("FILE");
  merge->add_option("--csv", opts->csv, "Write one CSV row per host")->type_name("FILE");
  merge->add_flag("-q,--quiet", opts->quiet, "Do not list bad lines and failed hosts on stderr");
  merge->callback([opts, &exit_code] { exit_code = RunMerge(*opts); });
}

}  // namespace trawl::app

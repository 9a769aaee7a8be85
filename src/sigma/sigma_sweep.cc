#include "trawl/sigma/sigma_sweep.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "trawl/core/text.h"
#include "trawl/evtx/evtx.h"
#include "trawl/live/os.h"
#include "trawl/live/sweep.h"
#include "trawl/logs/logs.h"
#include "trawl/read/read.h"
#include "trawl/sigma/load.h"
#include "trawl/sigma/sweep.h"
#include "trawl/sweep/evtx_pass.h"

namespace trawl::sigma {
namespace {

struct SigmaWorker final : sweep::Worker {
  explicit SigmaWorker(const Sweeper& s) : w(s.NewWorker()) {}
  std::unique_ptr<Sweeper::Worker, void (*)(Sweeper::Worker*)> w;
};

bool GlobMatches(const std::vector<std::string>& globs, const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const std::string& g : globs) {
    const std::string& subject = g.find('/') == std::string::npos ? base : path;
    if (::fnmatch(g.c_str(), subject.c_str(), 0) == 0) return true;
  }
  return false;
}

class SigmaSweep final : public sweep::Sweep {
 public:
  SigmaSweep(std::unique_ptr<Engine> engine, const sweep::Settings& s)
      : settings_(s),
        engine_(std::move(engine)),
        sweeper_(*engine_, s.thresholds),
        events_(s.Option("events")) {
    log_options_.extra_globs = s.log_globs;
    sweeper_.set_max_seconds(s.file_timeout);
  }

  bool walks() const override { return true; }
  std::unique_ptr<sweep::Worker> MakeWorker() const override {
    auto w = std::make_unique<SigmaWorker>(sweeper_);
    std::lock_guard<std::mutex> lock(mu_);
    workers_.push_back(w.get());  // for the summary (workers outlive Summarize)
    return w;
  }

  // By name first: EVTX by extension, the files the log sweep reads as logs
  // (their header decides W3C, Zeek or Squid), and every --events GLOB; then
  // an EVTX file under any other name by its magic (the pipeline's shared
  // read of the first bytes, which the artifacts sweep made already).
  bool Claims(const sweep::Item& item) const override {
    if (!item.regular) return false;
    const std::string& p = item.walked;
    bool evtx = p.size() > 5 && ToLowerAscii(std::string_view(p).substr(p.size() - 5)) == ".evtx";
    if (evtx || GlobMatches(events_, item.walked) || logs::IsLogPath(item.walked, log_options_))
      return true;
    if (item.st.st_size <= static_cast<off_t>(4096)) return false;  // no room for a record
    auto head = sweep::Head(item);
    return head.ok() && evtx::HasFileSignature(*head);
  }

  // An EVTX file: records from the pipeline's one read (sweep::ReadEvtxOnce),
  // shared with the evtx indicator sweep; other inputs go through Scan.
  std::unique_ptr<sweep::EvtxSink> EvtxSinkFor(const sweep::Item& item, sweep::Worker* worker,
                                               sweep::Context& ctx) override {
    auto& w = static_cast<SigmaWorker&>(*worker);
    auto head = sweep::Head(item);
    if (!head.ok() || sweeper_.Claims(item.walked, *head) != InputKind::kEvtx) return nullptr;
    return std::make_unique<Sink>(*this, item, w, ctx);
  }

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker* worker,
                      sweep::Context& ctx) override {
    auto& w = static_cast<SigmaWorker&>(*worker);
    InputKind kind = Detect(item, w, ctx);
    if (kind == InputKind::kNone) return sweep::Verdict::kContinue;
    // JSON and text events: the walked entry, opened relative to its directory
    // and only when still the file walked (any path length; a swapped file is
    // an error record). EVTX comes from the one pass (EvtxSinkFor).
    std::optional<read::File> opened;
    if (kind != InputKind::kEvtx) {
      auto file = sweep::OpenEntry(item);
      if (!file.ok()) {
        ctx.Error(item.walked, file.status().message(), module::kSigma);
        return sweep::Verdict::kContinue;
      }
      opened.emplace(std::move(*file));
    }
    Status st = sweeper_.ScanFile(
        item.read_path, item.shown, kind, *w.w, [&](Finding& f) { ctx.Emit(f); },
        [&](const ErrorRecord& e) { ctx.Error(item.walked, e.message, module::kSigma); },
        opened ? &*opened : nullptr);
    if (!st.ok()) ctx.Error(item.walked, st.message(), module::kSigma);
    return sweep::Verdict::kContinue;
  }

  // The live process list as linux process_creation events (the live system
  // only: never a mounted image).
  void Finish(sweep::Context& ctx) override {
    if (!settings_.live_sweeps) return;  // --shard I/N, I > 1: shard 1 reads the process list
    if (!live::PlanLive({}, settings_.paths, settings_.image, {}).processes) return;
    auto os = live::MakeOs();
    if (!os->supported()) return;
    auto pids = os->ListPids();
    if (!pids.ok()) {
      ctx.Error("/proc", pids.status().message(), module::kSigma);
      return;
    }
    std::unordered_map<int, live::ProcessInfo> procs;
    for (int pid : *pids) {
      auto info = os->Process(pid);
      if (info.ok()) procs.emplace(pid, std::move(*info));  // one that exited is not an error
    }
    auto w = sweeper_.NewWorker();
    for (const auto& [pid, p] : procs) {
      if (p.exe.empty()) continue;  // kernel threads
      ProcessInfo pi;
      pi.pid = p.pid;
      pi.ppid = p.ppid;
      pi.image = p.exe;
      pi.command_line = p.cmdline;
      pi.user = p.user;
      pi.current_directory = p.cwd;
      if (auto parent = procs.find(p.ppid); parent != procs.end()) {
        pi.parent_image = parent->second.exe;
        pi.parent_command_line = parent->second.cmdline;
      }
      sweeper_.ScanProcess(pi, fmt::format("process {} {}", p.pid, p.exe), *w,
                           [&](Finding& f) { ctx.Emit(f); });
    }
    process_worker_ = std::move(w);
  }

  void Summarize(Summary& s) const override {
    std::vector<const Sweeper::Worker*> ws;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const SigmaWorker* w : workers_) ws.push_back(w->w.get());
    }
    if (process_worker_) ws.push_back(process_worker_.get());
    for (auto& kv : sweeper_.Summary(ws)) s.extra.push_back(std::move(kv));
    const LoadReport& r = engine_->report();
    for (const auto& [reason, n] : r.skipped)
      s.extra.push_back({"sigma_skipped_" + reason, static_cast<std::int64_t>(n)});
  }

  std::vector<Problem> Problems() const override {
    std::vector<Problem> out;
    for (const LoadIssue& i : engine_->report().issues) {
      if (IsNoteReason(i.reason)) continue;  // counted in the summary, not a broken rule
      out.push_back({fmt::format("{}:{}", i.path, i.line),
                     fmt::format("{} [{}] {}", i.rule_id.empty() ? "-" : i.rule_id, i.reason,
                                 i.detail),
                     "sigma"});
    }
    return out;
  }

 private:
  // The input kind from the first bytes; a file the engine does not read
  // (a plain text log) is not an error.
  InputKind Detect(const sweep::Item& item, SigmaWorker&, sweep::Context& ctx) const {
    auto head = sweep::Head(item);  // read once per entry, shared with the other sweeps
    if (!head.ok()) {
      ctx.Error(item.walked, head.status().message(), module::kSigma);
      return InputKind::kNone;
    }
    return sweeper_.Claims(item.walked, *head);
  }

  class Sink final : public sweep::EvtxSink {
   public:
    Sink(SigmaSweep& sweep, const sweep::Item& item, SigmaWorker& w, sweep::Context& ctx)
        : sweep_(sweep), item_(item), w_(w), ctx_(ctx) {
      sweep_.sweeper_.BeginFile(*w_.w);
    }
    double max_seconds() const override { return sweep_.settings_.file_timeout; }
    void OnRecord(const evtx::Record& r) override {
      sweep_.sweeper_.EvtxRecord(r, item_.shown, *w_.w, [&](Finding& f) { ctx_.Emit(f); });
    }
    void OnDone(const Result<evtx::ReadStats>& stats, bool report_problems,
                sweep::Context& ctx) override {
      auto emit = [&](Finding& f) { ctx.Emit(f); };
      if (!stats.ok()) {
        if (report_problems) ctx.Error(item_.walked, stats.status().message(), module::kSigma);
      } else if (report_problems) {
        sweep_.sweeper_.EvtxProblems(*stats, item_.shown, *w_.w, [&](const ErrorRecord& e) {
          ctx.Error(item_.walked, e.message, module::kSigma);
        });
      }
      sweep_.sweeper_.EndFile(*w_.w, emit);
    }

   private:
    SigmaSweep& sweep_;
    const sweep::Item& item_;
    SigmaWorker& w_;
    sweep::Context& ctx_;
  };

  const sweep::Settings& settings_;
  std::unique_ptr<Engine> engine_;
  Sweeper sweeper_;
  std::vector<std::string> events_;
  logs::LogOptions log_options_;
  mutable std::mutex mu_;
  mutable std::vector<const SigmaWorker*> workers_;
  std::unique_ptr<Sweeper::Worker, void (*)(Sweeper::Worker*)> process_worker_{nullptr, nullptr};
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine&, const sweep::Settings& s,
                                           std::vector<std::string>& notes) {
  if (!s.Runs(module::kSigma)) return std::unique_ptr<sweep::Sweep>();
  LoadConfig lc;
  lc.paths = s.Option("sigma");
  if (!s.Option("sigma-mapping").empty()) lc.mapping = s.Option("sigma-mapping").back();
  if (!s.Option("sigma-level").empty()) lc.level = s.Option("sigma-level").back();
  lc.placeholders = s.Option("placeholder");
  lc.builtin = s.builtin;
  if (lc.paths.empty() && !lc.builtin) return std::unique_ptr<sweep::Sweep>();
  auto engine = LoadEngine(lc);
  if (!engine.ok()) return Status::Error("Sigma rules: " + engine.status().message());
  const LoadReport& r = (*engine)->report();
  std::uint64_t skipped = 0;
  for (const auto& [k, n] : r.skipped) skipped += n;
  notes.push_back(fmt::format("sigma: {} rules loaded from {} files, {} skipped", r.loaded,
                              r.files, skipped));
  if (r.loaded == 0) return std::unique_ptr<sweep::Sweep>();
  return std::unique_ptr<sweep::Sweep>(std::make_unique<SigmaSweep>(std::move(*engine), s));
}

}  // namespace

sweep::Registration SigmaSweepRegistration() {
  return {{{module::kSigma, "Sigma rules over event logs, JSON events, W3C/Zeek/Squid logs and "
                            "the live process list"}},
          &Make,
          false,
          {
              {"sigma", "PATH",
               "Sigma rule file or folder (recursive), repeatable; the built-in 3CX rules run "
               "unless --no-builtin"},
              {"events", "GLOB",
               "Also read files matching GLOB as event exports for Sigma (JSON, JSON Lines, "
               "EVTX, W3C, Zeek, Squid)"},
              {"sigma-mapping", "FILE",
               "Sigma logsource mapping in THOR format (default: SigmaHQ's thor.yml and "
               "trawl's additions)",
               false},
              {"sigma-level", "LEVEL",
               "Lowest Sigma rule level loaded: informational, low, medium, high, critical "
               "(default informational)",
               false},
              {"placeholder", "NAME=VALUE", "Value for a Sigma expand placeholder, repeatable"},
          }};
}

}  // namespace trawl::sigma

#include "trawl/app/scan.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "trawl/ioc/packs.h"
#include "trawl/app/registry.h"
#include "trawl/core/paths.h"
#include "trawl/core/stop.h"
#include "trawl/core/text.h"
#include "trawl/hash/hash.h"
#include "trawl/hunt/recorder.h"
#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/sources.h"
#include "trawl/live/image.h"
#include "trawl/logs/logs.h"
#include "trawl/match/filename.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/sweep/evtx_pass.h"
#include "trawl/sweep/sweep.h"
#include "trawl/sweep/timeline.h"
#include "trawl/walk/walk.h"
#include "trawl/yara/yara.h"

namespace trawl::app {

namespace fs = std::filesystem;

const std::vector<std::string>& KnownModules() {
  static const std::vector<std::string> kModules = Sweeps().ModuleNames();
  return kModules;
}

bool ScanConfig::Runs(const std::string& module) const {
  return modules.empty() || std::find(modules.begin(), modules.end(), module) != modules.end();
}

std::vector<std::string> DefaultScanPaths(const ScanConfig& config) {
  if (!config.paths.empty()) return config.paths;
  // An image scan covers the image (--root DIR, each --map DIR:C not inside
  // the root); else the live root. PathMap decides "inside" by components.
  live::PathMap map;
  if (!config.image_root.empty()) (void)map.SetRoot(config.image_root);
  for (const std::string& m : config.maps) (void)map.AddMap(m);
  std::vector<std::string> out = map.DefaultPaths();
  if (out.empty() && config.image_root.empty() && config.maps.empty()) out.push_back("/");
  return out;
}

struct Engine {
  ioc::IndicatorSet set;
  std::vector<IndicatorSetInfo> set_infos;
  std::vector<Problem> problems;  // every load problem, for the sinks
  std::unique_ptr<match::FilenameMatcher> filenames;
  std::unique_ptr<netmatch::NetMatcher> net;  // network indicators and keywords
  std::shared_ptr<const yara::Rules> rules;
  unsigned hash_algos = 0;
  live::PathMap paths;                            // --root / --map: how paths are shown
  std::unique_ptr<live::WindowsNames> win_names;  // caseless Windows names for --map
  sweep::Engine view;                             // the pieces above, as sweeps borrow them
  sweep::Settings settings;                       // what sweeps read of the configuration
  // The requested sweeps, in registry order (made by LoadEngine).
  std::vector<std::unique_ptr<sweep::Sweep>> sweeps;
  std::vector<const sweep::Registration*> made_by;  // parallel to sweeps
  // Start-up costs for the summary: reading every indicator set and pack,
  // and compiling the matchers (filename patterns, YARA, network automaton).
  double load_seconds = 0;
  double build_seconds = 0;
  // --yara-cache: what happened (yara.h CompileStats::cache and its entry, note).
  std::string yara_cache, yara_cache_entry, yara_cache_note;
};

void EngineDeleter::operator()(Engine* e) const { delete e; }
const sweep::Engine& EngineView(const Engine& e) { return e.view; }
const std::vector<IndicatorSetInfo>& EngineSets(const Engine& e) { return e.set_infos; }
const std::vector<Problem>& EngineProblems(const Engine& e) { return e.problems; }

namespace {

// Load problems go to `log` (unless quiet) and are kept for the sinks.
void PrintProblems(std::FILE* log, const std::vector<ioc::Problem>& problems, bool quiet,
                   const std::string& set, std::vector<Problem>& kept) {
  for (const ioc::Problem& p : problems) kept.push_back({p.where, p.message, set});
  if (quiet) return;
  for (const ioc::Problem& p : problems)
    std::fputs(
        fmt::format("  skipped {}: {}\n", EscapeControl(p.where), EscapeControl(p.message)).c_str(),
        log);
}

std::string CountsText(const std::map<std::string, std::uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, k);
  return s.empty() ? "nothing" : s;
}

IndicatorSetInfo InfoOf(const ioc::LoadStats& st) {
  return IndicatorSetInfo{st.name, st.version, st.loaded, st.skipped};
}

void ReportLoad(std::FILE* log, bool quiet, const ioc::LoadStats& st, std::vector<Problem>& kept) {
  if (!quiet)
    std::fputs(fmt::format("indicators: {}: loaded {}; skipped {}\n", EscapeControl(st.name),
                           CountsText(st.loaded), CountsText(st.skipped))
                   .c_str(),
               log);
  PrintProblems(log, st.problems, quiet, st.name, kept);
}

}  // namespace

Result<EnginePtr> LoadEngine(const ScanConfig& config, std::FILE* log, bool quiet) {
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const Clock::time_point load_start = Clock::now();
  EnginePtr engine(new Engine);
  if (!config.image_root.empty())
    if (Status st = engine->paths.SetRoot(config.image_root); !st.ok()) return st;
  for (const std::string& m : config.maps)
    if (Status st = engine->paths.AddMap(m); !st.ok()) return st;
  std::vector<std::string> rule_paths = config.yara_paths;
  ioc::LoadOptions load_opts;
  load_opts.all_attributes = config.all_attributes;
  load_opts.allow_broad_ranges = config.allow_broad_ranges;

  if (config.builtin) {
    ioc::LoadStats st = ioc::LoadBuiltin3cx(engine->set);
    ReportLoad(log, quiet, st, engine->problems);
    engine->set_infos.push_back(InfoOf(st));
  }
  for (const std::string& p : config.ioc_paths) {
    auto loaded = ioc::LoadSource(p, engine->set, load_opts);
    if (!loaded.ok()) return Status::Error("--iocs " + loaded.status().message());
    for (const ioc::LoadStats& st : loaded->stats) {
      ReportLoad(log, quiet, st, engine->problems);
      engine->set_infos.push_back(InfoOf(st));
    }
    for (std::string& r : loaded->rule_paths) rule_paths.push_back(std::move(r));
  }

  // Installed signature packs (`trawl signatures install`): one set each in
  // the summary, "pack:NAME" with the pack's version.
  if (config.packs) {
    fs::path dir = config.packs_dir.empty() ? ioc::PacksDir() : fs::path(config.packs_dir);
    auto packs = ioc::ListPacks(dir);
    if (!packs.ok()) return Status::Error("signature packs: " + packs.status().message());
    for (const ioc::PackManifest& pack : *packs) {
      auto loaded = ioc::LoadDirectory(pack.content, engine->set, load_opts);
      if (!loaded.ok())
        return Status::Error("pack " + pack.name + ": " + loaded.status().message());
      ioc::LoadStats total;
      total.name = "pack:" + pack.name;
      total.version = pack.version;
      for (const ioc::LoadStats& st : *loaded) total.Merge(st);
      ReportLoad(log, quiet, total, engine->problems);
      engine->set_infos.push_back(InfoOf(total));
      std::error_code pec;
      if (fs::is_directory(pack.content / "yara", pec))
        rule_paths.push_back((pack.content / "yara").string());
      else if (pack.counts.count("yara_files"))
        rule_paths.push_back(pack.content.string());
    }
  }

  engine->load_seconds = seconds_since(load_start);
  const Clock::time_point build_start = Clock::now();
  // Filename patterns: one automaton.
  std::vector<const ioc::Indicator*> filename_inds = engine->set.OfKind(ioc::Kind::kFilename);
  if (!filename_inds.empty()) {
    match::BuildStats bs;
    auto m = match::FilenameMatcher::Build(filename_inds, bs);
    if (!m.ok()) return Status::Error("filename indicators: " + m.status().message());
    engine->filenames = std::make_unique<match::FilenameMatcher>(std::move(*m));
    if (!quiet)
      std::fputs(fmt::format("filename patterns: {} compiled ({} in Vectorscan, {} with the PCRE2 "
                             "fallback), {} unusable\n",
                             bs.patterns, bs.vectorscan, bs.fallback,
                             bs.patterns - bs.vectorscan - bs.fallback)
                     .c_str(),
                 log);
    PrintProblems(log, bs.problems, quiet, "filename indicators", engine->problems);
  }

  // Rules that came as indicators (MISP yara attributes, STIX yara patterns).
  std::vector<yara::RuleSource> rule_sources;
  for (const ioc::Indicator* ind : engine->set.OfKind(ioc::Kind::kYara))
    rule_sources.push_back({ind->source, ind->value});
  if (!rule_paths.empty() || !rule_sources.empty()) {
    yara::CompileStats cs;
    yara::CompileOptions yo;
    yo.exact = config.yara_exact;
    yo.prefilter = !config.yara_no_prefilter;
    yo.cache_dir = config.yara_cache;
    yo.cache_tag = "trawl " TRAWL_VERSION;
    // Never written on the scanned system: inside a scan root it is only read.
    if (!yo.cache_dir.empty()) {
      std::string root = RootHolding(yo.cache_dir, config.paths);
      if (!root.empty()) {
        yo.cache_read_only = true;
        yo.cache_read_only_why = "inside the scan root " + root;
      }
    }
    auto rules = yara::Rules::Compile(rule_paths, rule_sources, cs, yo);
    if (!rules.ok()) return Status::Error("YARA rules: " + rules.status().message());
    engine->rules = *rules;
    engine->yara_cache = cs.cache;
    engine->yara_cache_entry = cs.cache_entry;
    engine->yara_cache_note = cs.cache_note;
    if (!quiet && !cs.cache.empty())
      std::fputs(fmt::format("yara cache: {}{}{}\n", cs.cache,
                             cs.cache_entry.empty() ? "" : " " + EscapeControl(cs.cache_entry),
                             cs.cache_note.empty() ? "" : " (" + EscapeControl(cs.cache_note) + ")")
                     .c_str(),
                 log);
    if (!quiet)
      std::fputs(
          fmt::format("yara: {} rules from {} of {} files\n", cs.rules, cs.files_ok, cs.files)
              .c_str(),
          log);
    PrintProblems(log, cs.problems, quiet, "yara", engine->problems);
    IndicatorSetInfo info;
    info.name = "yara";
    info.loaded["yara rules"] = cs.rules;
    if (cs.files > cs.files_ok)
      info.skipped["rule files failing to compile"] = cs.files - cs.files_ok;
    engine->set_infos.push_back(info);
  }

  // Network indicators and keywords: one automaton for every text sweep,
  // built when a requested sweep reads text.
  bool want_net = false;
  for (const sweep::Registration& r : Sweeps().all())
    for (const sweep::ModuleInfo& m : r.modules)
      want_net |= r.needs_net && config.Runs(std::string(m.name));
  if (want_net) {
    auto net = netmatch::NetMatcher::Build(engine->set);
    if (!net.ok()) return Status::Error("network indicators: " + net.status().message());
    if (!net->empty()) {
      engine->net = std::make_unique<netmatch::NetMatcher>(std::move(*net));
      if (!quiet)
        std::fputs(fmt::format("network indicators: {} in one automaton of {} patterns\n",
                               engine->net->indicator_count(), engine->net->pattern_count())
                       .c_str(),
                   log);
      PrintProblems(log, engine->net->problems(), quiet, "network indicators", engine->problems);
    }
  }

  if (!config.maps.empty() || config.windows_names) {  // Windows names, caseless on mapped volumes
    auto w = live::WindowsNames::Build(engine->set);
    if (!w.ok()) return Status::Error("filename indicators (Windows): " + w.status().message());
    engine->win_names = std::move(*w);
  }
  engine->build_seconds = seconds_since(build_start);
  if (engine->set.Has(ioc::Kind::kMd5)) engine->hash_algos |= hash::kMd5;
  if (engine->set.Has(ioc::Kind::kSha1)) engine->hash_algos |= hash::kSha1;
  if (engine->set.Has(ioc::Kind::kSha256)) engine->hash_algos |= hash::kSha256;
  // The `md5` external, only when a loaded rule's condition uses it.
  if (engine->rules && engine->rules->NeedsMd5()) engine->hash_algos |= hash::kMd5;
  // The inventory holds all three digests of every file within the size cap,
  // computed in the one read the file sweep does anyway.
  if (config.inventory) engine->hash_algos |= hash::kMd5 | hash::kSha1 | hash::kSha256;

  auto sigma_paths = config.sweep_options.find("sigma");
  bool sigma_rules = sigma_paths != config.sweep_options.end() && !sigma_paths->second.empty();
  if (engine->set.size() == 0 && !engine->rules && !sigma_rules)
    return Status::Error("no indicators or rules loaded: nothing to scan for");

  // The sweeps, from the registry: each decides from the settings whether it runs.
  engine->view = {&engine->set,      engine->filenames.get(), engine->win_names.get(),
                  engine->net.get(), engine->rules,           engine->hash_algos};
  sweep::Settings& s = engine->settings;
  s.thresholds = config.thresholds;
  s.max_file_size = config.max_file_size;
  s.yara_timeout = config.yara_timeout;
  s.file_timeout = config.file_timeout;
  s.max_hits_per_file = config.max_hits_per_file;
  s.archives = config.archives;
  s.unpack.max_depth = config.archive_depth;
  s.unpack.max_bytes = config.archive_max_bytes;
  s.unpack.max_ratio = config.archive_ratio;
  s.unpack.max_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(config.archive_timeout));
  s.unpack.max_members = config.archive_max_members;
  s.unpack.max_member_bytes = config.max_file_size;
  s.log_globs = config.log_globs;
  s.paths = config.paths;
  s.modules = config.modules;
  s.image = engine->paths.image();
  s.image_root = engine->paths.root();
  s.image_hosts = engine->paths.HostsFiles();
  s.process_memory = config.process_memory;
  s.process_memory_cap = config.process_memory_cap;
  s.builtin = config.builtin;
  s.options = config.sweep_options;
  s.inventory = config.inventory != nullptr;
  s.live_sweeps = !config.shard || config.shard->index == 1;
  std::vector<std::string> notes;
  for (const sweep::Registration& r : Sweeps().all()) {
    auto made = r.make(engine->view, engine->settings, notes);
    if (!made.ok()) return made.status();
    if (*made) {
      // A sweep's own load problems (Sigma rules that did not load), like the
      // indicator loaders': printed and sent to every sink.
      for (Problem& p : (*made)->Problems()) {
        if (!quiet)
          std::fputs(
              fmt::format("  skipped {}: {}\n", EscapeControl(p.where), EscapeControl(p.message))
                  .c_str(),
              log);
        engine->problems.push_back(std::move(p));
      }
      engine->sweeps.push_back(std::move(*made));
      engine->made_by.push_back(&r);
    }
  }
  // The inventory's contact index reads logs and hosts files itself (the
  // text sweeps only see indicator hits); not a registered module.
  if (config.inventory) {
    engine->sweeps.push_back(hunt::MakeContactSweep(engine->settings));
    engine->made_by.push_back(nullptr);
  }
  if (!quiet)
    for (const std::string& n : notes) std::fputs((n + "\n").c_str(), log);
  return engine;
}

namespace {

struct Counters {
  std::uint64_t files = 0, bytes = 0, errors = 0;
  std::map<std::string, std::uint64_t, std::less<>> skipped;
  std::uint64_t levels[4] = {0, 0, 0, 0};
};

const char* SkipReason(walk::EntryType t) {
  switch (t) {
    case walk::EntryType::kSymlink:
      return "symlink";
    case walk::EntryType::kFifo:
      return "fifo";
    case walk::EntryType::kSocket:
      return "socket";
    case walk::EntryType::kCharDevice:
    case walk::EntryType::kBlockDevice:
      return "device";
    default:
      return "not regular";
  }
}

std::string_view IndicatorValue(const ioc::Indicator* ind) { return ind->value; }

// Per-thread state: every walking sweep's Worker, and the counters.
struct WorkerState {
  std::vector<std::unique_ptr<sweep::Worker>> workers;  // parallel to the walking sweeps
  sweep::HeadCache head;                                // the current entry's first bytes
  std::vector<std::unique_ptr<sweep::EvtxSink>> evtx_sinks;  // the current entry's EVTX readers
  Counters counters;
  // --inventory: the digests the file sweep recorded for the current entry.
  std::map<std::string, std::string> digests;
  bool have_digests = false, reused = false;
  std::optional<std::uint64_t> members;  // RecordUnpacked: a complete look inside
};

// The pipeline: one walk, every walking sweep in registry order per entry;
// the Context every sweep reports through.
class Pipeline final : public walk::Visitor, public sweep::Context {
 public:
  Pipeline(const ScanConfig& c, const Engine& e, report::Sink& sink)
      : config_(c), engine_(e), sink_(sink) {
    for (const auto& s : e.sweeps)
      if (s->walks()) walking_.push_back(s.get());
  }

  bool walks() const { return !walking_.empty(); }

  // walk::Visitor
  void OnEntry(const walk::Entry& entry) override {
    WorkerState& w = Local();
    if (config_.shard && !config_.shard->Holds(entry.path)) {  // another run's share
      w.counters.skipped["other shard"]++;
      return;
    }
    w.counters.files++;
    bool regular = entry.type == walk::EntryType::kRegular;
    if (config_.progress)
      config_.progress->OnFile(entry.path, regular && static_cast<std::uint64_t>(
                                                          entry.st.st_size) <= config_.max_file_size
                                               ? static_cast<std::uint64_t>(entry.st.st_size)
                                               : 0);
    if (!regular) w.counters.skipped[SkipReason(entry.type)]++;
    bool windows = false;  // on a --map volume: shown as C:\..., Windows names caseless
    std::string shown = engine_.paths.Shown(entry.path, &windows);
    const bool followed = !entry.real_path.empty();
    sweep::Item item{entry.path,           followed ? entry.real_path : entry.path,
                     shown,                entry.st,
                     regular,              windows,
                     followed ? -1 : entry.dir_fd, entry.name,
                     &w.head};
    w.head.Reset();
    w.have_digests = false;
    w.members.reset();
    // Sweeps reading the entry as an event log share one read of it, after
    // the others (ReadEvtxOnce).
    w.evtx_sinks.clear();
    for (std::size_t i = 0; i < walking_.size(); ++i) {
      if (!walking_[i]->Claims(item)) continue;
      if (auto sink = walking_[i]->EvtxSinkFor(item, w.workers[i].get(), *this)) {
        w.evtx_sinks.push_back(std::move(sink));
        continue;
      }
      if (walking_[i]->Scan(item, w.workers[i].get(), *this) == sweep::Verdict::kTrusted) break;
    }
    sweep::ReadEvtxOnce(item, w.evtx_sinks, *this);
    w.evtx_sinks.clear();
    if (config_.inventory)
      config_.inventory->OnEntry(shown, entry.st, w.have_digests ? &w.digests : nullptr, w.reused,
                                 w.members);
  }
  void OnError(const std::string& path, const std::string& message) override {
    Error(path, message, sweep::module::kFile);
  }
  void OnSkip(const std::string&, const std::string& reason) override { Skip(reason); }

  // sweep::Context
  void Emit(Finding& f) override {
    if (f.audience == Finding::Audience::kHuman) {  // an aggregate repeats counted hits
      if (f.level != Level::kNone) sink_.OnFinding(f);
      return;
    }
    if (f.reasons.empty()) return;
    ScoreFinding(f, config_.thresholds);
    if (f.level == Level::kNone) return;
    Local().counters.levels[static_cast<int>(f.level)]++;
    sink_.OnFinding(f);
  }
  void Error(const std::string& walked, const std::string& message,
             std::string_view module) override {
    Local().counters.errors++;
    sink_.OnError({engine_.paths.Shown(walked), message, std::string(module)});
  }
  void Skip(std::string_view reason) override {
    auto& m = Local().counters.skipped;
    auto it = m.find(reason);
    if (it == m.end()) it = m.emplace(std::string(reason), 0).first;
    it->second++;
  }
  void AddContacts(const std::map<const ioc::Indicator*, Contact>& contacts) override {
    timeline_.Add(contacts);
  }
  void AddBytes(std::uint64_t n) override { Local().counters.bytes += n; }
  void RecordDigests(const std::map<std::string, std::string>& hashes, bool reused) override {
    if (!config_.inventory) return;
    WorkerState& w = Local();
    w.digests = hashes;
    w.have_digests = true;
    w.reused = reused;
  }
  void RecordMember(const sweep::Item& item, std::string_view chain,
                    std::optional<std::uint64_t> size,
                    const std::map<std::string, std::string>& hashes, bool reused) override {
    if (config_.inventory) config_.inventory->OnMember(item.shown, chain, size, hashes, reused);
  }
  void RecordUnpacked(std::uint64_t members, std::string_view limits) override {
    if (!config_.inventory) return;
    Local().members = members;
    config_.inventory->UnpackLimits(limits);
  }
  std::optional<std::vector<PriorMember>> PriorMembers(const sweep::Item& item,
                                                       std::string_view limits) override {
    if (!config_.inventory) return std::nullopt;
    return config_.inventory->PriorMembers(item.shown, item.st, limits);
  }
  std::optional<std::map<std::string, std::string>> PriorDigests(const sweep::Item& item) override {
    if (!config_.inventory) return std::nullopt;
    return config_.inventory->Prior(item.st);
  }
  bool wants_hosts() const override { return config_.inventory != nullptr; }
  void SawHosts(std::string_view module,
                std::vector<sweep::Context::HostSighting>&& hosts) override {
    if (config_.inventory) config_.inventory->SawHosts(module, std::move(hosts));
  }

  Counters Totals() {
    Counters t;
    for (WorkerState& w : workers_) {
      t.files += w.counters.files;
      t.bytes += w.counters.bytes;
      t.errors += w.counters.errors;
      for (const auto& [k, n] : w.counters.skipped) t.skipped[k] += n;
      for (int i = 0; i < 4; ++i) t.levels[i] += w.counters.levels[i];
    }
    return t;
  }

  const sweep::ContactTimeline& timeline() const { return timeline_; }

 private:
  WorkerState& Local() {
    bool existed = false;
    WorkerState& w = workers_.local(existed);
    if (!existed)
      for (sweep::Sweep* s : walking_) w.workers.push_back(s->MakeWorker());
    return w;
  }

  const ScanConfig& config_;
  const Engine& engine_;
  report::Sink& sink_;
  std::vector<sweep::Sweep*> walking_;
  tbb::enumerable_thread_specific<WorkerState> workers_;
  sweep::ContactTimeline timeline_;
};

}  // namespace

Result<Summary> RunScan(const ScanConfig& config, const Engine& engine, report::Sink& sink) {
  walk::Options wo;
  wo.exclude_globs = config.exclude_globs;
  wo.follow_symlinks = config.follow_symlinks;
  wo.one_filesystem = config.one_filesystem;
  wo.threads = config.threads;
  for (const auto& s : engine.sweeps)
    for (std::string& p : s->ExcludePaths()) wo.exclude_paths.push_back(std::move(p));
  if (config.inventory)  // a forced inventory inside a root is not walked while written
    for (std::string& p : config.inventory->ExcludePaths())
      wo.exclude_paths.push_back(std::move(p));
  for (const Problem& p : engine.problems) sink.OnProblem(p);
  Pipeline pipeline(config, engine, sink);
  if (pipeline.walks()) {
    Status st = walk::Walk(config.paths, wo, pipeline);
    if (!st.ok()) return st;
  }
  // Sweeps with work after the walk (live sweeps: processes, connections).
  // A stopped scan (SIGINT/SIGTERM) starts no live sweep; walked sweeps
  // still finish (their aggregates and counters are flushed).
  for (const auto& s : engine.sweeps)
    if (s->walks() || !StopRequested()) s->Finish(pipeline);
  Counters c = pipeline.Totals();
  Summary s;
  s.files = c.files;
  s.bytes = c.bytes;
  s.errors = c.errors;
  for (const auto& [k, n] : c.skipped) s.skipped[k] = n;
  s.notices = c.levels[static_cast<int>(Level::kNotice)];
  s.warnings = c.levels[static_cast<int>(Level::kWarning)];
  s.alerts = c.levels[static_cast<int>(Level::kAlert)];
  s.indicator_sets = engine.set_infos;
  s.paths = config.paths;
  for (const auto& sw : engine.sweeps) sw->Summarize(s);
  // Which registered modules ran, from the registry (not a hand-kept list).
  std::string ran, not_run;
  for (const sweep::Registration& r : Sweeps().all())
    for (const sweep::ModuleInfo& m : r.modules) {
      bool did = false;
      for (std::size_t i = 0; i < engine.sweeps.size(); ++i)
        if (engine.made_by[i] == &r) did = engine.sweeps[i]->Ran(m.name, engine.settings);
      std::string& list = did ? ran : not_run;
      list += (list.empty() ? "" : ",") + std::string(m.name);
    }
  s.extra.push_back({"load_seconds", engine.load_seconds});
  s.extra.push_back({"build_seconds", engine.build_seconds});
  if (!engine.yara_cache.empty()) {
    s.extra.push_back({"yara_cache", engine.yara_cache});
    if (!engine.yara_cache_entry.empty())
      s.extra.push_back({"yara_cache_entry", engine.yara_cache_entry});
    if (!engine.yara_cache_note.empty())
      s.extra.push_back({"yara_cache_note", engine.yara_cache_note});
  }
  s.extra.push_back({"modules_run", ran});
  s.extra.push_back({"modules_not_run", not_run});
  if (!config.image_root.empty()) s.extra.push_back({"image_root", engine.paths.root()});
  if (config.shard) s.extra.push_back({"shard", config.shard->Name()});
  // The contact timeline across logs, event logs, journals and browser visits.
  for (const sweep::ContactTimeline::Entry& e : pipeline.timeline().Entries(&IndicatorValue)) {
    ContactTimeline t;
    t.indicator = e.indicator->value;
    t.kind = ioc::KindName(e.indicator->kind);
    if (e.first_ms) t.first_seen = logs::FormatIsoUtc(*e.first_ms);
    if (e.last_ms) t.last_seen = logs::FormatIsoUtc(*e.last_ms);
    t.hits = e.hits;
    t.files = e.files;
    s.timeline.push_back(std::move(t));
  }
  struct utsname u {};
  if (uname(&u) == 0) {
    s.host = u.nodename;
    s.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  }
  return s;
}

}  // namespace trawl::app

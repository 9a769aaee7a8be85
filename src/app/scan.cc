#include "trawl/app/scan.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "trawl/app/packs.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/core/text.h"
#include "trawl/hash/hash.h"
#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"
#include "trawl/inventory/inventory.h"
#include "trawl/live/image.h"
#include "trawl/live/sweep.h"
#include "trawl/logs/logs.h"
#include "trawl/match/filename.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/read/read.h"
#include "trawl/walk/walk.h"
#include "trawl/yara/yara.h"

namespace trawl::app {

namespace fs = std::filesystem;

const std::vector<std::string>& KnownModules() {
  static const std::vector<std::string> kModules = {"file", "log", "inventory", "process",
                                                     "network", "evtx", "journal", "browser"};
  return kModules;
}

bool ScanConfig::Runs(const std::string& module) const {
  return modules.empty() || std::find(modules.begin(), modules.end(), module) != modules.end();
}

struct Engine {
  ioc::IndicatorSet set;
  std::vector<IndicatorSetInfo> set_infos;
  std::unique_ptr<match::FilenameMatcher> filenames;
  std::unique_ptr<netmatch::NetMatcher> net;    // network indicators and keywords
  std::unique_ptr<logs::LogScanner> log_scanner;
  std::unique_ptr<artifacts::Sweeper> artifacts;  // EVTX, journal, browser history
  std::shared_ptr<const yara::Rules> rules;
  unsigned hash_algos = 0;
  live::PathMap paths;                          // --root / --map: how paths are shown
  std::unique_ptr<live::WindowsNames> win_names;  // caseless Windows names for --map
};

void EngineDeleter::operator()(Engine* e) const { delete e; }

namespace {

void PrintProblems(std::FILE* log, const std::vector<ioc::Problem>& problems, bool quiet) {
  if (quiet) return;
  for (const ioc::Problem& p : problems)
    std::fputs(fmt::format("  skipped {}: {}\n", EscapeControl(p.where), EscapeControl(p.message))
                   .c_str(),
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

void ReportLoad(std::FILE* log, bool quiet, const ioc::LoadStats& st) {
  if (!quiet)
    std::fputs(fmt::format("indicators: {}: loaded {}; skipped {}\n", EscapeControl(st.name),
                           CountsText(st.loaded), CountsText(st.skipped))
                   .c_str(),
               log);
  PrintProblems(log, st.problems, quiet);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsRuleFile(const fs::path& p) {
  std::string ext = ToLowerAscii(p.extension().string());
  return ext == ".yar" || ext == ".yara";
}

}  // namespace

Result<EnginePtr> LoadEngine(const ScanConfig& config, std::FILE* log, bool quiet) {
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
    ReportLoad(log, quiet, st);
    engine->set_infos.push_back(InfoOf(st));
  }
  for (const std::string& p : config.ioc_paths) {
    std::error_code ec;
    fs::file_status status = fs::status(p, ec);
    if (ec) return Status::Error(fmt::format("--iocs {}: {}", p, ec.message()));
    if (fs::is_directory(status)) {
      auto loaded = ioc::LoadDirectory(p, engine->set, load_opts);
      if (!loaded.ok()) return loaded.status();
      for (const ioc::LoadStats& st : *loaded) {
        ReportLoad(log, quiet, st);
        engine->set_infos.push_back(InfoOf(st));
      }
      // A signature-base root brings its YARA rules along.
      if (fs::is_directory(fs::path(p) / "yara")) rule_paths.push_back((fs::path(p) / "yara").string());
      else if (!fs::is_directory(fs::path(p) / "iocs")) {
        // A plain folder: rule files in it are rules.
        for (const auto& e : fs::directory_iterator(p, ec))
          if (IsRuleFile(e.path())) rule_paths.push_back(e.path().string());
      }
    } else if (IsRuleFile(p)) {
      rule_paths.push_back(p);
    } else {
      auto loaded = ioc::LoadFile(p, ioc::DetectFormat(p), engine->set, load_opts);
      if (!loaded.ok()) return loaded.status();
      ReportLoad(log, quiet, *loaded);
      engine->set_infos.push_back(InfoOf(*loaded));
    }
  }

  // Installed signature packs (`trawl signatures install`): one set each in
  // the summary, "pack:NAME" with the pack's version.
  if (config.packs) {
    fs::path dir = config.packs_dir.empty() ? PacksDir() : fs::path(config.packs_dir);
    auto packs = ListPacks(dir);
    if (!packs.ok()) return Status::Error("signature packs: " + packs.status().message());
    for (const PackManifest& pack : *packs) {
      auto loaded = ioc::LoadDirectory(pack.content, engine->set, load_opts);
      if (!loaded.ok())
        return Status::Error("pack " + pack.name + ": " + loaded.status().message());
      ioc::LoadStats total;
      total.name = "pack:" + pack.name;
      total.version = pack.version;
      for (const ioc::LoadStats& st : *loaded) total.Merge(st);
      ReportLoad(log, quiet, total);
      engine->set_infos.push_back(InfoOf(total));
      if (fs::is_directory(pack.content / "yara"))
        rule_paths.push_back((pack.content / "yara").string());
      else if (pack.counts.count("yara_files"))
        rule_paths.push_back(pack.content.string());
    }
  }

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
    PrintProblems(log, bs.problems, quiet);
  }

  // Rules that came as indicators (MISP yara attributes, STIX yara patterns).
  std::vector<yara::RuleSource> rule_sources;
  for (const ioc::Indicator* ind : engine->set.OfKind(ioc::Kind::kYara))
    rule_sources.push_back({ind->source, ind->value});
  if (!rule_paths.empty() || !rule_sources.empty()) {
    yara::CompileStats cs;
    auto rules = yara::Rules::Compile(rule_paths, rule_sources, cs);
    if (!rules.ok()) return Status::Error("YARA rules: " + rules.status().message());
    engine->rules = *rules;
    if (!quiet)
      std::fputs(fmt::format("yara: {} rules from {} of {} files\n", cs.rules, cs.files_ok, cs.files)
                     .c_str(),
                 log);
    PrintProblems(log, cs.problems, quiet);
    IndicatorSetInfo info;
    info.name = "yara";
    info.loaded["yara rules"] = cs.rules;
    if (cs.files > cs.files_ok) info.skipped["rule files failing to compile"] = cs.files - cs.files_ok;
    engine->set_infos.push_back(info);
  }

  // Network indicators and keywords: one automaton for every text sweep.
  if (config.Runs("log") || config.Runs("evtx") || config.Runs("journal") ||
      config.Runs("browser") || config.Runs("process") || config.Runs("network")) {
    auto net = netmatch::NetMatcher::Build(engine->set);
    if (!net.ok()) return Status::Error("network indicators: " + net.status().message());
    if (!net->empty()) {
      engine->net = std::make_unique<netmatch::NetMatcher>(std::move(*net));
      if (!quiet)
        std::fputs(fmt::format("network indicators: {} in one automaton of {} patterns\n",
                               engine->net->indicator_count(), engine->net->pattern_count())
                       .c_str(),
                   log);
      PrintProblems(log, engine->net->problems(), quiet);
      artifacts::Options ao;
      ao.evtx = config.Runs("evtx");
      ao.journal = config.Runs("journal");
      ao.browser = config.Runs("browser");
      ao.max_hits_per_file = config.max_hits_per_file;
      if (ao.evtx || ao.journal || ao.browser)
        engine->artifacts = std::make_unique<artifacts::Sweeper>(*engine->net, ao);
      logs::LogOptions lo;
      lo.extra_globs = config.log_globs;
      lo.max_hits_per_file = config.max_hits_per_file;
      if (config.Runs("log"))
        engine->log_scanner = std::make_unique<logs::LogScanner>(*engine->net, lo);
    } else if (!quiet) {
      std::fputs("log sweep: no network or keyword indicators loaded; skipped\n", log);
    }
  }

  if (!config.maps.empty()) {  // Windows-written name indicators, caseless on mapped volumes
    auto w = live::WindowsNames::Build(engine->set);
    if (!w.ok()) return Status::Error("filename indicators (Windows): " + w.status().message());
    engine->win_names = std::move(*w);
  }
  if (engine->set.Has(ioc::Kind::kMd5)) engine->hash_algos |= hash::kMd5;
  if (engine->set.Has(ioc::Kind::kSha1)) engine->hash_algos |= hash::kSha1;
  if (engine->set.Has(ioc::Kind::kSha256)) engine->hash_algos |= hash::kSha256;
  if (engine->rules) engine->hash_algos |= hash::kMd5;  // the `md5` external of signature-base rules

  if (engine->set.size() == 0 && !engine->rules)
    return Status::Error("no indicators or rules loaded: nothing to scan for");
  return engine;
}

namespace {

constexpr std::size_t kChunkSize = 256 << 10;  // fits L2: every hash reads it while hot

struct Counters {
  std::uint64_t files = 0, bytes = 0, errors = 0;
  std::uint64_t logs = 0, log_bytes = 0, log_lines = 0, log_hits = 0, log_hits_beyond_cap = 0;
  std::map<std::string, std::uint64_t> skipped;
  std::uint64_t levels[4] = {0, 0, 0, 0};
};

// Per-thread state: scratch spaces, scanners and buffers are never shared.
struct WorkerState {
  explicit WorkerState(const Engine& e, int yara_timeout) : hasher(e.hash_algos) {
    if (e.filenames) scratch = e.filenames->MakeScratch();
    if (e.win_names) win_scratch = e.win_names->MakeScratch();
    if (e.rules) scanner = std::make_unique<yara::Scanner>(e.rules, yara_timeout);
  }
  hash::MultiHasher hasher;
  std::unique_ptr<match::FilenameMatcher::Scratch> scratch;
  std::unique_ptr<live::WindowsNames::Scratch> win_scratch;
  std::unique_ptr<yara::Scanner> scanner;
  std::vector<std::uint8_t> buffer;  // whole file, for YARA
  std::vector<std::uint8_t> chunk;   // read buffer
  std::vector<const ioc::Indicator*> hits;
  std::unordered_map<uid_t, std::string> owners;  // uid -> name, for the `owner` external
  Counters counters;
};

std::string OwnerName(uid_t uid) {
  struct passwd pw, *result = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result) return result->pw_name;
  return std::to_string(uid);
}

const char* SkipReason(walk::EntryType t) {
  switch (t) {
    case walk::EntryType::kSymlink: return "symlink";
    case walk::EntryType::kFifo: return "fifo";
    case walk::EntryType::kSocket: return "socket";
    case walk::EntryType::kCharDevice:
    case walk::EntryType::kBlockDevice: return "device";
    default: return "not regular";
  }
}

class ScanVisitor final : public walk::Visitor {
 public:
  ScanVisitor(const ScanConfig& c, const Engine& e, report::Sink& sink)
      : config_(c), engine_(e), sink_(sink),
        workers_([&] { return WorkerState(e, c.yara_timeout); }) {}

  void OnEntry(const walk::Entry& entry) override {
    WorkerState& w = workers_.local();
    w.counters.files++;
    bool regular = entry.type == walk::EntryType::kRegular;
    if (config_.progress)
      config_.progress->OnFile(entry.path, regular && static_cast<std::uint64_t>(entry.st.st_size) <=
                                                          config_.max_file_size
                                               ? static_cast<std::uint64_t>(entry.st.st_size)
                                               : 0);
    if (!regular) w.counters.skipped[SkipReason(entry.type)]++;
    bool windows = false;  // on a --map volume: shown as C:\..., Windows names caseless
    std::string shown = engine_.paths.Shown(entry.path, &windows);
    if (run_file_) {
      Finding f;
      f.path = shown;
      CheckName(shown, w, f);
      if (windows && engine_.win_names) CheckWindowsName(shown, w, f);
      if (regular && static_cast<std::uint64_t>(entry.st.st_size) > config_.max_file_size) {
        w.counters.skipped["too_large"]++;
        f.size = entry.st.st_size;
      } else if (regular && !CheckContent(entry, w, f)) {
        return;  // trusted: no file finding, and no log sweep of a known-good file
      }
      Emit(f, w);
    }
    if (engine_.log_scanner && entry.type == walk::EntryType::kRegular &&
        logs::IsLogPath(entry.path, log_options_))
      ScanLogFile(entry, shown, w);
    if (engine_.artifacts && entry.type == walk::EntryType::kRegular)
      ScanArtifact(entry, shown, w);
    if (inventory && regular)
      inventory->OnFile(entry.real_path.empty() ? entry.path : entry.real_path, shown);
  }

  // Installed products (trawl::inventory); set by RunScan when the module runs.
  inventory::Sweep* inventory = nullptr;
  // A finding from another sweep (inventory, live), counted like the file sweep's.
  void EmitOther(Finding f) { Emit(f, workers_.local()); }

  void OnError(const std::string& path, const std::string& message) override {
    ReportError(path, message, "file");
  }

  // `path` is the walked path; it is shown as the scanned system names it.
  void ReportError(const std::string& path, const std::string& message, const char* module) {
    workers_.local().counters.errors++;
    sink_.OnError({engine_.paths.Shown(path), message, module});
  }

  void OnSkip(const std::string&, const std::string& reason) override {
    workers_.local().counters.skipped[reason]++;
  }

  Counters Totals() {
    Counters t;
    for (WorkerState& w : workers_) {
      t.files += w.counters.files;
      t.bytes += w.counters.bytes;
      t.errors += w.counters.errors;
      for (const auto& [k, n] : w.counters.skipped) t.skipped[k] += n;
      for (int i = 0; i < 4; ++i) t.levels[i] += w.counters.levels[i];
      t.logs += w.counters.logs;
      t.log_bytes += w.counters.log_bytes;
      t.log_lines += w.counters.log_lines;
      t.log_hits += w.counters.log_hits;
      t.log_hits_beyond_cap += w.counters.log_hits_beyond_cap;
    }
    return t;
  }

 private:
  void CheckWindowsName(const std::string& shown, WorkerState& w, Finding& f) {
    w.hits.clear();
    engine_.win_names->Match(shown, *w.win_scratch, w.hits);
    for (const ioc::Indicator* ind : w.hits) {
      bool have = false;
      for (const Reason& r : f.reasons) have |= r.kind == "filename" && r.indicator == ind->value;
      if (!have)
        f.reasons.push_back({"filename", ind->value, ind->description, ind->source, ind->score});
    }
  }

  void CheckName(const std::string& path, WorkerState& w, Finding& f) {
    if (!engine_.filenames) return;
    w.hits.clear();
    engine_.filenames->Match(path, *w.scratch, w.hits);
    for (const ioc::Indicator* ind : w.hits)
      f.reasons.push_back({"filename", ind->value, ind->description, ind->source, ind->score});
  }

  // Reads the file once, feeding the hashes and the YARA buffer. Returns false
  // when the file is trusted (its finding is suppressed); a read error is
  // reported and the name reasons still stand.
  bool CheckContent(const walk::Entry& entry, WorkerState& w, Finding& f) {
    bool want_yara = w.scanner != nullptr;
    if (engine_.hash_algos == 0 && !want_yara) {
      f.size = entry.st.st_size;
      return true;
    }
    // A followed link is read through its resolved target (File::Open never
    // follows links itself); findings still name the path as walked.
    auto file = read::File::Open(entry.real_path.empty() ? entry.path : entry.real_path);
    if (!file.ok()) {
      OnError(entry.path, file.status().message());
      return true;  // name reasons, if any, still stand
    }
    w.hasher.Reset();
    w.buffer.clear();
    // Read what the file held when opened (a file that grows while read, such
    // as a busy log, is not chased); pseudo files that report size 0 are read
    // to EOF, up to the cap.
    std::uint64_t limit = config_.max_file_size;
    if (file->st().st_size > 0)
      limit = std::min<std::uint64_t>(limit, static_cast<std::uint64_t>(file->st().st_size));
    auto stats = read::ReadChunks(*file, limit, kChunkSize, w.chunk,
                                  [&](const std::uint8_t* d, std::size_t n) {
                                    if (engine_.hash_algos) w.hasher.Update(d, n);
                                    if (want_yara) w.buffer.insert(w.buffer.end(), d, d + n);
                                  });
    if (!stats.ok()) {
      OnError(entry.path, stats.status().message());
      return true;
    }
    w.counters.bytes += stats->bytes;
    f.size = stats->bytes;
    if (stats->changed) f.extra.push_back({"changed_while_read", true});
    if (engine_.hash_algos) f.hashes = w.hasher.Finish();

    for (const auto& [name, hex] : f.hashes) {
      if (engine_.set.IsTrustedHash(hex)) {
        w.counters.skipped["trusted"]++;
        return false;
      }
    }
    static const std::pair<const char*, ioc::Kind> kKinds[] = {
        {"md5", ioc::Kind::kMd5}, {"sha1", ioc::Kind::kSha1}, {"sha256", ioc::Kind::kSha256}};
    for (const auto& [name, kind] : kKinds) {
      auto it = f.hashes.find(name);
      if (it == f.hashes.end()) continue;
      for (const ioc::Indicator* ind : engine_.set.FindHashes(kind, it->second)) {
        // A hash bound to a file name (STIX name AND hash) needs both.
        if (!ind->and_filename.empty() && ind->and_filename != BaseName(entry.path)) continue;
        f.reasons.push_back({"hash", ind->value, ind->description, ind->source, ind->score});
      }
    }

    if (want_yara) {
      yara::Externals ext = yara::ExternalsForPath(entry.path);
      ext.filetype = yara::FileType(w.buffer.data(), w.buffer.size());
      auto md5 = f.hashes.find("md5");
      if (md5 != f.hashes.end()) ext.md5 = md5->second;
      // One passwd lookup per uid and worker, not per file.
      auto owner = w.owners.find(entry.st.st_uid);
      if (owner == w.owners.end())
        owner = w.owners.emplace(entry.st.st_uid, OwnerName(entry.st.st_uid)).first;
      ext.owner = owner->second;
      auto matches = w.scanner->Scan(w.buffer.data(), w.buffer.size(), ext);
      if (!matches.ok()) {
        OnError(entry.path, matches.status().message());
      } else {
        for (const yara::Match& m : *matches) {
          std::string desc = m.description;
          if (!m.author.empty()) desc += fmt::format(" (author: {})", m.author);
          if (!m.reference.empty()) desc += fmt::format(" (reference: {})", m.reference);
          f.reasons.push_back({"yara", m.rule, desc, m.ns_file, m.score});
        }
      }
      // Keep the buffer's capacity for the next file, but not a huge one.
      if (w.buffer.capacity() > (64u << 20)) std::vector<std::uint8_t>().swap(w.buffer);
    }
    return true;
  }

  // The log sweep of one file: every hit (up to the cap) to machine sinks,
  // one aggregate per indicator to people, contact times to the timeline.
  void ScanLogFile(const walk::Entry& entry, const std::string& shown, WorkerState& w) {
    const std::string& path = entry.real_path.empty() ? entry.path : entry.real_path;
    auto result = engine_.log_scanner->Scan(path);
    if (!result.ok()) {
      ReportError(entry.path, result.status().message(), "log");
      return;
    }
    w.counters.logs++;
    w.counters.log_bytes += result->bytes;
    w.counters.log_lines += result->lines;
    w.counters.log_hits += result->hits_total;
    w.counters.log_hits_beyond_cap += result->hits_total - result->hits.size();
    if (result->error) ReportError(entry.path, *result->error, "log");
    if (result->hits_total == 0) return;
    timeline_.Add(*result);

    for (const logs::LogHit& hit : result->hits) {
      Finding f = logs::ToFinding(shown, hit, config_.thresholds);
      f.audience = Finding::Audience::kMachine;
      Emit(f, w);
    }
    // People get one line per indicator, with the first excerpt, however many hits.
    for (const auto& [ind, tally] : result->tally) {
      const logs::LogHit* first = nullptr;
      for (const logs::LogHit& hit : result->hits)
        if (hit.indicator == ind) {
          first = &hit;
          break;
        }
      if (!first) continue;
      Finding agg = logs::ToFinding(shown, *first, config_.thresholds);
      agg.audience = Finding::Audience::kHuman;
      agg.extra.insert(agg.extra.begin(), {"hits", static_cast<std::int64_t>(tally.hits)});
      if (tally.first_ms)
        agg.extra.push_back({"first_seen", logs::FormatIsoUtc(*tally.first_ms)});
      if (tally.last_ms) agg.extra.push_back({"last_seen", logs::FormatIsoUtc(*tally.last_ms)});
      if (agg.level != Level::kNone) sink_.OnFinding(agg);
    }
  }

  // EVTX, journal and browser history (trawl::artifacts): every hit to
  // machine sinks, one aggregate per indicator to people, as for logs.
  void ScanArtifact(const walk::Entry& entry, const std::string& shown, WorkerState& w) {
    artifacts::Report report{
        [&](Finding& f) {
          if (f.audience != Finding::Audience::kHuman) Emit(f, w);
          else if (f.level != Level::kNone) sink_.OnFinding(f);
        },
        [&](const std::string& p, const std::string& m, const char* mod) {
          ReportError(p, m, mod);
        }};
    artifacts::SweepFile(*engine_.artifacts, entry.path,
                         entry.real_path.empty() ? entry.path : entry.real_path, shown,
                         entry.st, config_.thresholds, timeline_, artifact_stats_, report);
  }

  void Emit(Finding& f, WorkerState& w) {
    if (f.reasons.empty()) return;
    ScoreFinding(f, config_.thresholds);
    if (f.level == Level::kNone) return;
    w.counters.levels[static_cast<int>(f.level)]++;
    sink_.OnFinding(f);
  }

  const ScanConfig& config_;
  const Engine& engine_;
  report::Sink& sink_;
  tbb::enumerable_thread_specific<WorkerState> workers_;
  logs::LogOptions log_options_{config_.log_globs, config_.max_hits_per_file};
  bool run_file_ = config_.Runs("file");

 public:
  logs::Timeline timeline_;
  artifacts::SweepStats artifact_stats_;
};

}  // namespace

Result<Summary> RunScan(const ScanConfig& config, const Engine& engine, report::Sink& sink) {
  walk::Options wo;
  wo.exclude_globs = config.exclude_globs;
  wo.follow_symlinks = config.follow_symlinks;
  wo.one_filesystem = config.one_filesystem;
  wo.threads = config.threads;
  // The artifact sweeps' private copies of browser databases are not evidence.
  if (engine.artifacts && !engine.artifacts->private_root().empty())
    wo.exclude_paths.push_back(engine.artifacts->private_root());
  ScanVisitor visitor(config, engine, sink);
  std::unique_ptr<inventory::Sweep> inv;
  if (config.Runs("inventory")) {
    inv = std::make_unique<inventory::Sweep>(
        engine.set, config.thresholds, [&](const Finding& f) { visitor.EmitOther(f); },
        [&](const std::string& p, const std::string& m) { visitor.ReportError(p, m, "inventory"); });
    visitor.inventory = inv.get();
  }
  if (config.Runs("file") || config.Runs("log") || config.Runs("inventory") ||
      engine.artifacts) {
    Status st = walk::Walk(config.paths, wo, visitor);
    if (!st.ok()) return st;
  }
  // Live sweeps (processes, connections, hosts files): trawl::live decides
  // what runs (never processes or connections on a mounted image).
  live::LiveRequest lr = live::PlanLive(config.modules, config.paths, engine.paths.image(),
                                        engine.paths.HostsFiles());
  lr.options.process_memory = config.process_memory;
  lr.options.memory_cap = config.process_memory_cap;
  lr.options.max_file_size = config.max_file_size;
  lr.options.yara_timeout = config.yara_timeout;
  live::LiveEngine le{&engine.set, engine.filenames.get(), engine.net.get(), engine.rules,
                      engine.hash_algos, config.thresholds};
  auto live_os = live::MakeOs();
  live::LiveReport live_report = live::RunLive(
      *live_os, lr, le, [&](const Finding& f) { visitor.EmitOther(f); },
      [&](const ErrorRecord& e) { visitor.ReportError(e.path, e.message, e.module.c_str()); });
  Counters c = visitor.Totals();
  Summary s;
  s.files = c.files;
  s.bytes = c.bytes;
  s.errors = c.errors;
  s.skipped = c.skipped;
  s.notices = c.levels[static_cast<int>(Level::kNotice)];
  s.warnings = c.levels[static_cast<int>(Level::kWarning)];
  s.alerts = c.levels[static_cast<int>(Level::kAlert)];
  s.indicator_sets = engine.set_infos;
  s.paths = config.paths;
  if (engine.artifacts)
    for (auto& kv : visitor.artifact_stats_.SummaryFields(engine.artifacts->options()))
      s.extra.push_back(std::move(kv));
  if (inv) {
    s.inventory = inv->Installations();
    s.extra.push_back({"installations", static_cast<std::int64_t>(s.inventory.size())});
    s.extra.push_back({"installations_affected", static_cast<std::int64_t>(inv->affected())});
  }
  for (auto& kv : live_report.summary) s.extra.push_back(std::move(kv));
  for (const std::string& note : live_report.notes) s.extra.push_back({"live_note", note});
  if (!config.image_root.empty()) s.extra.push_back({"image_root", engine.paths.root()});
  if (engine.log_scanner) {
    s.extra.push_back({"logs", static_cast<std::int64_t>(c.logs)});
    s.extra.push_back({"log_bytes", static_cast<std::int64_t>(c.log_bytes)});
    s.extra.push_back({"log_lines", static_cast<std::int64_t>(c.log_lines)});
    s.extra.push_back({"log_hits", static_cast<std::int64_t>(c.log_hits)});
    s.extra.push_back({"log_hits_beyond_cap", static_cast<std::int64_t>(c.log_hits_beyond_cap)});
  }
  // The contact timeline across logs, event logs, journals and browser visits.
  for (const logs::Timeline::Entry& e : visitor.timeline_.Entries()) {
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

#include "trawl/yara/yara.h"

#include <yara.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "cache.h"
#include "prefilter.h"
#include "route.h"
#include "trawl/core/unique_handle.h"
#include "trawl/read/mapped.h"

namespace trawl::yara {
namespace fs = std::filesystem;

namespace {

constexpr int kDefaultScore = 70;
const char* const kExternals[] = {"filename", "filepath", "extension", "filetype", "md5", "owner"};

struct CompilerDeleter {
  void operator()(YR_COMPILER* c) const noexcept { yr_compiler_destroy(c); }
};
struct RulesDeleter {
  void operator()(YR_RULES* r) const noexcept { yr_rules_destroy(r); }
};
struct ScannerDeleter {
  void operator()(YR_SCANNER* s) const noexcept { yr_scanner_destroy(s); }
};
using CompilerPtr = std::unique_ptr<YR_COMPILER, CompilerDeleter>;
using RulesPtr = std::unique_ptr<YR_RULES, RulesDeleter>;
using ScannerPtr = std::unique_ptr<YR_SCANNER, ScannerDeleter>;

// libyara's process-wide state: initialised once, finalised at exit.
Status InitLibrary() {
  static std::once_flag once;
  static int result = ERROR_SUCCESS;
  std::call_once(once, [] {
    result = yr_initialize();
    if (result == ERROR_SUCCESS) std::atexit([] { yr_finalize(); });
  });
  if (result != ERROR_SUCCESS) {
    return Status::Error("libyara initialisation failed (error " + std::to_string(result) + ")");
  }
  return Status::Ok();
}

struct Diagnostic {
  std::string file;
  int line = 0;
  std::string message;
};

struct CompilerLog {
  std::vector<Diagnostic> errors;
  std::size_t warnings = 0;
};

void OnCompilerMessage(int level, const char* file, int line, const YR_RULE* /*rule*/,
                       const char* message, void* user) {
  auto* log = static_cast<CompilerLog*>(user);
  if (level == YARA_ERROR_LEVEL_WARNING) {
    ++log->warnings;
    return;
  }
  log->errors.push_back({file != nullptr ? file : "", line, message != nullptr ? message : ""});
}

// A compiler with our callback and the externals declared. Null on failure.
CompilerPtr NewCompiler(CompilerLog& log) {
  YR_COMPILER* raw = nullptr;
  if (yr_compiler_create(&raw) != ERROR_SUCCESS) return nullptr;
  CompilerPtr c(raw);
  yr_compiler_set_callback(c.get(), OnCompilerMessage, &log);
  for (const char* name : kExternals) {
    if (yr_compiler_define_string_variable(c.get(), name, "") != ERROR_SUCCESS) return nullptr;
  }
  return c;
}

// A rule file (text == nullptr) or an in-memory source, by name.
struct Unit {
  std::string name;
  const std::string* text = nullptr;
  std::size_t index = 0;                  // its place among the files and sources found
  const std::string* read_text = nullptr;  // a file's content when already read (the cache key)
};

// Adds one file (namespace = its path). Returns false when it has errors
// (they are in `log`); the compiler is unusable after that.
bool AddFile(YR_COMPILER* c, const std::string& path, CompilerLog& log);

// Adds a file or an in-memory source. Includes are disabled before a source
// is added (and stay disabled: sources come after every file).
bool AddUnit(YR_COMPILER* c, const Unit& u, CompilerLog& log) {
  if (u.text == nullptr) return AddFile(c, u.name, log);
  yr_compiler_set_include_callback(c, nullptr, nullptr, nullptr);
  return yr_compiler_add_string(c, u.text->c_str(), u.name.c_str()) == 0;
}

bool AddFile(YR_COMPILER* c, const std::string& path, CompilerLog& log) {
  UniqueFile f(std::fopen(path.c_str(), "rbe"));
  if (!f) {
    log.errors.push_back({path, 0, std::string("cannot open: ") + std::strerror(errno)});
    return false;
  }
  return yr_compiler_add_file(c, f.get(), path.c_str(), path.c_str()) == 0;
}

ioc::Problem ProblemOf(const std::string& path, const CompilerLog& log) {
  if (log.errors.empty()) return {path, "does not compile (no message from libyara)"};
  const Diagnostic& d = log.errors.front();
  // Errors may come from an included file: name the file the error is in.
  std::string where = d.file.empty() ? path : d.file;
  if (d.line > 0) where += ":" + std::to_string(d.line);
  std::string message = d.message;
  if (!d.file.empty() && d.file != path) message += " (included from " + path + ")";
  if (log.errors.size() > 1) {
    message += " (and " + std::to_string(log.errors.size() - 1) + " more errors)";
  }
  return {where, message};
}

bool IsRuleFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".yar" || ext == ".yara";
}

// Every rule file under `paths`. Error when a given path cannot be read.
Status CollectFiles(const std::vector<std::string>& paths, std::vector<std::string>& files,
                    std::vector<ioc::Problem>& problems) {
  for (const std::string& root : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(root, ec);
    if (ec) return Status::Error(root + ": " + ec.message());
    if (fs::is_regular_file(st)) {
      files.push_back(root);
      continue;
    }
    if (!fs::is_directory(st)) return Status::Error(root + ": not a file or directory");
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) return Status::Error(root + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        problems.push_back({root, "cannot list a folder: " + ec.message()});
        break;
      }
      std::error_code fec;
      if (it->is_regular_file(fec) && IsRuleFile(it->path())) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return Status::Ok();
}

// Compiles `files` in order into one compiler. On success returns the rules;
// on the first failing file sets `failed_at` (its index in `files`) and
// returns null.
RulesPtr CompileTogether(const std::vector<Unit>& files, std::size_t& failed_at,
                         CompilerLog& log, std::string& fatal) {
  failed_at = files.size();
  CompilerPtr c = NewCompiler(log);
  if (!c) {
    fatal = "cannot create a YARA compiler";
    return nullptr;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!AddUnit(c.get(), files[i], log)) {
      failed_at = i;
      return nullptr;
    }
  }
  YR_RULES* raw = nullptr;
  int rc = yr_compiler_get_rules(c.get(), &raw);
  if (rc != ERROR_SUCCESS) {
    fatal = "yr_compiler_get_rules failed (error " + std::to_string(rc) + ")";
    return nullptr;
  }
  return RulesPtr(raw);
}

// --- the compiled-rules cache (CompileOptions::cache_dir) --------------------

// Bumped whenever what an entry holds, or how a plan is made, changes.
constexpr std::string_view kCacheFormat = "trawl-yara-cache 1";

size_t StreamWrite(const void* ptr, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(ptr), size * count);
  return count;
}

struct MemoryIn {
  const char* p;
  std::size_t left;
};

size_t StreamRead(void* ptr, size_t size, size_t count, void* user) {
  auto* in = static_cast<MemoryIn*>(user);
  if (size == 0) return 0;
  std::size_t n = std::min(count, in->left / size);
  std::memcpy(ptr, in->p, n * size);
  in->p += n * size;
  in->left -= n * size;
  return n;
}

// libyara's saved form of compiled rules (what yarac writes); empty on failure.
std::string SaveRules(YR_RULES* rules) {
  std::string out;
  YR_STREAM stream{};
  stream.user_data = &out;
  stream.write = StreamWrite;
  if (yr_rules_save_stream(rules, &stream) != ERROR_SUCCESS) return {};
  return out;
}

RulesPtr LoadRules(const std::string& bytes) {
  MemoryIn in{bytes.data(), bytes.size()};
  YR_STREAM stream{};
  stream.user_data = &in;
  stream.read = StreamRead;
  YR_RULES* raw = nullptr;
  if (yr_rules_load_stream(&stream, &raw) != ERROR_SUCCESS) return nullptr;
  return RulesPtr(raw);
}

// One blob of an entry as rules; null when it cannot be read or loaded (the
// caller compiles instead).
RulesPtr LoadFromEntry(const cache::Entry& entry, std::size_t blob) {
  auto bytes = entry.Blob(blob);
  if (!bytes.ok()) return nullptr;
  return LoadRules(*bytes);
}

}  // namespace

// A rule file or source as routing sees it.
struct UnitRec {
  std::string name;
  std::string path;         // set for files: compiled with add_file when not routed
  std::string text;         // the source text (files: read back for the analysis)
  bool routed = false;      // split into rules (else compiled whole, everywhere)
  route::SplitUnit split;
  std::vector<route::RuleFacts> facts;
  std::size_t first_member = 0;  // its members in Impl::members
};

// A routing unit of selection: one rule of a routed unit, or a whole unit.
struct Member {
  std::size_t unit;
  std::size_t rule;  // kWhole for a whole unit
};
constexpr std::size_t kWhole = static_cast<std::size_t>(-1);

// The rules of one class, compiled on first use.
struct ClassSet {
  std::vector<char> selected;  // per member
  bool non_pe = false;         // for classes other than PE: rules' non-PE texts
  std::size_t rules = 0;       // rules in the set (whole units counted by their rules)
  std::once_flag once;
  RulesPtr compiled;           // null until compiled, or when the full set serves
  std::size_t blob = static_cast<std::size_t>(-1);  // its blob in the cache entry, if any
};

// What a cache entry says about the prefilter, for Plan.
struct CachedPrefilter {
  bool built = false;
  std::string error;  // why there was none
  std::string db;     // the serialized database (built)
};

struct Rules::Impl {
  RulesPtr rules;
  std::size_t count = 0;
  bool needs_md5 = true;
  bool routing = false;
  std::vector<UnitRec> units;
  std::vector<Member> members;
  std::vector<std::unique_ptr<ClassSet>> sets;
  int set_of_route[route::kRouteCount] = {};
  // Part 3: per route, the set without the skippable rules (and with the
  // rules its rules reference), used when the prefilter finds no pattern of
  // the route in a file; -1 when it would be the full set.
  int cheap_of_route[route::kRouteCount] = {};
  std::unique_ptr<prefilter::Database> prefilter;  // null: no prefilter
  std::string prefilter_error;                     // why there is none (empty: not wanted)
  std::size_t skippable = 0;                       // skippable rules (routed)
  std::set<std::string> refused;  // patterns Vectorscan refused in the database (left out)
  std::shared_ptr<cache::Entry> entry;  // the cache entry the sets load from (null: compile)

  // Adds the members every selected member references (same unit).
  void Close(std::vector<char>& sel) const;
  // Compiles the selected members; null when it fails (the caller falls back
  // to the whole set, which is exact).
  RulesPtr CompileSelection(const std::vector<char>& sel, bool non_pe) const;
  // The compiled rules for a route (compiling them on first use).
  const YR_RULES* ForSet(int set_index) const;
  std::size_t RulesOf(const std::vector<char>& sel) const;
  // Splits and analyses the compiled units, and lays out one selection per
  // class (identical selections share one set).
  // With `cached`, the prefilter database comes from a cache entry.
  void Plan(const std::vector<Unit>& good, bool exact, bool use_prefilter,
            const CachedPrefilter* cached = nullptr);
  // The set index for a selection (a new set when no identical one exists).
  int SetFor(std::vector<char> sel, bool non_pe);
  // Lays out the full and cheap sets of every route.
  void PlanSets(bool use_prefilter);
  // Builds the prefilter from the skippable rules of the cheap routes; false
  // with `bad` set when Vectorscan refused the pattern `bad`.
  // With `serialized`, adopts that database instead (building it when
  // Vectorscan refuses it).
  bool BuildPrefilter(std::string& bad, const std::string* serialized = nullptr);
  // The cache (CompileOptions::cache_dir): loads rules from an entry made
  // for exactly `files`; writes one after compiling every set.
  static Result<std::unique_ptr<Impl>> LoadCached(const std::shared_ptr<cache::Entry>& entry,
                                                  const std::vector<Unit>& files, bool exact,
                                                  bool use_prefilter, CompileStats& stats);
  Status SaveCached(const std::vector<Unit>& good, std::size_t files, const CompileStats& stats,
                    std::size_t first_problem, const std::string& path);
};

void Rules::Impl::Close(std::vector<char>& sel) const {
  // References point to earlier rules, so one backward pass closes the set.
  for (std::size_t m = members.size(); m-- > 0;) {
    if (!sel[m] || members[m].rule == kWhole) continue;
    const UnitRec& u = units[members[m].unit];
    for (std::size_t r : u.facts[members[m].rule].refs) sel[u.first_member + r] = 1;
  }
}

std::size_t Rules::Impl::RulesOf(const std::vector<char>& sel) const {
  std::size_t n = 0;
  for (std::size_t m = 0; m < members.size(); ++m) {
    if (!sel[m]) continue;
    const UnitRec& u = units[members[m].unit];
    n += members[m].rule == kWhole ? (u.split.ok ? u.split.rules.size() : 1) : 1;
  }
  return n;
}

RulesPtr Rules::Impl::CompileSelection(const std::vector<char>& sel, bool non_pe) const {
  CompilerLog log;
  CompilerPtr c = NewCompiler(log);
  if (!c) return nullptr;
  for (const UnitRec& u : units) {
    if (!u.routed) {
      if (!sel[u.first_member]) continue;
      Unit unit{u.path.empty() ? u.name : u.path, u.path.empty() ? &u.text : nullptr};
      if (!AddUnit(c.get(), unit, log)) return nullptr;
      continue;
    }
    std::string body;
    std::set<std::string> modules;
    for (std::size_t r = 0; r < u.split.rules.size(); ++r) {
      if (!sel[u.first_member + r]) continue;
      const route::RuleFacts& f = u.facts[r];
      bool rewritten = non_pe && !f.non_pe_text.empty();
      body += rewritten ? f.non_pe_text : u.split.rules[r].text;
      body += "\n";
      const std::vector<std::string>& mods = rewritten ? f.non_pe_modules : f.modules;
      modules.insert(mods.begin(), mods.end());
    }
    if (body.empty()) continue;
    std::string text;
    for (const std::string& m : u.split.imports) {
      if (modules.erase(m)) text += "import \"" + m + "\"\n";
    }
    text += body;
    if (yr_compiler_add_string(c.get(), text.c_str(), u.name.c_str()) != 0) return nullptr;
  }
  YR_RULES* raw = nullptr;
  if (yr_compiler_get_rules(c.get(), &raw) != ERROR_SUCCESS) return nullptr;
  return RulesPtr(raw);
}

const YR_RULES* Rules::Impl::ForSet(int set_index) const {
  ClassSet& set = *sets[static_cast<std::size_t>(set_index)];
  std::call_once(set.once, [&] {
    if (entry && set.blob != static_cast<std::size_t>(-1)) set.compiled = LoadFromEntry(*entry, set.blob);
    if (!set.compiled) set.compiled = CompileSelection(set.selected, set.non_pe);
  });
  return set.compiled ? set.compiled.get() : rules.get();
}

Rules::Rules(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Rules::~Rules() = default;
std::size_t Rules::rule_count() const { return impl_->count; }
bool Rules::NeedsMd5() const { return impl_->needs_md5; }
bool Rules::routing() const { return impl_->routing; }
std::size_t Rules::RulesInClass(int cls) const {
  if (!impl_->routing || cls < 0 || cls >= kRouteClasses) return impl_->count;
  return impl_->sets[static_cast<std::size_t>(impl_->set_of_route[2 * cls])]->rules;
}

std::size_t Rules::PrefilterRulesInClass(int cls) const {
  if (!impl_->routing || cls < 0 || cls >= kRouteClasses) return impl_->count;
  int c = impl_->cheap_of_route[2 * cls];
  if (c < 0) return RulesInClass(cls);
  return impl_->sets[static_cast<std::size_t>(c)]->rules;
}
bool Rules::prefilter() const { return impl_->prefilter != nullptr; }
const std::string& Rules::prefilter_error() const { return impl_->prefilter_error; }
std::size_t Rules::skippable_rules() const { return impl_->skippable; }

const char* RouteClassName(int cls) { return route::ClassName(cls); }

namespace {

bool ReadText(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

}  // namespace

void Rules::Impl::Plan(const std::vector<Unit>& good, bool exact, bool use_prefilter,
                       const CachedPrefilter* cached) {
  Impl& impl = *this;
  impl.needs_md5 = false;
  for (const Unit& g : good) {
    UnitRec u;
    u.name = g.name;
    bool have_text = true;
    if (g.text != nullptr) {
      u.text = *g.text;
    } else {
      u.path = g.name;
      if (g.read_text != nullptr)
        u.text = *g.read_text;
      else
        have_text = ReadText(g.name, u.text);
    }
    if (have_text) u.split = route::SplitSource(u.text);
    u.routed = u.split.ok && !u.split.has_include;
    for (const route::RuleText& r : u.split.rules) u.routed = u.routed && !r.is_global;
    if (u.routed) {
      u.facts = route::AnalyseUnit(
          u.split, use_prefilter && !exact
                       ? route::PatternFilter([&](const route::StringPattern& p) {
                           return refused.count(p.expr) == 0 && prefilter::Usable(p);
                         })
                       : route::PatternFilter([](const route::StringPattern&) { return false; }));
      for (const route::RuleFacts& f : u.facts) impl.needs_md5 = impl.needs_md5 || f.uses_md5;
    } else {
      // Not understood: assume it needs md5 when the word is anywhere in it
      // (an unreadable file or an include: assume it does).
      impl.needs_md5 = impl.needs_md5 || !have_text || u.split.has_include ||
                       u.text.find("md5") != std::string::npos;
    }
    u.first_member = impl.members.size();
    if (u.routed) {
      for (std::size_t r = 0; r < u.split.rules.size(); ++r)
        impl.members.push_back({impl.units.size(), r});
    } else {
      impl.members.push_back({impl.units.size(), kWhole});
    }
    impl.units.push_back(std::move(u));
  }
  impl.routing = !exact;
  if (!impl.routing) return;
  // Vectorscan may refuse a pattern in a database that it accepted alone:
  // that pattern is then left out (its rules are not skippable) and the
  // plan made again, a few times at most; after that, no prefilter.
  for (int attempt = 0;; ++attempt) {
    PlanSets(use_prefilter);
    if (!use_prefilter) return;
    std::string bad;
    if (cached != nullptr) {  // the plan and the database of a cache entry
      if (cached->built)
        BuildPrefilter(bad, &cached->db);
      else
        prefilter_error = cached->error;
      break;
    }
    if (BuildPrefilter(bad) || bad.empty() || attempt == 4) break;
    refused.insert(bad);
    for (UnitRec& u : units) {
      if (!u.routed) continue;
      u.facts = route::AnalyseUnit(u.split, [&](const route::StringPattern& p) {
        return refused.count(p.expr) == 0 && prefilter::Usable(p);
      });
    }
  }
  if (!prefilter) {
    for (int& c : cheap_of_route) c = -1;
  }
}

int Rules::Impl::SetFor(std::vector<char> sel, bool non_pe) {
  for (std::size_t s = 0; s < sets.size(); ++s) {
    if (sets[s]->selected == sel && sets[s]->non_pe == non_pe) return static_cast<int>(s);
  }
  auto set = std::make_unique<ClassSet>();
  set->non_pe = non_pe;
  set->rules = RulesOf(sel);
  set->selected = std::move(sel);
  sets.push_back(std::move(set));
  return static_cast<int>(sets.size() - 1);
}

void Rules::Impl::PlanSets(bool use_prefilter) {
  sets.clear();
  skippable = 0;
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Member& mem = members[m];
    if (mem.rule != kWhole && units[mem.unit].facts[mem.rule].skippable()) ++skippable;
  }
  for (int rt = 0; rt < route::kRouteCount; ++rt) {
    std::vector<char> sel(members.size(), 0);
    for (std::size_t m = 0; m < members.size(); ++m) {
      const Member& mem = members[m];
      sel[m] = mem.rule == kWhole || ((units[mem.unit].facts[mem.rule].routes >> rt) & 1u) != 0;
    }
    Close(sel);
    const bool non_pe = rt / 2 != route::kPe;
    std::vector<char> cheap = sel;
    if (use_prefilter) {
      for (std::size_t m = 0; m < members.size(); ++m) {
        const Member& mem = members[m];
        if (mem.rule != kWhole && units[mem.unit].facts[mem.rule].skippable()) cheap[m] = 0;
      }
      Close(cheap);
    }
    const bool differs = cheap != sel;
    set_of_route[rt] = SetFor(std::move(sel), non_pe);
    cheap_of_route[rt] = differs ? SetFor(std::move(cheap), non_pe) : -1;
  }
}

bool Rules::Impl::BuildPrefilter(std::string& bad, const std::string* serialized) {
  prefilter.reset();
  auto db = std::make_unique<prefilter::Database>();
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Member& mem = members[m];
    if (mem.rule == kWhole) continue;
    const route::RuleFacts& f = units[mem.unit].facts[mem.rule];
    if (!f.skippable()) continue;
    route::RouteMask routes = 0;
    for (int rt = 0; rt < route::kRouteCount; ++rt) {
      if (cheap_of_route[rt] >= 0 && sets[static_cast<std::size_t>(set_of_route[rt])]->selected[m])
        routes |= 1u << rt;
    }
    if (routes == 0) continue;
    for (const route::StringPattern& p : f.patterns) db->Add(p, routes);
  }
  if (db->size() == 0) {
    prefilter_error = "no string-dependent rule";
    return false;
  }
  std::string error;
  if (serialized != nullptr && db->Adopt(*serialized)) {
    prefilter_error.clear();
    prefilter = std::move(db);
    return true;
  }
  if (!db->Build(error, bad)) {
    prefilter_error = "Vectorscan: " + error;
    return false;
  }
  prefilter_error.clear();
  prefilter = std::move(db);
  return true;
}

Result<std::shared_ptr<const Rules>> Rules::Compile(const std::vector<std::string>& paths,
                                                    CompileStats& stats) {
  return Compile(paths, {}, stats);
}

Result<std::shared_ptr<const Rules>> Rules::Compile(const std::vector<std::string>& paths,
                                                    const std::vector<RuleSource>& sources,
                                                    CompileStats& stats) {
  return Compile(paths, sources, stats, CompileOptions{});
}

namespace {

constexpr std::uint64_t kNoBlob = ~std::uint64_t{0};

// The name of the entry for these units and options: the SHA-256 of all of
// it. Fills `texts` with each file's content (read once, for the plan too).
// Empty, with `note` set, when the rules cannot be cached.
std::string CacheKey(const std::vector<Unit>& files, const CompileOptions& options, bool exact,
                     bool use_prefilter, std::vector<std::string>& texts, std::string& note) {
  cache::Writer key;
  key.Str(kCacheFormat);
  key.Str(options.cache_tag);
  key.Str(YR_VERSION);
  key.Str(hs_version());
  key.U64(exact ? 1 : 0);
  key.U64(use_prefilter ? 1 : 0);
  key.U64(files.size());
  texts.assign(files.size(), std::string());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const Unit& u = files[i];
    if (u.text == nullptr && !ReadText(u.name, texts[i])) {
      note = "cannot read " + u.name;
      return {};
    }
    key.U64(u.text == nullptr ? 0 : 1);
    key.Str(u.name);
    key.Str(u.text == nullptr ? texts[i] : *u.text);
  }
  return cache::Sha256Hex(key.data());
}

}  // namespace

// Loads the rules from a cache entry made for exactly `files` (same key).
// The plan is made again from the rule texts (cheap) and must give the same
// sets the entry holds; only compiled rules and the Vectorscan database are
// taken from it.
Result<std::unique_ptr<Rules::Impl>> Rules::Impl::LoadCached(
    const std::shared_ptr<cache::Entry>& entry, const std::vector<Unit>& files, bool exact,
    bool use_prefilter, CompileStats& stats) {
  cache::Reader r(entry->meta());
  if (r.Str() != kCacheFormat) return Status::Error("another format");
  if (r.U64() != files.size()) return Status::Error("made for other rules");
  const std::uint64_t files_ok = r.U64(), count = r.U64(), warnings = r.U64();
  std::vector<ioc::Problem> problems(static_cast<std::size_t>(std::min<std::uint64_t>(r.U64(), 1u << 20)));
  for (ioc::Problem& p : problems) {
    p.where = r.Str();
    p.message = r.Str();
    p.set = r.Str();
  }
  std::vector<Unit> good;
  const std::uint64_t ngood = r.U64();
  for (std::uint64_t i = 0; i < ngood && r.ok(); ++i) {
    std::uint64_t at = r.U64();
    if (at >= files.size()) return Status::Error("damaged (unit index)");
    good.push_back(files[static_cast<std::size_t>(at)]);
  }
  auto impl = std::make_unique<Impl>();
  const std::uint64_t nrefused = r.U64();
  for (std::uint64_t i = 0; i < nrefused && r.ok(); ++i) impl->refused.insert(r.Str());
  CachedPrefilter pf;
  pf.built = r.U64() != 0;
  pf.error = r.Str();
  const std::uint64_t pf_blob = r.U64(), whole_blob = r.U64();
  struct SetRec {
    std::string selected;
    bool non_pe;
    std::uint64_t rules, blob;
  };
  std::vector<SetRec> sets;
  const std::uint64_t nsets = r.U64();
  for (std::uint64_t i = 0; i < nsets && r.ok(); ++i) {
    SetRec rec;
    rec.selected = r.Str();
    rec.non_pe = r.U64() != 0;
    rec.rules = r.U64();
    rec.blob = r.U64();
    sets.push_back(std::move(rec));
  }
  if (!r.ok() || !r.at_end()) return Status::Error("damaged (meta record)");
  if (pf.built) {
    auto db = entry->Blob(static_cast<std::size_t>(pf_blob));
    if (!db.ok()) return db.status();
    pf.db = std::move(*db);
  }
  auto whole = entry->Blob(static_cast<std::size_t>(whole_blob));
  if (!whole.ok()) return whole.status();
  impl->rules = LoadRules(*whole);
  if (!impl->rules) return Status::Error("libyara cannot load its rules");
  YR_RULE* rule = nullptr;
  yr_rules_foreach(impl->rules.get(), rule) { ++impl->count; }
  if (impl->count != count) return Status::Error("damaged (rule count)");
  impl->Plan(good, exact, use_prefilter, &pf);
  if (impl->sets.size() != sets.size()) return Status::Error("its plan differs from this one");
  for (std::size_t i = 0; i < sets.size(); ++i) {
    ClassSet& set = *impl->sets[i];
    if (std::string_view(set.selected.data(), set.selected.size()) != sets[i].selected ||
        set.non_pe != sets[i].non_pe || set.rules != sets[i].rules)
      return Status::Error("its plan differs from this one");
    if (sets[i].blob != kNoBlob) set.blob = static_cast<std::size_t>(sets[i].blob);
  }
  impl->entry = entry;
  stats.files_ok += static_cast<std::size_t>(files_ok);
  stats.warnings = static_cast<std::size_t>(warnings);
  stats.problems.insert(stats.problems.end(), problems.begin(), problems.end());
  return impl;
}

// Compiles every set of the plan (2 threads) and writes the entry.
Status Rules::Impl::SaveCached(const std::vector<Unit>& good, std::size_t files,
                               const CompileStats& stats, std::size_t first_problem,
                               const std::string& path) {
  Impl& impl = *this;
  for (const UnitRec& u : impl.units) {
    if (u.routed) continue;
    if (u.split.has_include || (!u.split.ok && u.text.find("include") != std::string::npos))
      return Status::Error(u.name + " has an include (its content is not all in the key)");
  }
  auto w = cache::EntryWriter::Create(path);
  if (!w.ok()) return w.status();
  std::mutex write_mu;  // the writer appends one blob at a time
  auto add_blob = [&](const std::string& bytes) -> Result<std::uint64_t> {
    std::lock_guard<std::mutex> lock(write_mu);
    auto b = (*w)->AddBlob(bytes);
    if (!b.ok()) return b.status();
    return static_cast<std::uint64_t>(*b);
  };
  std::string whole_bytes = SaveRules(impl.rules.get());
  if (whole_bytes.empty()) return Status::Error("libyara cannot save its rules");
  auto whole = add_blob(whole_bytes);
  whole_bytes = std::string();
  if (!whole.ok()) return whole.status();
  std::uint64_t pf_blob = kNoBlob;
  if (impl.prefilter) {
    std::string db = impl.prefilter->Serialize();
    if (db.empty()) return Status::Error("Vectorscan cannot serialize the prefilter");
    auto b = add_blob(db);
    if (!b.ok()) return b.status();
    pf_blob = *b;
  }
  // Every set, compiled on 2 threads, saved and freed at once (the scan
  // loads those it uses from the entry): memory stays one set per thread.
  std::vector<std::uint64_t> set_blobs(impl.sets.size(), kNoBlob);
  std::vector<Status> failures(impl.sets.size(), Status::Ok());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < impl.sets.size(); i = next++) {
      const ClassSet& set = *impl.sets[i];
      RulesPtr compiled = impl.CompileSelection(set.selected, set.non_pe);
      if (!compiled) continue;  // served by the whole set, as when compiled lazily
      std::string bytes = SaveRules(compiled.get());
      compiled.reset();
      if (bytes.empty()) {
        failures[i] = Status::Error("libyara cannot save a rule set");
        continue;
      }
      auto b = add_blob(bytes);
      if (b.ok())
        set_blobs[i] = *b;
      else
        failures[i] = b.status();
    }
  };
  std::thread helper(work);
  work();
  helper.join();
  for (const Status& f : failures)
    if (!f.ok()) return f;
  cache::Writer m;
  m.Str(kCacheFormat);
  m.U64(files);
  m.U64(stats.files_ok);
  m.U64(impl.count);
  m.U64(stats.warnings);
  m.U64(stats.problems.size() - first_problem);
  for (std::size_t i = first_problem; i < stats.problems.size(); ++i) {
    m.Str(stats.problems[i].where);
    m.Str(stats.problems[i].message);
    m.Str(stats.problems[i].set);
  }
  m.U64(good.size());
  for (const Unit& u : good) m.U64(u.index);
  m.U64(impl.refused.size());
  for (const std::string& p : impl.refused) m.Str(p);
  m.U64(impl.prefilter ? 1 : 0);
  m.Str(impl.prefilter_error);
  m.U64(pf_blob);
  m.U64(*whole);
  m.U64(impl.sets.size());
  for (std::size_t i = 0; i < impl.sets.size(); ++i) {
    const ClassSet& set = *impl.sets[i];
    m.Str(std::string_view(set.selected.data(), set.selected.size()));
    m.U64(set.non_pe ? 1 : 0);
    m.U64(set.rules);
    m.U64(set_blobs[i]);
  }
  if (Status st = (*w)->Finish(m.data()); !st.ok()) return st;
  // The sets load from the entry just written (compiled lazily if it fails).
  auto written = cache::Entry::Open(path);
  if (!written.ok()) return Status::Ok();
  for (std::size_t i = 0; i < impl.sets.size(); ++i)
    if (set_blobs[i] != kNoBlob) impl.sets[i]->blob = static_cast<std::size_t>(set_blobs[i]);
  impl.entry = *written;
  return Status::Ok();
}

Result<std::shared_ptr<const Rules>> Rules::Compile(const std::vector<std::string>& paths,
                                                    const std::vector<RuleSource>& sources,
                                                    CompileStats& stats,
                                                    const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (Status s = InitLibrary(); !s.ok()) return s;

  std::vector<std::string> paths_found;
  if (Status s = CollectFiles(paths, paths_found, stats.problems); !s.ok()) return s;
  std::vector<Unit> files;
  for (std::string& p : paths_found) files.push_back({std::move(p), nullptr, files.size()});
  for (const RuleSource& s : sources) files.push_back({s.name, &s.text, files.size()});
  stats.files += files.size();
  if (files.empty()) return Status::Error("no YARA rule files (.yar, .yara) found");
  const char* env = std::getenv("TRAWL_YARA_EXACT");
  const bool exact = options.exact || (env != nullptr && std::string_view(env) == "1");
  const char* no_pf = std::getenv("TRAWL_YARA_NO_PREFILTER");
  const bool use_prefilter =
      options.prefilter && !(no_pf != nullptr && std::string_view(no_pf) == "1");

  // The cache: an entry named by the key of these rules, loaded when present.
  std::string entry_path;
  std::vector<std::string> texts;
  if (!options.cache_dir.empty()) {
    std::string key = CacheKey(files, options, exact, use_prefilter, texts, stats.cache_note);
    std::error_code ec;
    if (!options.cache_read_only) fs::create_directories(options.cache_dir, ec);
    if (key.empty()) {
      stats.cache = "not used";
    } else if (ec) {
      stats.cache = "not used";
      stats.cache_note = options.cache_dir + ": " + ec.message();
    } else {
      entry_path = (fs::path(options.cache_dir) / (key + ".trawlyc")).string();
      stats.cache_entry = entry_path;
      for (Unit& u : files)
        if (u.text == nullptr) u.read_text = &texts[u.index];
      if (fs::exists(entry_path, ec)) {
        auto entry = cache::Entry::Open(entry_path);
        Result<std::unique_ptr<Impl>> loaded =
            entry.ok() ? Impl::LoadCached(*entry, files, exact, use_prefilter, stats)
                       : Result<std::unique_ptr<Impl>>(entry.status());
        if (loaded.ok()) {
          stats.cache = "hit";
          stats.rules += (*loaded)->count;
          stats.seconds += elapsed();
          return std::shared_ptr<const Rules>(new Rules(std::move(*loaded)));
        }
        stats.cache_note = "entry " + entry_path + " not used (" + loaded.status().message() +
                           "): compiled and written again";
      }
    }
  }
  const std::size_t first_problem = stats.problems.size();

  // Optimistic: everything in one compiler (the usual case: no broken file).
  // When a file fails, each file after it is checked alone (2 threads), then
  // the good ones are compiled together. A file failing only in company (not
  // expected: each has its own namespace) is left out the same way.
  std::vector<Unit> good = files;
  RulesPtr compiled;
  std::size_t checked_upto = 0;  // files before this index in `good` compiled fine
  for (;;) {
    CompilerLog log;
    std::size_t failed_at = 0;
    std::string fatal;
    compiled = CompileTogether(good, failed_at, log, fatal);
    stats.warnings = log.warnings;
    if (compiled) break;
    if (!fatal.empty()) return Status::Error(fatal);
    stats.problems.push_back(ProblemOf(good[failed_at].name, log));
    std::vector<Unit> rest(good.begin() + static_cast<std::ptrdiff_t>(failed_at) + 1,
                                  good.end());
    good.resize(failed_at);
    if (failed_at + 1 > checked_upto) {
      // Check the unchecked rest alone, in parallel.
      std::vector<char> ok(rest.size(), 0);
      std::vector<CompilerLog> logs(rest.size());
      std::atomic<std::size_t> next{0};
      auto work = [&] {
        for (std::size_t i = next++; i < rest.size(); i = next++) {
          CompilerPtr c = NewCompiler(logs[i]);
          ok[i] = c && AddUnit(c.get(), rest[i], logs[i]) ? 1 : 0;
        }
      };
      std::thread helper(work);
      work();
      helper.join();
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if (ok[i]) {
          good.push_back(rest[i]);
        } else {
          stats.problems.push_back(ProblemOf(rest[i].name, logs[i]));
        }
      }
      checked_upto = good.size();
    } else {
      good.insert(good.end(), rest.begin(), rest.end());
    }
    if (good.empty()) break;
  }

  stats.files_ok += good.size();
  if (!compiled) {
    stats.seconds += elapsed();
    return Status::Error("none of the " + std::to_string(files.size()) +
                         " YARA rule files compiled (first: " + stats.problems.front().where +
                         ": " + stats.problems.front().message + ")");
  }
  auto impl = std::make_unique<Impl>();
  YR_RULE* rule = nullptr;
  yr_rules_foreach(compiled.get(), rule) { ++impl->count; }
  impl->rules = std::move(compiled);
  impl->Plan(good, exact, use_prefilter);
  stats.rules += impl->count;
  if (!entry_path.empty() && options.cache_read_only) {
    stats.cache = "not written";
    stats.cache_note = "read only: " + options.cache_read_only_why +
                       (stats.cache_note.empty() ? "" : "; " + stats.cache_note);
  } else if (!entry_path.empty()) {
    Status saved = impl->SaveCached(good, files.size(), stats, first_problem, entry_path);
    stats.cache = saved.ok() ? "written" : "not written";
    if (!saved.ok()) stats.cache_note = saved.message();
  }
  stats.seconds += elapsed();
  return std::shared_ptr<const Rules>(new Rules(std::move(impl)));
}

Externals ExternalsForPath(std::string_view path) {
  Externals e;
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (slash != std::string_view::npos)
    e.filepath = std::string(path.substr(0, slash == 0 ? 1 : slash));
  e.filename = std::string(base);
  // Python's os.path.splitext: leading dots are part of the name.
  std::size_t first = base.find_first_not_of('.');
  std::size_t dot = base.rfind('.');
  if (first != std::string_view::npos && dot != std::string_view::npos && dot > first) {
    for (char ch : base.substr(dot)) {
      e.extension.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    }
  }
  return e;
}

// --- Scanner ---------------------------------------------------------------

namespace {

int ParseScore(const YR_META* meta) {
  if (meta->type == META_TYPE_INTEGER) return static_cast<int>(meta->integer);
  if (meta->type == META_TYPE_STRING && meta->string != nullptr) {
    char* end = nullptr;
    long v = std::strtol(meta->string, &end, 10);
    if (end != meta->string && *end == '\0') return static_cast<int>(v);
  }
  return kDefaultScore;
}

int OnScanMessage(YR_SCAN_CONTEXT* /*ctx*/, int message, void* message_data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  auto* out = static_cast<std::vector<Match>*>(user);
  const auto* rule = static_cast<const YR_RULE*>(message_data);
  Match m;
  m.rule = rule->identifier != nullptr ? rule->identifier : "";
  m.ns_file = rule->ns != nullptr && rule->ns->name != nullptr ? rule->ns->name : "";
  const YR_META* meta = nullptr;
  yr_rule_metas_foreach(rule, meta) {
    if (meta->identifier == nullptr) continue;
    std::string_view id = meta->identifier;
    const char* s =
        meta->type == META_TYPE_STRING && meta->string != nullptr ? meta->string : nullptr;
    if (id == "score") {
      m.score = ParseScore(meta);
    } else if (s != nullptr && id == "description" && m.description.empty()) {
      m.description = s;
    } else if (s != nullptr && id == "author" && m.author.empty()) {
      m.author = s;
    } else if (s != nullptr && id == "reference" && m.reference.empty()) {
      m.reference = s;
    }
  }
  out->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

}  // namespace

struct Scanner::Impl {
  std::shared_ptr<const Rules> rules;
  int timeout = 0;
  int create_error = ERROR_SUCCESS;
  // One libyara scanner per compiled set in use (whole set, class sets).
  std::vector<std::pair<const YR_RULES*, ScannerPtr>> scanners;
  std::vector<Match> matches;
  ScanCounters counters;
  prefilter::ScratchPtr scratch;  // for the rules' prefilter, allocated on first use
  // ScanMapped: the bytes may fault; every libyara and Vectorscan call that
  // reads them runs under read::Guarded, and `faulted` records a SIGBUS.
  bool mapped = false;
  bool faulted = false;
  // Runs f, under read::Guarded when the bytes are mapped; false (and
  // `faulted` set) when a SIGBUS cut it short.
  template <typename F>
  bool Touch(F& f) {
    if (!mapped) {
      f();
      return true;
    }
    if (read::Guarded(f)) return true;
    faulted = true;
    return false;
  }
  // Drops the scanner for `s` without destroying it (a SIGBUS interrupted
  // it: its state is unknown; the memory is left, as read::Guarded asks).
  void Abandon(YR_SCANNER* s);
  Status ScanImpl(const std::uint8_t* data, std::size_t n, const Externals& ext,
                  ScanReport& report);

  // The set for a buffer (its route's full set, or its cheap set when the
  // prefilter finds none of the route's patterns); -1: the whole set (exact
  // mode). Counts the scan; `route_class` gets the class (or -1).
  int Pick(const std::uint8_t* data, std::size_t n, int& route_class);
  // The scanner for `r`, created on first use; null on failure.
  YR_SCANNER* For(const YR_RULES* r);
  // Sets the externals and scans; the matches are appended to `out`.
  int Run(YR_SCANNER* s, const std::uint8_t* data, std::size_t n, const Externals& ext,
          std::vector<Match>& out, std::string& error);
  // After a timeout with the members `sel`: rescans halves until the slow
  // members are isolated.
  Status Split(const std::vector<std::size_t>& members, bool non_pe, const std::uint8_t* data,
               std::size_t n, const Externals& ext, ScanReport& report);
};

int Scanner::Impl::Pick(const std::uint8_t* data, std::size_t n, int& route_class) {
  const Rules::Impl& ri = *rules->impl_;
  route_class = -1;
  if (!ri.routing) {
    ++counters.exact;
    return -1;
  }
  int rt = 0;
  auto route_of = [&] { rt = route::RouteOf(data, data == nullptr ? 0 : n); };
  if (!Touch(route_of)) return -1;
  route_class = rt / 2;
  ++counters.files_by_class[route_class];
  if (rt % 2) ++counters.large_files;
  const int cheap = ri.cheap_of_route[rt];
  if (cheap >= 0 && ri.prefilter) {
    if (!scratch) scratch = ri.prefilter->NewScratch();
    bool hit = true;
    auto any_hit = [&] { hit = ri.prefilter->AnyHit(data, data == nullptr ? 0 : n, rt, scratch.get()); };
    if (scratch && !Touch(any_hit)) {
      (void)scratch.release();  // interrupted mid-scan: not reused, not freed
      return ri.set_of_route[rt];
    }
    if (!hit) {
      ++counters.prefilter_settled;
      return cheap;
    }
  }
  return ri.set_of_route[rt];
}

YR_SCANNER* Scanner::Impl::For(const YR_RULES* r) {
  for (auto& [rules_ptr, scanner] : scanners) {
    if (rules_ptr == r) return scanner.get();
  }
  YR_SCANNER* raw = nullptr;
  create_error = yr_scanner_create(const_cast<YR_RULES*>(r), &raw);
  if (create_error != ERROR_SUCCESS) return nullptr;
  ScannerPtr p(raw);
  yr_scanner_set_callback(raw, OnScanMessage, &matches);
  if (timeout > 0) yr_scanner_set_timeout(raw, timeout);
  // Fast mode stops looking for more occurrences of a string once one is
  // found, only for strings no condition counts or locates: same results.
  // No try/catch: libyara would install and remove its own SIGBUS handler
  // around every scan; the only bytes that can fault are mapped ones, and
  // ScanMapped guards those itself (read::Guarded).
  yr_scanner_set_flags(raw, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
  scanners.emplace_back(r, std::move(p));
  return raw;
}

int Scanner::Impl::Run(YR_SCANNER* s, const std::uint8_t* data, std::size_t n,
                       const Externals& ext, std::vector<Match>& out, std::string& error) {
  const std::string* values[] = {&ext.filename, &ext.filepath, &ext.extension,
                                 &ext.filetype, &ext.md5,      &ext.owner};
  for (std::size_t i = 0; i < std::size(kExternals); ++i) {
    int rc = yr_scanner_define_string_variable(s, kExternals[i], values[i]->c_str());
    if (rc != ERROR_SUCCESS) {
      error = std::string("yara: cannot set external ") + kExternals[i] + " (error " +
              std::to_string(rc) + ")";
      return rc;
    }
  }
  static const std::uint8_t kEmpty[1] = {0};
  matches.clear();
  const std::uint8_t* at = n == 0 || data == nullptr ? kEmpty : data;
  int rc = ERROR_SUCCESS;
  auto scan = [&] { rc = yr_scanner_scan_mem(s, at, n == 0 ? 0 : n); };
  if (!Touch(scan)) {
    matches.clear();
    error = "the file shrank while scanned (SIGBUS)";
    return ERROR_COULD_NOT_MAP_FILE;
  }
  if (rc == ERROR_SCAN_TIMEOUT) {
    error = "yara timeout after " + std::to_string(timeout) + "s";
  } else if (rc != ERROR_SUCCESS) {
    error = "yara scan error " + std::to_string(rc);
  } else {
    for (Match& m : matches) out.push_back(std::move(m));
  }
  matches.clear();
  return rc;
}

Status Scanner::Impl::Split(const std::vector<std::size_t>& members, bool non_pe,
                            const std::uint8_t* data, std::size_t n, const Externals& ext,
                            ScanReport& report) {
  const Rules::Impl& ri = *rules->impl_;
  if (members.size() <= 1) {
    for (std::size_t m : members) {
      const Member& mem = ri.members[m];
      const UnitRec& u = ri.units[mem.unit];
      report.timed_out.push_back({mem.rule == kWhole ? "" : u.split.rules[mem.rule].name, u.name});
    }
    return Status::Ok();
  }
  std::size_t half = members.size() / 2;
  const std::vector<std::size_t> parts[2] = {
      std::vector<std::size_t>(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(half)),
      std::vector<std::size_t>(members.begin() + static_cast<std::ptrdiff_t>(half), members.end())};
  for (const std::vector<std::size_t>& part : parts) {
    std::vector<char> sel(ri.members.size(), 0);
    for (std::size_t m : part) sel[m] = 1;
    ri.Close(sel);
    RulesPtr compiled = ri.CompileSelection(sel, non_pe);
    if (!compiled) return Status::Error("yara: cannot compile a subset of the rules after a timeout");
    YR_SCANNER* raw = nullptr;
    int rc = yr_scanner_create(compiled.get(), &raw);
    if (rc != ERROR_SUCCESS) return Status::Error("yara scanner unavailable (error " + std::to_string(rc) + ")");
    ScannerPtr scanner(raw);
    yr_scanner_set_callback(raw, OnScanMessage, &matches);
    if (timeout > 0) yr_scanner_set_timeout(raw, timeout);
    yr_scanner_set_flags(raw, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
    ++counters.split_rescans;
    std::vector<Match> found;
    std::string error;
    rc = Run(raw, data, n, ext, found, error);
    if (faulted) {
      (void)scanner.release();  // interrupted by a SIGBUS: abandoned
      return Status::Error(error);
    }
    if (rc == ERROR_SCAN_TIMEOUT) {
      if (Status s = Split(part, non_pe, data, n, ext, report); !s.ok()) return s;
      continue;
    }
    if (rc != ERROR_SUCCESS) return Status::Error(error);
    // Keep the matches of this part's own members (referenced rules from the
    // other part report there).
    std::set<std::pair<std::string, std::string>> own;  // (namespace, rule or "")
    for (std::size_t m : part) {
      const Member& mem = ri.members[m];
      const UnitRec& u = ri.units[mem.unit];
      own.emplace(u.name, mem.rule == kWhole ? std::string() : u.split.rules[mem.rule].name);
    }
    for (Match& m : found) {
      if (own.count({m.ns_file, m.rule}) || own.count({m.ns_file, std::string()}))
        report.matches.push_back(std::move(m));
    }
  }
  return Status::Ok();
}

Scanner::Scanner(std::shared_ptr<const Rules> rules, int timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
  impl_->rules = std::move(rules);
  impl_->timeout = timeout_seconds;
  if (!impl_->rules) {
    impl_->create_error = ERROR_INVALID_ARGUMENT;
    return;
  }
  // The whole set's scanner, created now so a failure shows at once.
  impl_->For(impl_->rules->impl_->rules.get());
}

Scanner::~Scanner() = default;

const ScanCounters& Scanner::counters() const { return impl_->counters; }

void Scanner::Impl::Abandon(YR_SCANNER* s) {
  for (auto it = scanners.begin(); it != scanners.end(); ++it) {
    if (it->second.get() != s) continue;
    (void)it->second.release();
    scanners.erase(it);
    return;
  }
}

Status Scanner::Scan(const std::uint8_t* data, std::size_t n, const Externals& ext,
                     ScanReport& report) {
  impl_->mapped = false;
  impl_->faulted = false;
  return impl_->ScanImpl(data, n, ext, report);
}

Status Scanner::ScanMapped(const std::uint8_t* data, std::size_t n, const Externals& ext,
                           ScanReport& report) {
  impl_->mapped = true;
  impl_->faulted = false;
  Status st = impl_->ScanImpl(data, n, ext, report);
  impl_->mapped = false;
  if (impl_->faulted) {
    impl_->faulted = false;
    report.matches.clear();
    report.timed_out.clear();
    return Status::Error("the file shrank while scanned (SIGBUS): its YARA matches are unknown");
  }
  return st;
}

Status Scanner::Impl::ScanImpl(const std::uint8_t* data, std::size_t n, const Externals& ext,
                               ScanReport& report) {
  Impl* impl_ = this;
  report = ScanReport{};
  // (No scanner at all: creating the first one failed. One abandoned after
  // a SIGBUS is created again by For.)
  if (!impl_->rules || (impl_->scanners.empty() && impl_->create_error != ERROR_SUCCESS)) {
    return Status::Error("yara scanner unavailable (error " + std::to_string(impl_->create_error) +
                         ")");
  }
  const Rules::Impl& ri = *impl_->rules->impl_;
  const int set_index = impl_->Pick(data, n, report.route_class);
  if (faulted) return Status::Error("SIGBUS");
  const YR_RULES* set = set_index < 0 ? ri.rules.get() : ri.ForSet(set_index);
  YR_SCANNER* s = impl_->For(set);
  if (s == nullptr) {
    return Status::Error("yara scanner unavailable (error " + std::to_string(impl_->create_error) +
                         ")");
  }
  std::string error;
  int rc = impl_->Run(s, data, n, ext, report.matches, error);
  if (faulted) {
    Abandon(s);
    return Status::Error(error);
  }
  if (rc == ERROR_SUCCESS) return Status::Ok();
  if (rc != ERROR_SCAN_TIMEOUT) return Status::Error(error);
  ++impl_->counters.timeouts;
  report.matches.clear();
  std::vector<std::size_t> members;
  const bool whole = set_index < 0 || set == ri.rules.get();
  for (std::size_t m = 0; m < ri.members.size(); ++m) {
    if (whole || ri.sets[static_cast<std::size_t>(set_index)]->selected[m]) members.push_back(m);
  }
  bool non_pe = !whole && ri.sets[static_cast<std::size_t>(set_index)]->non_pe;
  return impl_->Split(members, non_pe, data, n, ext, report);
}

Result<std::vector<Match>> Scanner::Scan(const std::uint8_t* data, std::size_t n,
                                         const Externals& ext) {
  if (!impl_->rules || impl_->scanners.empty()) {
    return Status::Error("yara scanner unavailable (error " + std::to_string(impl_->create_error) +
                         ")");
  }
  const Rules::Impl& ri = *impl_->rules->impl_;
  int route_class = -1;
  const int set_index = impl_->Pick(data, n, route_class);
  const YR_RULES* set = set_index < 0 ? ri.rules.get() : ri.ForSet(set_index);
  YR_SCANNER* s = impl_->For(set);
  if (s == nullptr) {
    return Status::Error("yara scanner unavailable (error " + std::to_string(impl_->create_error) +
                         ")");
  }
  std::vector<Match> out;
  std::string error;
  int rc = impl_->Run(s, data, n, ext, out, error);
  if (rc == ERROR_SCAN_TIMEOUT) ++impl_->counters.timeouts;
  if (rc != ERROR_SUCCESS) return Status::Error(error);
  return out;
}

}  // namespace trawl::yara

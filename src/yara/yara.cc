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
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "trawl/core/unique_handle.h"

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

}  // namespace

struct Rules::Impl {
  RulesPtr rules;
  std::size_t count = 0;
};

Rules::Rules(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Rules::~Rules() = default;
std::size_t Rules::rule_count() const { return impl_->count; }

Result<std::shared_ptr<const Rules>> Rules::Compile(const std::vector<std::string>& paths,
                                                    CompileStats& stats) {
  return Compile(paths, {}, stats);
}

Result<std::shared_ptr<const Rules>> Rules::Compile(const std::vector<std::string>& paths,
                                                    const std::vector<RuleSource>& sources,
                                                    CompileStats& stats) {
  const auto start = std::chrono::steady_clock::now();
  if (Status s = InitLibrary(); !s.ok()) return s;

  std::vector<std::string> paths_found;
  if (Status s = CollectFiles(paths, paths_found, stats.problems); !s.ok()) return s;
  std::vector<Unit> files;
  for (std::string& p : paths_found) files.push_back({std::move(p), nullptr});
  for (const RuleSource& s : sources) files.push_back({s.name, &s.text});
  stats.files += files.size();
  if (files.empty()) return Status::Error("no YARA rule files (.yar, .yara) found");

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
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!compiled) {
    return Status::Error("none of the " + std::to_string(files.size()) +
                         " YARA rule files compiled (first: " + stats.problems.front().where +
                         ": " + stats.problems.front().message + ")");
  }
  auto impl = std::make_unique<Impl>();
  YR_RULE* rule = nullptr;
  yr_rules_foreach(compiled.get(), rule) { ++impl->count; }
  impl->rules = std::move(compiled);
  stats.rules += impl->count;
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

struct Scanner::Impl {
  std::shared_ptr<const Rules> rules;
  ScannerPtr scanner;
  int timeout = 0;
  int create_error = ERROR_SUCCESS;
  std::vector<Match> matches;
};

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

Scanner::Scanner(std::shared_ptr<const Rules> rules, int timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
  impl_->rules = std::move(rules);
  impl_->timeout = timeout_seconds;
  if (!impl_->rules) {
    impl_->create_error = ERROR_INVALID_ARGUMENT;
    return;
  }
  YR_SCANNER* raw = nullptr;
  impl_->create_error = yr_scanner_create(impl_->rules->impl_->rules.get(), &raw);
  if (impl_->create_error != ERROR_SUCCESS) return;
  impl_->scanner.reset(raw);
  yr_scanner_set_callback(raw, OnScanMessage, &impl_->matches);
  if (timeout_seconds > 0) yr_scanner_set_timeout(raw, timeout_seconds);
  // Fast mode stops looking for more occurrences of a string once one is
  // found, only for strings no condition counts or locates: same results.
  yr_scanner_set_flags(raw, SCAN_FLAGS_FAST_MODE);
}

Scanner::~Scanner() = default;

Result<std::vector<Match>> Scanner::Scan(const std::uint8_t* data, std::size_t n,
                                         const Externals& ext) {
  if (!impl_->scanner) {
    return Status::Error("yara scanner unavailable (error " + std::to_string(impl_->create_error) +
                         ")");
  }
  YR_SCANNER* s = impl_->scanner.get();
  const std::string* values[] = {&ext.filename, &ext.filepath, &ext.extension,
                                 &ext.filetype, &ext.md5,      &ext.owner};
  for (std::size_t i = 0; i < std::size(kExternals); ++i) {
    int rc = yr_scanner_define_string_variable(s, kExternals[i], values[i]->c_str());
    if (rc != ERROR_SUCCESS) {
      return Status::Error(std::string("yara: cannot set external ") + kExternals[i] + " (error " +
                           std::to_string(rc) + ")");
    }
  }
  static const std::uint8_t kEmpty[1] = {0};
  impl_->matches.clear();
  int rc = yr_scanner_scan_mem(s, n == 0 || data == nullptr ? kEmpty : data, n == 0 ? 0 : n);
  if (rc == ERROR_SCAN_TIMEOUT) {
    impl_->matches.clear();
    return Status::Error("yara timeout after " + std::to_string(impl_->timeout) + "s");
  }
  if (rc != ERROR_SUCCESS) {
    impl_->matches.clear();
    return Status::Error("yara scan error " + std::to_string(rc));
  }
  std::vector<Match> out;
  out.swap(impl_->matches);
  return out;
}

}  // namespace trawl::yara

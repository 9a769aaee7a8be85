// Filename/path indicators: every regex of every filename indicator, matched
// against a full path in one pass.
//
// Semantics are LOKI's: Python `re.search(regex, full_path)` (a match anywhere,
// not a full match), case-sensitive unless the pattern begins with `(?i)`;
// `.` does not match a newline, `^` matches at the start only and `$` at the
// end or before a trailing newline. Paths and patterns are bytes (no UTF-8
// mode): `\w`, `\d` and `(?i)` cover ASCII only. An indicator's false-positive
// regex (`fp_regex`) cancels that indicator's hit, never another's.
//
// Engines: all patterns go into one Vectorscan block-mode database. A pattern
// Vectorscan rejects (backreferences, lookarounds, ...) is compiled with PCRE2
// instead (a "fallback", counted and reported), never dropped. A pattern that
// neither engine compiles is reported with its source file:line and the
// engines' messages. False-positive regexes always run on PCRE2, and only
// after their own pattern matched.
//
// This stage sees strings only: it never opens files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::match {

struct BuildStats {
  std::size_t patterns = 0;    // filename indicators given to Build
  std::size_t vectorscan = 0;  // compiled into the Vectorscan database
  std::size_t fallback = 0;    // compiled with PCRE2 instead
  std::size_t failed = 0;      // compiled by neither engine: never match
  std::size_t fp_failed = 0;   // false-positive regexes PCRE2 rejected (the
                               // indicator applies without its fp regex)
  // One entry per fallback ("compiled with PCRE2 fallback (vectorscan: ...)"),
  // per failed pattern and per failed fp regex; `where` is the indicator's
  // source (file:line). Invariant: vectorscan + fallback + failed == patterns
  // and problems.size() == fallback + failed + fp_failed.
  std::vector<ioc::Problem> problems;
  double seconds = 0;       // time spent in Build
  bool cache_hit = false;   // the Vectorscan database came from the cache
  std::string cache_error;  // why the database could not be cached ("" if it was or no cache)
};

struct BuildOptions {
  // Folder for a serialised copy of the Vectorscan database, keyed by a hash
  // of the Vectorscan version and the compiled expressions (start-up saves
  // the compile, about 0.5-1 s for signature-base). Empty: no cache, nothing
  // written. Off by default: a scan on a suspect host should not write to it
  // unless asked. A missing, stale or corrupt file is rebuilt, never an error.
  std::string cache_dir;
};

// $XDG_CACHE_HOME/trawl, else $HOME/.cache/trawl, else "" (no cache).
std::string DefaultCacheDir();

class FilenameMatcher {
 public:
  // Per-worker matching state (Vectorscan scratch, PCRE2 match data and JIT
  // stack). Create one per thread with MakeScratch(); never share one between
  // threads at the same time.
  class Scratch {
   public:
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    // Engine errors met while matching with this scratch (a PCRE2 match or
    // resource limit, a Vectorscan scan error). Such a pattern counts as "no
    // match" for that path; the caller may report the count.
    std::uint64_t engine_errors() const { return engine_errors_; }

   private:
    friend class FilenameMatcher;
    struct Impl;
    explicit Scratch(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::uint64_t engine_errors_ = 0;
  };

  // Compiles the regexes of `filename_indicators` (kind kFilename; others are
  // ignored and not counted). The indicators must outlive the matcher: hits
  // point at them. Fills `stats`. Errors only when an engine fails as a whole
  // (out of memory, Vectorscan scratch allocation); bad patterns are problems
  // in `stats`, not errors. The first form uses no cache.
  static Result<FilenameMatcher> Build(
      const std::vector<const ioc::Indicator*>& filename_indicators, BuildStats& stats);
  static Result<FilenameMatcher> Build(
      const std::vector<const ioc::Indicator*>& filename_indicators, BuildStats& stats,
      const BuildOptions& options);

  FilenameMatcher(FilenameMatcher&&) noexcept;
  FilenameMatcher& operator=(FilenameMatcher&&) noexcept;
  ~FilenameMatcher();

  // A fresh scratch for one worker. Never null.
  std::unique_ptr<Scratch> MakeScratch() const;

  // Appends to `hits` every indicator whose regex matches somewhere in `path`
  // and whose fp_regex (if any) does not, each once, in the order the
  // indicators were given to Build. Thread-safe given a per-thread scratch.
  void Match(std::string_view path, Scratch& scratch,
             std::vector<const ioc::Indicator*>& hits) const;

  // True when no pattern compiled (Match never reports anything).
  bool empty() const;
  // Bytes of the Vectorscan database (0 when none).
  std::size_t database_bytes() const;

 private:
  struct Impl;
  explicit FilenameMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::match

// YARA: compile rule files once, share them read-only, scan buffers with one
// scanner per worker.
//
// Rules::Compile loads every .yar/.yara file under the given paths, each file
// in its own namespace (its path), with the external variables that
// signature-base's rules expect (filename, filepath, extension, filetype, md5,
// owner) declared as empty strings. A file that does not compile is reported
// with file:line and left out; the rest run. Scanner::Scan sets the externals
// for one buffer and returns the matching rules with their metadata; a
// per-scan timeout turns a runaway rule into an error for that file only.
//
// Prefilter (with routing, unless CompileOptions::prefilter is false or
// TRAWL_YARA_NO_PREFILTER=1): a rule that provably needs one of its strings
// (route.h needs_strings) and whose strings all have Vectorscan patterns is
// skippable. A file in which no pattern of its route's skippable rules occurs
// is scanned with the route's other rules only (and those they reference);
// skipped rules cannot be true on it, so the matches stay exact.
//
// Routing (on unless CompileOptions::exact or TRAWL_YARA_EXACT=1): at load
// time each rule's condition is analysed (route.h) for the file classes, by
// leading magic, it can possibly match; a file is scanned with the rules of
// its class only (plus the rules they reference; a rule the analysis cannot
// prove goes into every class), compiled lazily once per class without the
// modules no rule of the class uses. Files of 1 MiB or more have their own
// sets per class, without the rules a `filesize` bound excludes. The matches are exactly those of
// the whole rule set: rules left out of a class cannot be true on its files.
//
// This stage sees bytes and strings only: callers read files and fill the
// externals (ExternalsForPath and FileType help with LOKI's semantics).
// <yara.h> is included only in this stage's .cc files (it defines macros that
// break other headers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::yara {

struct CompileStats {
  std::size_t files = 0;     // rule files found under the paths (and in-memory sources)
  std::size_t files_ok = 0;  // compiled and loaded
  std::size_t rules = 0;     // rules loaded
  std::size_t warnings = 0;  // compiler warnings (e.g. slow strings), counted only
  double seconds = 0;        // wall time of Compile
  // The compiled-rules cache (CompileOptions::cache_dir): "hit" (loaded from
  // `cache_entry`), "written" (compiled, then saved there), "not written" or
  // "not used" (with the reason in `cache_note`); empty without a cache.
  std::string cache;
  std::string cache_entry;
  std::string cache_note;
  // One per file left out: where = "file:line" of its first error (or the
  // file alone when unreadable), message = the compiler's message.
  std::vector<ioc::Problem> problems;
};

// Rules held in memory, e.g. a MISP `yara` attribute or a STIX indicator with
// pattern_type yara. `name` is the namespace, and what problems and matches
// (Match::ns_file) name: use the indicator's source.
struct RuleSource {
  std::string name;
  std::string text;
};

struct CompileOptions {
  // Scan every file with the whole rule set (no routing by file class), as
  // `yara -r` does; also forced by the environment variable TRAWL_YARA_EXACT=1.
  bool exact = false;
  // The prefilter (with routing only): a Vectorscan database of every string
  // of the rules that need one of their strings to match; a file in which
  // none occurs is scanned with its class's other rules only. Off with
  // false or the environment variable TRAWL_YARA_NO_PREFILTER=1.
  bool prefilter = true;
  // The compiled-rules cache: a folder (created if missing) where every rule
  // set routing uses, and the prefilter's Vectorscan database, are saved
  // after compiling, in one entry named by the SHA-256 of everything they
  // are made from (each rule file's name and content, the options, the
  // libyara and Vectorscan versions, `cache_tag`). A later Compile of the
  // same rules loads that entry instead of compiling (what `yara -C` does
  // with a file from yarac); a missing, stale or damaged entry is compiled
  // and written again, never trusted. Rule files with `include` are not
  // cached (their content is not all in the key). Empty: no cache.
  std::string cache_dir;
  std::string cache_tag;  // e.g. the program's version
  // Load only: an entry is used when present, none is written (the folder
  // is on the scanned system); the note says `cache_read_only_why`.
  bool cache_read_only = false;
  std::string cache_read_only_why;
};

// The file classes of routing, by leading magic: 0 "pe" (MZ), 1 "elf",
// 2 "macho", 3 "ole", 4 "zip", 5 "pdf", 6 "script" (#!), 7 "php" (<?),
// 8 "asp" (<%), 9 "lnk", 10 "rtf", 11 "other".
constexpr int kRouteClasses = 12;
const char* RouteClassName(int cls);

// Compiled rules: immutable, shared read-only by every Scanner.
class Rules {
 public:
  // Compiles every .yar/.yara file under each path (a file is taken whatever
  // its extension; a directory is searched recursively, in sorted order).
  // Errors only when a path cannot be read at all (missing, unreadable) or
  // when files were found but none compiled; broken files are problems in
  // `stats`. Initialises libyara on first use (process-wide, once).
  static Result<std::shared_ptr<const Rules>> Compile(const std::vector<std::string>& paths,
                                                      CompileStats& stats);
  // As above, plus in-memory sources, compiled after the files, each in its
  // own namespace and counted in `stats` like a file. `include` directives
  // are refused in them (a feed must not make trawl read local files). A
  // source that does not compile is a problem and left out. `paths` may be
  // empty when `sources` is not.
  static Result<std::shared_ptr<const Rules>> Compile(const std::vector<std::string>& paths,
                                                      const std::vector<RuleSource>& sources,
                                                      CompileStats& stats);
  static Result<std::shared_ptr<const Rules>> Compile(const std::vector<std::string>& paths,
                                                      const std::vector<RuleSource>& sources,
                                                      CompileStats& stats,
                                                      const CompileOptions& options);

  ~Rules();
  Rules(const Rules&) = delete;
  Rules& operator=(const Rules&) = delete;

  std::size_t rule_count() const;
  // Whether any loaded rule's condition uses the `md5` external variable
  // (a rule file the analysis cannot read counts as using it). When false,
  // Externals::md5 may be left empty: no result depends on it.
  bool NeedsMd5() const;
  // Whether files are routed by class (false in exact mode).
  bool routing() const;
  // Rules in the set of a class for files under 1 MiB (its rules and the
  // rules they reference), for summaries; rule_count() in exact mode.
  std::size_t RulesInClass(int cls) const;
  // Rules in the set a class's files under 1 MiB get when the prefilter
  // finds none of the class's patterns (RulesInClass when there is none).
  std::size_t PrefilterRulesInClass(int cls) const;
  // Whether the prefilter is in use, and if not why (empty: not asked for).
  bool prefilter() const;
  const std::string& prefilter_error() const;
  // Rules the prefilter can skip (they need a string and all their strings
  // have patterns).
  std::size_t skippable_rules() const;

 private:
  friend class Scanner;
  struct Impl;
  explicit Rules(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The external variables of one scan. LOKI's semantics: filename is the base
// name, filepath the folder, extension the lower-case extension with its dot
// (Python's os.path.splitext), filetype FileType()'s name, md5 lower-case hex.
struct Externals {
  std::string filename, filepath, extension, filetype, md5, owner;
};

// filename, filepath and extension of a full path as LOKI derives them
// ("/a/b/x.EXE" -> "x.EXE", "/a/b", ".exe"; ".bashrc" has no extension).
// filetype, md5 and owner are left empty.
Externals ExternalsForPath(std::string_view path);

struct Match {
  std::string rule;
  std::string ns_file;  // the rule file (its namespace)
  std::string description;
  std::string author;
  std::string reference;
  int score = 70;  // the rule's `score` meta (integer or numeric string), 70 when absent
};

// A rule that ran out of time on a file: `rule` is empty when the whole rule
// file is one unit (it could not be split into rules).
struct TimedOutRule {
  std::string rule;
  std::string ns_file;
};

// The outcome of one scan with timeouts resolved.
struct ScanReport {
  std::vector<Match> matches;             // every matching rule, once
  std::vector<TimedOutRule> timed_out;    // rules that timed out (their match is unknown)
  int route_class = -1;                   // the file's class (-1 in exact mode)
};

// Per-scanner counts for the summary (sum them over the workers).
struct ScanCounters {
  std::uint64_t files_by_class[kRouteClasses] = {};  // routed scans per class
  std::uint64_t large_files = 0;  // routed scans of 1 MiB or more (their own sets)
  std::uint64_t exact = 0;                           // scans with the whole set
  std::uint64_t timeouts = 0;                        // scans that hit the timeout
  std::uint64_t split_rescans = 0;                   // rescans of a rule subset after a timeout
  std::uint64_t prefilter_settled = 0;  // routed scans with no prefilter hit (cheap set)
};

// One per worker; not thread-safe. Keeps `rules` alive.
class Scanner {
 public:
  // timeout_seconds <= 0: no timeout.
  Scanner(std::shared_ptr<const Rules> rules, int timeout_seconds);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Scans n bytes at data (data may be null when n == 0) with `ext` as the
  // external variables. Each matching rule is reported once, in rule order.
  // Errors: "yara timeout after Ns", or libyara's error code; the scan of
  // other buffers is unaffected.
  Result<std::vector<Match>> Scan(const std::uint8_t* data, std::size_t n, const Externals& ext);

  // As above, but a timeout loses no other rule's match: the buffer is
  // rescanned with the rule set halved (each half with its referenced rules
  // and the same timeout) until the slow rules are isolated; they are named
  // in report.timed_out and every other rule's matches are in
  // report.matches. Errors only for libyara failures other than a timeout.
  Status Scan(const std::uint8_t* data, std::size_t n, const Externals& ext, ScanReport& report);
  // As above, for bytes that may fault: a file mapped with read::Mapping.
  // Every access to them runs under read::Guarded; a SIGBUS (the file shrank
  // while scanned) is the error "the file shrank while scanned (SIGBUS)",
  // and the libyara scanner and Vectorscan scratch it interrupted are
  // abandoned (new ones serve the next scan).
  Status ScanMapped(const std::uint8_t* data, std::size_t n, const Externals& ext,
                    ScanReport& report);

  const ScanCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// LOKI's file type name from the first bytes of a file (signature-base's
// misc/file-type-signatures.txt, first match in file order: e.g. "EXE" for
// MZ, "ELF", "ZIP", "PDF", "RTF", "MDMP", "PHP", "JSP", "VBS", "GIF", "JPEG"),
// with additions LOKI lacks but signature-base's rules test: "MACH-O" (every
// Mach-O magic, fat binaries told apart from Java classes), "PNG", "Python"
// and other shebang scripts, "BATCH", "ASP". "UNKNOWN" otherwise. Reads at
// most the first 512 bytes.
std::string FileType(const std::uint8_t* data, std::size_t n);
// FileType reads at most this many bytes from the start.
constexpr std::size_t kFileTypeBytes = 512;

}  // namespace trawl::yara

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

  ~Rules();
  Rules(const Rules&) = delete;
  Rules& operator=(const Rules&) = delete;

  std::size_t rule_count() const;

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

}  // namespace trawl::yara

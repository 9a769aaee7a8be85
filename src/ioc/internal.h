// Helpers shared by the loaders of this stage. Not part of the public API.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc::internal {

// Why `line` cannot be an entry at all ("NUL byte", "control character",
// "invalid UTF-8"), or empty when it is clean text. Tabs are allowed.
std::string_view BadText(std::string_view line);

// Lower-cased host name without the root dot, or empty unless it is a
// domain by DetectKind's rule (labels of letters, digits, '-', '_'; a TLD of
// letters or "xn--"). The PSL is not consulted (freetext.cc does that).
std::string NormaliseDomain(std::string_view v);

// A hash of an empty or newline-only file ("", "\n", "\r\n"; MD5, SHA-1,
// SHA-256): every file system has such files, so it is never an indicator.
bool IsTrivialHash(std::string_view hex_lower);

// An integer 0..100 written with 1-3 decimal digits (surrounding blanks allowed).
bool ParseScore(std::string_view s, int& score);

// Calls fn(line_number, line) for each line, "\n" / "\r\n" stripped; a UTF-8
// byte order mark at the very start is dropped.
void ForEachLine(std::string_view text, const std::function<void(size_t, std::string_view)>& fn);

// The text of a "# comment" line: '#'s and blanks removed from the front, blanks from the end.
std::string_view CommentText(std::string_view line);

// Bookkeeping for one load: counts, problems and where entries come from.
class Sink {
 public:
  // `display` names the input in problems ("file:line"); `source` overrides
  // Indicator::source when non-empty (the built-in pack), else "display:line".
  Sink(IndicatorSet& set, LoadStats& stats, std::string display, std::string source)
      : set_(set), stats_(stats), display_(std::move(display)), source_(std::move(source)) {}

  // Counts a rejected entry under `reason`; `detail` (escaped, shortened) helps the reader.
  void Reject(size_t line, const std::string& reason, std::string_view detail = {});
  // An entry left out on purpose (freetext.h): counted under `reason` and
  // listed in stats.notes, not in problems.
  void Note(size_t line, const std::string& reason, std::string_view detail = {});
  // Adds ind (source filled in); counts it as loaded or as a duplicate. A
  // catch-all CIDR (IsBroadRange) is rejected unless broad ranges are allowed.
  void Add(Indicator ind, size_t line);
  void set_allow_broad_ranges(bool allow) { allow_broad_ranges_ = allow; }
  const std::string& display() const { return display_; }
  void AddTrusted(std::string hex_lower, size_t line);
  std::string Where(size_t line) const;

 private:
  IndicatorSet& set_;
  LoadStats& stats_;
  std::string display_;
  std::string source_;
  bool allow_broad_ranges_ = false;
};

// Why a CIDR indicator is refused as a catch-all range ("" if it is not one).
std::string BroadRangeReason(const Indicator& ind);

// Per-format line parsers (signature-base and plain lists).
void LoadSigBaseHash(std::string_view text, bool trusted, Sink& sink);
// LoadSigBaseHash in pieces, for files read a chunk at a time (a list of
// millions of hashes is never held whole): Feed whole lines, in order; the
// last piece may end without a newline. The same entries, line numbers,
// descriptions and problems as one LoadSigBaseHash over the whole text.
class HashLines {
 public:
  HashLines(bool trusted, Sink& sink);
  void Feed(std::string_view whole_lines);

 private:
  bool trusted_;
  Sink& sink_;
  size_t line_no_ = 0;
  std::string comment_;
};
void LoadSigBaseFilename(std::string_view text, Sink& sink);
void LoadSigBaseC2(std::string_view text, Sink& sink);
void LoadSigBaseKeyword(std::string_view text, Sink& sink);
void LoadPlain(std::string_view text, Sink& sink);      // a list, or free text (freetext.h)
void LoadPlainList(std::string_view text, Sink& sink);  // one VALUE[;SCORE] a line
void LoadCsv(std::string_view text, Sink& sink);
void LoadSigBaseVersion(std::string_view text, Sink& sink);

}  // namespace trawl::ioc::internal

namespace trawl::ioc {
// LoadText without recording the stats in set.stats(): problems name
// `display_name`, indicators get `indicator_source` (or "display_name:LINE" if empty).
LoadStats LoadTextAs(std::string_view text, Format format, const std::string& display_name,
                     const std::string& indicator_source, IndicatorSet& set);
}  // namespace trawl::ioc

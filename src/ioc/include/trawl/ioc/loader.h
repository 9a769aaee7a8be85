// Loaders for the indicator formats the community publishes.
//
// Every loader reports each skipped line with file:line and a reason, and
// counts what it loaded per kind. A file that cannot be opened at all is an
// error (the scan must not start); a bad line is not.
//
// Formats:
//  - signature-base / LOKI: chosen by file name (contains "hash", "filename",
//    "c2", "keyword"; "falsepositive"/"trusted" hash files suppress).
//      HASH;DESCRIPTION  HASH;SCORE;DESCRIPTION  (type from length, score 100)
//      REGEX;SCORE[;FP_REGEX]
//      SERVER[;SCORE]
//      KEYWORD
//    A "# comment" line right before entries is their description. No state
//    but that description carries between lines; "\r\n" is stripped; ';' is
//    allowed in descriptions.
//  - plain lists: one indicator a line, kind detected, defanged forms refanged.
//  - CSV with a header (a value column and optional type/description/score columns).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::ioc {

enum class Format { kAuto, kSigBaseHash, kSigBaseFilename, kSigBaseC2, kSigBaseKeyword,
                    kSigBaseTrustedHash, kPlain, kCsv };

// The format a file name implies (signature-base conventions, .csv, else plain).
Format DetectFormat(const std::filesystem::path& file);

// Parses `text` as if read from `source_name` (used in "source" and problems).
// Appends to `set`; returns the stats of this load (also appended to set.stats()).
LoadStats LoadText(std::string_view text, Format format, const std::string& source_name,
                   IndicatorSet& set);

// Reads and loads one file. Error only if the file cannot be read.
Result<LoadStats> LoadFile(const std::filesystem::path& file, Format format, IndicatorSet& set);

// Loads every indicator file in a folder (not recursive into yara/). For a
// signature-base root (with iocs/), loads iocs/. Files named README*, LICENSE*
// and rule files (.yar, .yara) are not indicator files.
Result<std::vector<LoadStats>> LoadDirectory(const std::filesystem::path& dir, IndicatorSet& set);

// The built-in 3CX pack (compiled in). Sources read "builtin:3cx".
LoadStats LoadBuiltin3cx(IndicatorSet& set);

// Undoes common defanging: [.] (.) [dot] hxxp hxxps [:] [://] and friends.
std::string Refang(std::string_view s);

// Detects the kind of a refanged plain-list value; false if none fits.
// Fills `out.kind` and the normalised `out.value`.
bool DetectKind(std::string_view value, Indicator& out);

}  // namespace trawl::ioc

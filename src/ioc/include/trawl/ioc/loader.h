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
//    A "# comment" line right before entries is their description: the last
//    non-empty comment line describes every entry after it until the next
//    comment (a hash line's own description wins). No state but that
//    description carries between lines; "\r\n" is stripped; ';' is allowed
//    in descriptions. Hash: the 2nd field is a score only if a 3rd follows
//    and it is an integer 0..100 (all digits but out of range: "bad score",
//    the line is rejected), else all after the first ';' is the
//    description. Filename: the regex is verbatim (trailing blanks dropped)
//    up to the first ";N" followed by ';' or the end; N must be 0..100; an
//    empty FP regex means none; regexes are not compiled here (the matcher
//    does, and reports). C2: like plain lists below, default score 100 (LOKI
//    ignores the score; THOR Lite reads it), network kinds only. Keyword:
//    the line verbatim (literal, case-sensitive).
//  - affected versions (trawl's own, signature-base style; file name contains
//    "version", e.g. version-iocs.txt; a file named just "VERSION" is a pack's
//    date stamp, not indicators):
//      PRODUCT;PLATFORM;VERSION[,VERSION...][;SCORE[;DESCRIPTION]]
//    PRODUCT is the product's name as installers write it ("3CX Desktop
//    App"; inventory compares names case-insensitively, ignoring blanks and
//    punctuation); PLATFORM is windows, macos, linux or any (also win, mac,
//    osx, darwin, *; any case); each VERSION is dotted text of letters,
//    digits and "._+-" (one indicator per version); SCORE 0..100 (default
//    100); DESCRIPTION is the rest (';' allowed), else the comment above.
//  - plain lists: one indicator a line, "VALUE[;SCORE]" (the text after the
//    last ';' is a score only if it is all digits, then it must be 0..100;
//    otherwise the whole line is the value, so URLs may hold ';'). Kind
//    detected (DetectKind) after refanging; blank lines and "# comments"
//    (which describe the entries after them, as above) are skipped.
//  - free text (format kPlain too): a plain file that is not such a list
//    (IsIndicatorList), and every .html/.htm/.eml/.md file, is read by the
//    free-text reader (freetext.h): every indicator anywhere in the text;
//    what it leaves on purpose goes to LoadStats::notes.
//  - every format: a catch-all CIDR (IPv4 shorter than /8, IPv6 shorter
//    than /16) is rejected unless LoadOptions::allow_broad_ranges.
//  - CSV with a header (RFC 4180 quoting). Value column: value, indicator,
//    ioc, indicator_value, ioc_value, observable, observable_value, data (or
//    the only column); optional type (entity_type, type, indicator_type,
//    ioc_type, kind, observable_type), description (description, comment,
//    desc, context, info, notes, name) and score columns. A value cell that
//    is a comma-separated list of indicators yields each. A row whose type
//    trawl cannot match (e.g. "emailwhois") is skipped, reason "unsupported type".
//
// Every line whose text is not clean (NUL byte, other control characters,
// invalid UTF-8) is rejected with that reason. Duplicates are counted as
// skipped["duplicate"], not as problems. Hashes of the empty file and of a
// lone newline are rejected (they would match countless innocent files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::ioc {

enum class Format {
  kAuto,
  kSigBaseHash,
  kSigBaseFilename,
  kSigBaseC2,
  kSigBaseKeyword,
  kSigBaseTrustedHash,
  kPlain,
  kCsv,
  kVersion,  // affected product versions (see above)
  kStix,     // STIX 2.1 JSON (interchange.h)
  kMisp,     // MISP event JSON (interchange.h)
  kJson,     // STIX or MISP, decided by the content (DetectJsonFormat)
};

// Options for the interchange loaders (STIX, MISP); the other formats ignore them.
struct LoadOptions {
  // MISP: also load attributes without the to_ids flag (default score 50).
  bool all_attributes = false;
  // STIX: "now" for valid_until, in Unix seconds; 0 = the current time.
  std::int64_t now = 0;
  // Load catch-all CIDR ranges (IPv4 shorter than /8, IPv6 shorter than /16,
  // so 0.0.0.0/0 and ::/0): without it they are rejected as problems, since
  // they would flag every address (`--allow-broad-ranges`).
  bool allow_broad_ranges = false;
};

// The format a file name implies: ".csv" -> kCsv; else by the lower-cased
// name containing "hash" (with "falsepositive" or "trusted": trusted hashes),
// "filename", "c2", "keyword", "version" (but not the name "version" alone),
// in that order; else kPlain.
// A ".json" name gives kJson (before any other test).
Format DetectFormat(const std::filesystem::path& file);

// "auto", "hash", "trusted-hash", "filename", "c2", "keyword", "plain", "csv", "version",
// "stix", "misp", "json".
const char* FormatName(Format format);
// Inverse of FormatName; false for an unknown name.
bool ParseFormat(std::string_view name, Format& out);

// False for names LoadDirectory leaves alone: hidden files, editor backups
// (~), README*, LICENSE*/LICENCE*, COPYING*, a pack's "VERSION" stamp, and rule or document files
// (.yar .yara .yml .yaml .md), which other loaders read. ".json" files are
// indicator files (STIX or MISP).
bool IsIndicatorFileName(std::string_view file_name);

// Parses `text` as if read from `source_name` (used in "source" and problems).
// Appends to `set`; returns the stats of this load (also appended to set.stats()).
LoadStats LoadText(std::string_view text, Format format, const std::string& source_name,
                   IndicatorSet& set);
LoadStats LoadText(std::string_view text, Format format, const std::string& source_name,
                   IndicatorSet& set, const LoadOptions& options);

// Reads and loads one file (kAuto: DetectFormat). Error only if the file
// cannot be read: missing, unreadable, not a regular file (never blocks on a
// FIFO), or larger than 1 GiB. Opens with O_NOATIME where permitted.
Result<LoadStats> LoadFile(const std::filesystem::path& file, Format format, IndicatorSet& set);
Result<LoadStats> LoadFile(const std::filesystem::path& file, Format format, IndicatorSet& set,
                           const LoadOptions& options);

// Loads every indicator file in a folder (not recursive into yara/). For a
// signature-base root (with iocs/), loads iocs/. Files named README*, LICENSE*
// and rule files (.yar, .yara) are not indicator files (IsIndicatorFileName).
// Regular files only, in name order, format by DetectFormat. Error if the
// folder cannot be listed or one of its indicator files cannot be read.
Result<std::vector<LoadStats>> LoadDirectory(const std::filesystem::path& dir, IndicatorSet& set);
Result<std::vector<LoadStats>> LoadDirectory(const std::filesystem::path& dir, IndicatorSet& set,
                                             const LoadOptions& options);

inline constexpr char kBuiltin3cxSource[] = "builtin:3cx";

// The built-in 3CX pack (compiled in from packs/3cx/). Indicator sources read
// "builtin:3cx"; problems (there should be none) "builtin:3cx/FILE:LINE".
// Returns one combined LoadStats (name "builtin:3cx", version = pack date),
// also appended to set.stats().
LoadStats LoadBuiltin3cx(IndicatorSet& set);

// The pack's files as embedded (signature-base format), e.g. for `iocs export`.
struct PackFile {
  std::string_view name;  // "hash-iocs.txt", "c2-iocs.txt", "filename-iocs.txt"
  std::string_view text;  // static storage
};
std::vector<PackFile> Builtin3cxFiles();

// Undoes common defanging, case-insensitively: [.] (.) {.} [dot] (dot) {dot}
// -> "."; [:] (:) -> ":"; [://] [:/] -> "://"; [/] -> "/"; [@] (@) [at] (at)
// {at} -> "@"; and the schemes hxxp hxxps hxtp hxtps hxxxp hxxxps fxp when
// "://" follows (at the start or after a non-alphanumeric character). The
// table is inet.h's (RefangText); free text adds a few forms there.
std::string Refang(std::string_view s);

// Detects the kind of a refanged plain-list value; false if none fits.
// Fills `out.kind` and the normalised `out.value`. Leading/trailing blanks ignored.
//  - md5/sha1/sha256: 32/40/64 hex digits -> lower case.
//  - url: SCHEME://HOST[:PORT][/...] with HOST a domain, IPv4 or [IPv6];
//    scheme and host lower-cased, IPs canonical, path kept as is. DOMAIN/PATH
//    without a scheme ("github.com/OWNER/REPO") is "https://DOMAIN/PATH".
//  - cidr: IPv4/0-32 or IPv6/0-128 -> canonical network address (host bits cleared).
//  - ipv4: dotted quad (inet_pton: no leading zeros); ipv6: RFC 5952 text
//    (inet_ntop), optionally written in [brackets].
//  - domain: labels of letters, digits, '-' (and '_'), at least two labels,
//    a TLD of letters or "xn--..."; lower-cased, trailing root dot removed.
//    Kept as given (a domain indicator matches itself and its subdomains).
bool DetectKind(std::string_view value, Indicator& out);

}  // namespace trawl::ioc

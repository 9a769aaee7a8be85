// The indicator model: one record type for every kind of indicator, and the
// immutable set a scan shares between its workers.
//
// Loaders (loader.h) build an IndicatorSet; matchers read it. An IndicatorSet
// is built once and then only read, from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "trawl/core/problem.h"

namespace trawl::ioc {

enum class Kind {
  kMd5,
  kSha1,
  kSha256,
  kFilename,  // a regex over the full path (LOKI semantics)
  kDomain,
  kIpv4,
  kIpv6,
  kCidr,  // v4 or v6, "10.0.0.0/8"
  kUrl,
  kKeyword,  // a literal, case-sensitive
  // An affected version of an installed product: `value` is the version,
  // `product` and `platform` say of what (see loader.h, version-iocs.txt).
  kVersion,
  kYara,  // a YARA rule's source text (MISP `yara` attributes, STIX pattern_type yara)
};

// "md5", "sha1", "sha256", "filename", "domain", "ipv4", "ipv6", "cidr", "url", "keyword",
// "version", "yara".
const char* KindName(Kind kind);
// The reason kind a finding reports: "hash", "filename", "c2", "keyword", "version",
// "yara".
const char* ReasonKind(Kind kind);
bool IsHashKind(Kind kind);
bool IsNetworkKind(Kind kind);  // domain, ipv4, ipv6, cidr, url

struct Indicator {
  Kind kind = Kind::kKeyword;
  // Normalised value: hashes lower-case hex; domains lower-case, no trailing
  // dot; IPs canonical text; URLs refanged; regexes and keywords verbatim.
  std::string value;
  std::string fp_regex;  // filename indicators only: a match here cancels the hit
  // Version indicators only: the product as written (e.g. "3CX Desktop App")
  // and the platform: "windows", "macos", "linux" or "any".
  std::string product;
  std::string platform;
  int score = 100;
  std::string description;
  std::string source;  // "path/to/file:LINE" or "builtin:3cx"
  // Hash indicators only: the file's base name must also equal this (exactly,
  // case-sensitive) for the hash to count; empty = the hash alone suffices.
  // From STIX patterns such as [file:name = 'a.dll' AND file:hashes.MD5 = '...'].
  std::string and_filename;
};

// A problem met while loading (an entry skipped): the one core type, so the
// loaders' problems go to the sinks as they are. Loaders fill `where` and
// `message`; `set` is filled by whoever knows the set (the app).
using Problem = trawl::Problem;

// Counts and problems from loading, per file, for the summary and `iocs check`.

struct LoadStats {
  std::string name;     // file or set name
  std::string version;  // where known
  // KindName -> count; trusted (suppressing) hashes count as "trusted_hash".
  std::map<std::string, std::uint64_t> loaded;
  std::map<std::string, std::uint64_t> skipped;  // reason -> count
  // One per rejected entry. Duplicates are only counted (skipped["duplicate"]):
  // a repeated line is not an error.
  std::vector<Problem> problems;
  // Entries left out on purpose, not errors: in a free-text file (freetext.h),
  // the references of a text that defangs its indicators ("not taken: not
  // defanged, likely a reference"), file names, version numbers, e-mail
  // addresses. Each is also counted in `skipped` under its reason. `iocs check`
  // lists them but still exits 0 when nothing else was rejected.
  std::vector<Problem> notes;

  // Adds the other's counts, problems and notes; takes its name/version if ours are empty.
  void Merge(const LoadStats& other);
};

class IndicatorSet {
 public:
  // Adds an indicator. Duplicates (same kind and value; for filename regexes
  // also the same FP regex; for versions also the same product, compared
  // case-insensitively, and platform; for hashes also the same and_filename) are kept once: the
  // first keeps its place (and its score and description), later ones are counted as duplicates by
  // the loader. Returns false for a duplicate.
  bool Add(Indicator ind);
  // A trusted (known-good / false-positive) hash: suppresses findings for files with it.
  void AddTrustedHash(std::string hex_lower);

  const std::vector<Indicator>& all() const { return all_; }
  std::vector<const Indicator*> OfKind(Kind kind) const;
  // Exact hash lookup; hex must be lower-case. nullptr if absent. Finds only
  // the unconditional indicator (empty and_filename); see FindHashes.
  const Indicator* FindHash(Kind kind, std::string_view hex) const;
  // Every indicator with this hash: the unconditional one (if any) first,
  // then those with an and_filename condition (the caller checks the name).
  std::vector<const Indicator*> FindHashes(Kind kind, std::string_view hex) const;
  bool IsTrustedHash(std::string_view hex) const;
  bool Has(Kind kind) const;
  // Number of indicators of one kind (per-kind count, O(log kinds)).
  size_t CountOf(Kind kind) const;
  size_t trusted_count() const { return trusted_.size(); }
  const std::unordered_set<std::string>& trusted() const { return trusted_; }
  size_t size() const { return all_.size(); }

  // Stats of every load that fed this set, in load order.
  std::vector<LoadStats>& stats() { return stats_; }
  const std::vector<LoadStats>& stats() const { return stats_; }

 private:
  std::vector<Indicator> all_;
  std::unordered_map<std::string, size_t> index_;  // KindName + ':' + value -> position
  std::unordered_set<std::string> trusted_;
  // KindName + ':' + hash -> positions of hash indicators with an and_filename.
  std::unordered_map<std::string, std::vector<size_t>> conditional_;
  std::map<Kind, size_t> per_kind_;
  std::vector<LoadStats> stats_;
};

}  // namespace trawl::ioc

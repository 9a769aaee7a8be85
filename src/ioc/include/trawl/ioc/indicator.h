// The indicator model: one record type for every kind of indicator, and the
// immutable set a scan shares between its workers.
//
// Loaders (loader.h) build an IndicatorSet; matchers read it. An IndicatorSet
// is built once and then only read, from any thread.
#pragma once

#include <cstddef>
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

// A hash indicator found by IndicatorSet::FindHash: the indicator copied out
// of the compact store, used like a pointer (null when nothing matched).
class IndicatorRef {
 public:
  IndicatorRef() = default;
  explicit IndicatorRef(Indicator ind) : ind_(std::move(ind)), found_(true) {}
  explicit operator bool() const { return found_; }
  const Indicator* operator->() const { return found_ ? &ind_ : nullptr; }
  const Indicator& operator*() const { return ind_; }
  friend bool operator==(const IndicatorRef& r, std::nullptr_t) { return !r.found_; }

 private:
  Indicator ind_;
  bool found_ = false;
};

// Hash digests of one width (MD5 16 bytes, SHA-1 20, SHA-256 32) in flat,
// chunked arrays, with an open-addressing index of 32-bit entry numbers: per
// entry the digest, 16 bytes of metadata and ~8 bytes of index, no node or
// string per hash (10 million hashes cost about their raw text size).
class DigestTable {
 public:
  explicit DigestTable(std::size_t width = 16) : width_(width) {}
  std::size_t width() const { return width_; }
  std::size_t size() const { return size_; }
  // The entry of `digest` (width() bytes), or -1.
  std::int64_t Find(const std::uint8_t* digest) const;
  // Appends `digest` unless present; returns its entry and whether it was new.
  std::pair<std::size_t, bool> Insert(const std::uint8_t* digest);
  const std::uint8_t* digest(std::size_t entry) const {
    return chunks_[entry >> kChunkShift].data() + (entry & kChunkMask) * width_;
  }
  // Index probes made by Insert so far: a test counts work with it.
  std::uint64_t probes() const { return probes_; }

 private:
  static constexpr std::size_t kChunkShift = 16;  // 65,536 digests a chunk
  static constexpr std::size_t kChunkMask = (std::size_t{1} << kChunkShift) - 1;
  std::uint64_t HashOf(const std::uint8_t* d) const;
  std::int64_t Probe(const std::uint8_t* d, std::uint64_t& probes) const;
  void Grow();
  std::size_t width_;
  std::size_t size_ = 0;
  std::vector<std::vector<std::uint8_t>> chunks_;
  std::vector<std::uint32_t> slots_;  // entry + 1; 0 = empty; size a power of two
  std::uint64_t seed_ = 0;
  std::uint64_t probes_ = 0;  // counted by Insert only (Find is const and shared)
};

class IndicatorSet {
 public:
  IndicatorSet();
  // Adds an indicator. Duplicates (same kind and value; for filename regexes
  // also the same FP regex; for versions also the same product, compared
  // case-insensitively, and platform; for hashes also the same and_filename) are kept once: the
  // first keeps its place (and its score and description), later ones are counted as duplicates by
  // the loader. Returns false for a duplicate.
  bool Add(Indicator ind);
  // The same with ind.source = `file` + ":" + `line`, which a hash in the
  // compact store keeps as a file number and a line (no string per hash).
  bool AddAt(Indicator ind, const std::string& file, std::size_t line);
  // A trusted (known-good / false-positive) hash: suppresses findings for files
  // with it. `hex_lower`: 32, 40 or 64 lower-case hex digits. False when it is
  // already trusted or not such a digest (nothing is added).
  bool AddTrustedHash(std::string_view hex_lower);

  // Every indicator except the hash indicators without an and_filename
  // condition (those live in the compact hash store), in load order. Matchers
  // hold pointers into it: valid while nothing is added.
  const std::vector<Indicator>& records() const { return all_; }
  // Every indicator in load order, the hashes copied out of their store:
  // O(size()) time and memory, for listing and export, never for a scan.
  std::vector<Indicator> Materialize() const;
  // The records of one kind (see records(): for a hash kind, only those with
  // an and_filename condition; use FindHashes or CountOf for the others).
  std::vector<const Indicator*> OfKind(Kind kind) const;
  // Exact hash lookup; hex must be lower-case. Null if absent. Finds only
  // the unconditional indicator (empty and_filename); see FindHashes.
  IndicatorRef FindHash(Kind kind, std::string_view hex) const;
  // Every indicator with this hash: the unconditional one (if any) first,
  // then those with an and_filename condition (the caller checks the name).
  std::vector<Indicator> FindHashes(Kind kind, std::string_view hex) const;
  bool IsTrustedHash(std::string_view hex) const;
  bool Has(Kind kind) const;
  // Number of indicators of one kind (per-kind count, O(log kinds)).
  size_t CountOf(Kind kind) const;
  size_t trusted_count() const;
  // The trusted hashes, sorted.
  std::vector<std::string> TrustedHashes() const;
  // Every indicator, hashes included.
  size_t size() const { return all_.size() + hash_count_; }

  // Stats of every load that fed this set, in load order.
  std::vector<LoadStats>& stats() { return stats_; }
  const std::vector<LoadStats>& stats() const { return stats_; }

  // Work counters for tests (never timings): index probes while adding hashes.
  std::uint64_t hash_probes() const;

 private:
  // What an unconditional hash indicator keeps besides its digest.
  struct HashMeta {
    std::uint32_t description;  // into descriptions_
    std::uint32_t source;       // into strings_: the file, or the whole source when line is 0
    std::uint32_t line;
    std::int32_t score;
  };
  struct HashStore {
    DigestTable table;
    std::vector<std::vector<HashMeta>> meta;  // chunked like the digests
  };
  // A run of additions to one place, to replay load order in Materialize.
  struct Run {
    std::uint8_t where;  // 0: records, 1 + store index
    std::size_t count;
  };
  bool AddHash(int store, const std::uint8_t* digest, Indicator& ind, const std::string* file,
               std::size_t line);
  std::uint32_t Intern(std::string_view s);
  std::uint32_t Description(std::string_view s);
  std::string_view String(std::uint32_t id) const;
  Indicator HashIndicator(std::size_t store, std::size_t entry) const;
  void Note(std::uint8_t where);
  bool AddRecord(Indicator ind);
  std::int64_t FindRecord(const Indicator& ind, std::uint64_t hash) const;
  void IndexRecord(std::size_t pos, std::uint64_t hash);

  std::vector<Indicator> all_;
  // Records' identity (see Add) -> position + 1, open addressing.
  std::vector<std::uint32_t> record_slots_;
  HashStore hashes_[3];     // md5, sha1, sha256
  DigestTable trusted_[3];  // by width
  std::size_t hash_count_ = 0;
  // Strings of the hash store: one arena (chunked), ids are offsets.
  std::vector<std::string> arena_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> string_at_;  // id -> (chunk, offset)
  std::vector<std::uint32_t> string_len_;
  std::unordered_map<std::string, std::uint32_t> interned_;  // sources (files)
  std::string last_file_;  // Intern's cache: hash lists add thousands from one file
  std::uint32_t last_file_id_ = 0;
  std::uint32_t last_description_ = 0;
  bool have_last_description_ = false;
  // KindName + ':' + hash -> positions (in all_) of hash indicators with an and_filename.
  std::unordered_map<std::string, std::vector<size_t>> conditional_;
  std::map<Kind, size_t> per_kind_;
  std::vector<Run> runs_;
  std::vector<LoadStats> stats_;
};

}  // namespace trawl::ioc

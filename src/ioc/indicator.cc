#include "trawl/ioc/indicator.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace trawl::ioc {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kMd5:
      return "md5";
    case Kind::kSha1:
      return "sha1";
    case Kind::kSha256:
      return "sha256";
    case Kind::kFilename:
      return "filename";
    case Kind::kDomain:
      return "domain";
    case Kind::kIpv4:
      return "ipv4";
    case Kind::kIpv6:
      return "ipv6";
    case Kind::kCidr:
      return "cidr";
    case Kind::kUrl:
      return "url";
    case Kind::kKeyword:
      return "keyword";
    case Kind::kVersion:
      return "version";
    case Kind::kYara:
      return "yara";
  }
  return "unknown";
}

const char* ReasonKind(Kind kind) {
  if (IsHashKind(kind)) return "hash";
  if (IsNetworkKind(kind)) return "c2";
  if (kind == Kind::kFilename) return "filename";
  if (kind == Kind::kVersion) return "version";
  if (kind == Kind::kYara) return "yara";
  return "keyword";
}

bool IsHashKind(Kind kind) {
  return kind == Kind::kMd5 || kind == Kind::kSha1 || kind == Kind::kSha256;
}

bool IsNetworkKind(Kind kind) {
  return kind == Kind::kDomain || kind == Kind::kIpv4 || kind == Kind::kIpv6 ||
         kind == Kind::kCidr || kind == Kind::kUrl;
}

void LoadStats::Merge(const LoadStats& other) {
  if (name.empty()) name = other.name;
  if (version.empty()) version = other.version;
  for (const auto& [k, n] : other.loaded) loaded[k] += n;
  for (const auto& [k, n] : other.skipped) skipped[k] += n;
  problems.insert(problems.end(), other.problems.begin(), other.problems.end());
  notes.insert(notes.end(), other.notes.begin(), other.notes.end());
}

namespace {

// Filename indicators with different false-positive regexes match differently,
// so the FP regex is part of their identity; a version is one of a product on
// a platform.
std::string IndexKey(Kind kind, std::string_view value, std::string_view fp_regex,
                     std::string_view product = {}, std::string_view platform = {}) {
  std::string key = KindName(kind);
  key += ':';
  key += value;
  if (kind == Kind::kFilename && !fp_regex.empty()) {
    key += '\0';
    key += fp_regex;
  }
  if (kind == Kind::kVersion) {
    key += '\0';
    for (char c : product) key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    key += '\0';
    key += platform;
  }
  return key;
}

std::uint64_t MixBits(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The identity of a record, as IndexKey spells it, hashed without building
// the key: kind, value, the FP regex of filename indicators, product
// (caseless) and platform of versions, and_filename of hashes.
std::uint64_t IdentityHash(const Indicator& ind) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ static_cast<std::uint64_t>(ind.kind);
  auto add = [&h](std::string_view s, bool caseless) {
    for (char c : s)
      h = (h ^ static_cast<unsigned char>(caseless ? LowerAscii(c) : c)) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;  // a separator byte no text holds
  };
  add(ind.value, false);
  if (ind.kind == Kind::kFilename) add(ind.fp_regex, false);
  if (ind.kind == Kind::kVersion) {
    add(ind.product, true);
    add(ind.platform, false);
  }
  add(ind.and_filename, false);
  // Seeded per process: a hostile list cannot aim its values at one probe chain.
  static const std::uint64_t seed =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
  return MixBits(h ^ seed);
}

bool CaselessEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  return true;
}

bool SameIdentity(const Indicator& a, const Indicator& b) {
  if (a.kind != b.kind || a.value != b.value || a.and_filename != b.and_filename) return false;
  if (a.kind == Kind::kFilename && a.fp_regex != b.fp_regex) return false;
  if (a.kind == Kind::kVersion &&
      (!CaselessEqual(a.product, b.product) || a.platform != b.platform))
    return false;
  return true;
}

}  // namespace

namespace {

int StoreOf(Kind kind) {
  switch (kind) {
    case Kind::kMd5:
      return 0;
    case Kind::kSha1:
      return 1;
    case Kind::kSha256:
      return 2;
    default:
      return -1;
  }
}
constexpr Kind kStoreKinds[3] = {Kind::kMd5, Kind::kSha1, Kind::kSha256};
constexpr std::size_t kWidths[3] = {16, 20, 32};

int LowerHexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Lower-case hex of exactly 2 * width digits into `out`.
bool ParseDigest(std::string_view hex, std::size_t width, std::uint8_t* out) {
  if (hex.size() != 2 * width) return false;
  for (std::size_t i = 0; i < width; ++i) {
    int hi = LowerHexVal(hex[2 * i]), lo = LowerHexVal(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string HexOf(const std::uint8_t* d, std::size_t width) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(2 * width, '0');
  for (std::size_t i = 0; i < width; ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

int StoreOfWidth(std::size_t hex_len) {
  for (int i = 0; i < 3; ++i)
    if (hex_len == 2 * kWidths[i]) return i;
  return -1;
}

constexpr std::size_t kArenaChunk = std::size_t{1} << 20;

}  // namespace

// ---- DigestTable ----

std::uint64_t DigestTable::HashOf(const std::uint8_t* d) const {
  // Every byte counts, seeded per table: a hostile list of digests sharing a
  // prefix cannot pile up in one probe chain.
  std::uint64_t h = seed_;
  std::size_t i = 0;
  for (; i + 8 <= width_; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, d + i, 8);
    h = MixBits(h ^ w);
  }
  if (i < width_) {
    std::uint64_t w = 0;
    std::memcpy(&w, d + i, width_ - i);
    h = MixBits(h ^ w);
  }
  return h;
}

void DigestTable::Grow() {
  std::size_t cap = slots_.empty() ? 1024 : slots_.size() * 2;
  if (seed_ == 0) seed_ = MixBits(reinterpret_cast<std::uintptr_t>(this) ^ 0x9E3779B97F4A7C15ull) | 1;
  std::vector<std::uint32_t> slots(cap, 0);
  std::size_t mask = cap - 1;
  for (std::size_t e = 0; e < size_; ++e) {
    std::size_t i = HashOf(digest(e)) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = static_cast<std::uint32_t>(e + 1);
  }
  slots_.swap(slots);
}

std::int64_t DigestTable::Find(const std::uint8_t* d) const {
  std::uint64_t unused = 0;
  return Probe(d, unused);
}

std::int64_t DigestTable::Probe(const std::uint8_t* d, std::uint64_t& probes) const {
  if (size_ == 0) return -1;
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = HashOf(d) & mask;; i = (i + 1) & mask) {
    ++probes;
    std::uint32_t s = slots_[i];
    if (s == 0) return -1;
    if (std::memcmp(digest(s - 1), d, width_) == 0) return s - 1;
  }
}

std::pair<std::size_t, bool> DigestTable::Insert(const std::uint8_t* d) {
  if (std::int64_t e = Probe(d, probes_); e >= 0) return {static_cast<std::size_t>(e), false};
  // Entries are 32-bit; a 1 GiB file cannot hold 4 billion digests anyway.
  if (size_ >= 0xFFFFFFFEu) return {0, false};
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  std::size_t entry = size_++;
  if ((entry >> kChunkShift) >= chunks_.size()) {
    chunks_.emplace_back();
    chunks_.back().reserve((kChunkMask + 1) * width_);
  }
  std::vector<std::uint8_t>& chunk = chunks_[entry >> kChunkShift];
  chunk.insert(chunk.end(), d, d + width_);
  std::size_t mask = slots_.size() - 1;
  std::size_t i = HashOf(d) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask, ++probes_;
  slots_[i] = static_cast<std::uint32_t>(entry + 1);
  return {entry, true};
}

// ---- IndicatorSet ----

IndicatorSet::IndicatorSet()
    : hashes_{{DigestTable(16), {}}, {DigestTable(20), {}}, {DigestTable(32), {}}},
      trusted_{DigestTable(16), DigestTable(20), DigestTable(32)} {}

std::uint32_t IndicatorSet::Intern(std::string_view s) {
  if (!interned_.empty() && s == last_file_) return last_file_id_;
  auto it = interned_.find(std::string(s));
  std::uint32_t id;
  if (it != interned_.end()) {
    id = it->second;
  } else {
    id = Description(s);
    have_last_description_ = false;  // an interned string is not the last description
    interned_.emplace(std::string(s), id);
  }
  last_file_ = s;
  last_file_id_ = id;
  return id;
}

// A string of the store; the same text as the last description shares its id
// (a "# comment" describes every hash after it).
std::uint32_t IndicatorSet::Description(std::string_view s) {
  if (have_last_description_ && String(last_description_) == s) return last_description_;
  if (arena_.empty() || arena_.back().size() + s.size() > arena_.back().capacity()) {
    arena_.emplace_back();
    arena_.back().reserve(std::max(kArenaChunk, s.size()));
  }
  std::string& chunk = arena_.back();
  string_at_.push_back(
      {static_cast<std::uint32_t>(arena_.size() - 1), static_cast<std::uint32_t>(chunk.size())});
  string_len_.push_back(static_cast<std::uint32_t>(s.size()));
  chunk.append(s);
  last_description_ = static_cast<std::uint32_t>(string_at_.size() - 1);
  have_last_description_ = true;
  return last_description_;
}

std::string_view IndicatorSet::String(std::uint32_t id) const {
  auto [chunk, off] = string_at_[id];
  return std::string_view(arena_[chunk]).substr(off, string_len_[id]);
}

void IndicatorSet::Note(std::uint8_t where) {
  if (!runs_.empty() && runs_.back().where == where)
    ++runs_.back().count;
  else
    runs_.push_back({where, 1});
}

bool IndicatorSet::AddHash(int store, const std::uint8_t* digest, Indicator& ind,
                           const std::string* file, std::size_t line) {
  HashStore& hs = hashes_[store];
  auto [entry, inserted] = hs.table.Insert(digest);
  if (!inserted) return false;  // a duplicate
  HashMeta m{};
  m.description = Description(ind.description);
  if (file && line > 0 && line <= 0xFFFFFFFFu) {
    m.source = Intern(*file);
    m.line = static_cast<std::uint32_t>(line);
  } else {
    if (file) ind.source = *file + ":" + std::to_string(line);
    m.source = Description(ind.source);
    m.line = 0;
  }
  m.score = ind.score;
  if ((entry >> 16) >= hs.meta.size()) {
    hs.meta.emplace_back();
    hs.meta.back().reserve(std::size_t{1} << 16);
  }
  hs.meta[entry >> 16].push_back(m);
  ++hash_count_;
  ++per_kind_[ind.kind];
  Note(static_cast<std::uint8_t>(1 + store));
  return true;
}

bool IndicatorSet::Add(Indicator ind) { return AddAt(std::move(ind), std::string(), 0); }

bool IndicatorSet::AddAt(Indicator ind, const std::string& file, std::size_t line) {
  bool has_file = !file.empty() || line > 0;
  // A hash bound to a file name is a different indicator from the bare hash.
  if (!IsHashKind(ind.kind)) ind.and_filename.clear();
  if (IsHashKind(ind.kind) && ind.and_filename.empty()) {
    // The compact store takes well-formed lower-case digests (what every
    // loader gives); anything else stays a record, found by FindHashes too.
    int store = StoreOf(ind.kind);
    std::uint8_t d[32];
    if (ParseDigest(ind.value, kWidths[store], d))
      return AddHash(store, d, ind, has_file ? &file : nullptr, line);
  }
  if (has_file) ind.source = file + ":" + std::to_string(line);
  return AddRecord(std::move(ind));
}

// Open addressing over positions in all_ (+1; 0 empty), load at most 1/2:
// no key string or node per record.
std::int64_t IndicatorSet::FindRecord(const Indicator& ind, std::uint64_t h) const {
  if (record_slots_.empty()) return -1;
  std::size_t mask = record_slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    std::uint32_t s = record_slots_[i];
    if (s == 0) return -1;
    if (SameIdentity(all_[s - 1], ind)) return s - 1;
  }
}

void IndicatorSet::IndexRecord(std::size_t pos, std::uint64_t h) {
  if ((all_.size() + 1) * 2 > record_slots_.size()) {
    std::vector<std::uint32_t> slots(record_slots_.empty() ? 1024 : record_slots_.size() * 2, 0);
    std::size_t mask = slots.size() - 1;
    for (std::size_t p = 0; p < all_.size(); ++p) {
      if (p == pos) continue;
      std::size_t i = IdentityHash(all_[p]) & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = static_cast<std::uint32_t>(p + 1);
    }
    record_slots_.swap(slots);
  }
  std::size_t mask = record_slots_.size() - 1;
  std::size_t i = h & mask;
  while (record_slots_[i] != 0) i = (i + 1) & mask;
  record_slots_[i] = static_cast<std::uint32_t>(pos + 1);
}

bool IndicatorSet::AddRecord(Indicator ind) {
  std::uint64_t h = IdentityHash(ind);
  if (FindRecord(ind, h) >= 0) return false;
  if (all_.size() >= 0xFFFFFFFEu) return false;
  if (!ind.and_filename.empty())
    conditional_[IndexKey(ind.kind, ind.value, {})].push_back(all_.size());
  ++per_kind_[ind.kind];
  all_.push_back(std::move(ind));
  IndexRecord(all_.size() - 1, h);
  Note(0);
  return true;
}

bool IndicatorSet::AddTrustedHash(std::string_view hex_lower) {
  int store = StoreOfWidth(hex_lower.size());
  std::uint8_t d[32];
  if (store < 0 || !ParseDigest(hex_lower, kWidths[store], d)) return false;
  return trusted_[store].Insert(d).second;
}

Indicator IndicatorSet::HashIndicator(std::size_t store, std::size_t entry) const {
  const HashStore& hs = hashes_[store];
  const HashMeta& m = hs.meta[entry >> 16][entry & 0xFFFF];
  Indicator ind;
  ind.kind = kStoreKinds[store];
  ind.value = HexOf(hs.table.digest(entry), hs.table.width());
  ind.score = m.score;
  ind.description = std::string(String(m.description));
  ind.source = std::string(String(m.source));
  if (m.line) ind.source += ":" + std::to_string(m.line);
  return ind;
}

std::vector<Indicator> IndicatorSet::Materialize() const {
  std::vector<Indicator> out;
  out.reserve(size());
  std::size_t next[4] = {0, 0, 0, 0};
  for (const Run& r : runs_) {
    for (std::size_t i = 0; i < r.count; ++i) {
      std::size_t n = next[r.where]++;
      out.push_back(r.where == 0 ? all_[n] : HashIndicator(r.where - 1, n));
    }
  }
  return out;
}

std::vector<const Indicator*> IndicatorSet::OfKind(Kind kind) const {
  std::vector<const Indicator*> out;
  if (per_kind_.find(kind) == per_kind_.end()) return out;
  for (const Indicator& ind : all_)
    if (ind.kind == kind) out.push_back(&ind);
  return out;
}

IndicatorRef IndicatorSet::FindHash(Kind kind, std::string_view hex) const {
  int store = StoreOf(kind);
  if (store < 0) return {};
  std::uint8_t d[32];
  if (ParseDigest(hex, kWidths[store], d)) {
    std::int64_t e = hashes_[store].table.Find(d);
    if (e >= 0) return IndicatorRef(HashIndicator(store, static_cast<std::size_t>(e)));
    return {};
  }
  // Not a well-formed digest: only a record can hold it.
  Indicator probe;
  probe.kind = kind;
  probe.value = std::string(hex);
  std::int64_t pos = FindRecord(probe, IdentityHash(probe));
  return pos < 0 ? IndicatorRef() : IndicatorRef(all_[static_cast<std::size_t>(pos)]);
}

std::vector<Indicator> IndicatorSet::FindHashes(Kind kind, std::string_view hex) const {
  std::vector<Indicator> out;
  if (!IsHashKind(kind)) return out;
  if (IndicatorRef r = FindHash(kind, hex)) out.push_back(*r);
  if (auto it = conditional_.find(IndexKey(kind, hex, {})); it != conditional_.end())
    for (size_t pos : it->second) out.push_back(all_[pos]);
  return out;
}

bool IndicatorSet::IsTrustedHash(std::string_view hex) const {
  int store = StoreOfWidth(hex.size());
  std::uint8_t d[32];
  if (store < 0 || !ParseDigest(hex, kWidths[store], d)) return false;
  return trusted_[store].Find(d) >= 0;
}

size_t IndicatorSet::trusted_count() const {
  return trusted_[0].size() + trusted_[1].size() + trusted_[2].size();
}

std::vector<std::string> IndicatorSet::TrustedHashes() const {
  std::vector<std::string> out;
  out.reserve(trusted_count());
  for (const DigestTable& t : trusted_)
    for (std::size_t e = 0; e < t.size(); ++e) out.push_back(HexOf(t.digest(e), t.width()));
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t IndicatorSet::hash_probes() const {
  std::uint64_t n = 0;
  for (const HashStore& h : hashes_) n += h.table.probes();
  for (const DigestTable& t : trusted_) n += t.probes();
  return n;
}

bool IndicatorSet::Has(Kind kind) const {
  auto it = per_kind_.find(kind);
  return it != per_kind_.end() && it->second > 0;
}

size_t IndicatorSet::CountOf(Kind kind) const {
  auto it = per_kind_.find(kind);
  return it == per_kind_.end() ? 0 : it->second;
}

}  // namespace trawl::ioc

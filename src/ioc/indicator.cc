#include "trawl/ioc/indicator.h"

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

}  // namespace

bool IndicatorSet::Add(Indicator ind) {
  std::string key = IndexKey(ind.kind, ind.value, ind.fp_regex, ind.product, ind.platform);
  // A hash bound to a file name is a different indicator from the bare hash.
  if (!IsHashKind(ind.kind)) ind.and_filename.clear();
  if (!ind.and_filename.empty()) key += '\1' + ind.and_filename;
  auto [it, inserted] = index_.emplace(std::move(key), all_.size());
  if (!inserted) return false;
  if (!ind.and_filename.empty())
    conditional_[IndexKey(ind.kind, ind.value, {})].push_back(all_.size());
  ++per_kind_[ind.kind];
  all_.push_back(std::move(ind));
  return true;
}

void IndicatorSet::AddTrustedHash(std::string hex_lower) { trusted_.insert(std::move(hex_lower)); }

std::vector<const Indicator*> IndicatorSet::OfKind(Kind kind) const {
  std::vector<const Indicator*> out;
  auto n = per_kind_.find(kind);
  if (n == per_kind_.end()) return out;
  out.reserve(n->second);
  for (const Indicator& ind : all_)
    if (ind.kind == kind) out.push_back(&ind);
  return out;
}

const Indicator* IndicatorSet::FindHash(Kind kind, std::string_view hex) const {
  if (!IsHashKind(kind)) return nullptr;
  auto it = index_.find(IndexKey(kind, hex, {}));
  return it == index_.end() ? nullptr : &all_[it->second];
}

std::vector<const Indicator*> IndicatorSet::FindHashes(Kind kind, std::string_view hex) const {
  std::vector<const Indicator*> out;
  if (!IsHashKind(kind)) return out;
  std::string key = IndexKey(kind, hex, {});
  if (auto it = index_.find(key); it != index_.end()) out.push_back(&all_[it->second]);
  if (auto it = conditional_.find(key); it != conditional_.end())
    for (size_t pos : it->second) out.push_back(&all_[pos]);
  return out;
}

bool IndicatorSet::IsTrustedHash(std::string_view hex) const {
  return trusted_.find(std::string(hex)) != trusted_.end();
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

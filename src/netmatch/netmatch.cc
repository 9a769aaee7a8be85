#include "trawl/netmatch/netmatch.h"

#include <hs.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "trawl/core/text.h"
#include "trawl/netmatch/addr.h"

namespace trawl::netmatch {
namespace {

struct HsDbFree {
  void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
};
using HsDb = std::unique_ptr<hs_database_t, HsDbFree>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchFree>;

struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <typename V>
using SvMap = std::unordered_map<std::string, V, SvHash, std::equal_to<>>;

enum class PatType : std::uint8_t {
  kLabel,    // caseless literal host label; len = label length
  kEscape,   // a percent escape of a host byte; len = 3
  kIpv4,     // ends at the last digit of an address
  kIpv4Rev,  // ends at the end of "in-addr.arpa"
  kIpv6,     // ends inside a v6 token
  kKeyword,  // literal; len = keyword length; ind = the indicator
};

struct Pattern {
  PatType type;
  std::uint32_t len = 0;
  const ioc::Indicator* ind = nullptr;
};

struct UrlEntry {
  std::string path;  // decoded; empty = host only
  bool caseless = false;
  const ioc::Indicator* ind = nullptr;
};

struct Cand {
  std::size_t end;
  std::uint32_t id;
};

// Address prefilters use plain dots only; one shared pattern finds every
// defanged or escaped dot between digits ("1[.]2", "1(dot)2", "1%2E2"), and the
// confirmer reads the whole token (addr.h). Keeping the per-address patterns
// free of alternations keeps the database quick to compile.
constexpr const char* kSep = R"(\.)";

std::string OctetRegex(int v) {
  if (v == 0) return "0{1,3}";
  std::string s = std::to_string(v);
  if (s.size() < 3) return "0{0," + std::to_string(3 - s.size()) + "}" + s;
  return s;
}

std::string EscapeLiteral(std::string_view lit) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : lit) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool ValidHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return h.find("..") == std::string_view::npos;
}

// The longest label, not counting the last (the TLD) unless it is the only one.
std::string_view PrefilterLabel(std::string_view host) {
  std::vector<std::string_view> labels = Split(host, '.');
  std::size_t n = labels.size() > 1 ? labels.size() - 1 : labels.size();
  std::string_view best;
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i].size() > best.size()) best = labels[i];
  return best;
}

std::string IpKey(const Ip& ip) {
  return std::string(reinterpret_cast<const char*>(ip.bytes.data()), ip.v6 ? 16 : 4);
}

std::string MaskedKey(const Ip& ip, int prefix) {
  Cidr c;
  c.net = ip;
  c.prefix = prefix;
  int n = ip.v6 ? 16 : 4;
  for (int i = 0; i < n; ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    c.net.bytes[i] &= keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return IpKey(c.net);
}

bool IsUrlStop(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

char LowerC(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsHexC(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool StartsWithNoCase(std::string_view s, std::size_t pos, std::string_view lower) {
  if (pos > s.size() || s.size() - pos < lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i)
    if (LowerC(s[pos + i]) != lower[i]) return false;
  return true;
}

// Where a URL path starts after a host ending at `p`: skips a root dot and
// ":port"; returns npos unless '/', "\/" or "%2F" follows.
std::size_t PathStart(std::string_view t, std::size_t p) {
  if (p < t.size() && t[p] == '.') ++p;
  if (p < t.size() && t[p] == ':') {
    std::size_t q = p + 1;
    while (q < t.size() && t[q] >= '0' && t[q] <= '9') ++q;
    if (q > p + 1) p = q;
  }
  if (p < t.size() && t[p] == '/') return p;
  if (p + 1 < t.size() && t[p] == '\\' && t[p + 1] == '/') return p;
  if (StartsWithNoCase(t, p, "%2f")) return p;
  return std::string_view::npos;
}

// Whether the (decoded) text path at `p` starts with `want`.
bool PathHasPrefix(std::string_view t, std::size_t p, std::string_view want, bool caseless) {
  std::size_t i = 0;
  while (i < want.size()) {
    if (p >= t.size() || IsUrlStop(static_cast<unsigned char>(t[p]))) return false;
    char c;
    if (t[p] == '%' && p + 2 < t.size() && IsHexC(t[p + 1]) && IsHexC(t[p + 2])) {
      auto hv = [](char h) { return h <= '9' ? h - '0' : (LowerC(h) - 'a' + 10); };
      c = static_cast<char>(hv(t[p + 1]) * 16 + hv(t[p + 2]));
      p += 3;
    } else if (t[p] == '\\' && p + 1 < t.size() && t[p + 1] == '/') {
      c = '/';
      p += 2;
    } else {
      c = t[p++];
    }
    char w = want[i++];
    if (caseless ? LowerC(c) != LowerC(w) : c != w) return false;
  }
  return true;
}

// Start of the URL whose host begins at `host_begin`: back over "scheme://"
// (or ":\/\/", or "%3A%2F%2F") when present.
std::size_t UrlStart(std::string_view t, std::size_t host_begin) {
  std::size_t p = host_begin;
  std::size_t sep = 0;
  for (std::string_view s :
       {std::string_view("://"), std::string_view(":\\/\\/"), std::string_view("%3a%2f%2f")}) {
    if (p >= s.size() && StartsWithNoCase(t, p - s.size(), s)) {
      sep = s.size();
      break;
    }
  }
  if (sep == 0) return host_begin;
  std::size_t q = p - sep;
  std::size_t b = q;
  while (b > 0 && b + 16 > q) {
    char c = t[b - 1];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha) break;
    --b;
  }
  return b < q ? b : host_begin;
}

std::size_t UrlEnd(std::string_view t, std::size_t from, std::size_t url_begin) {
  std::size_t e = from;
  while (e < t.size() && e - url_begin < 2048 && !IsUrlStop(static_cast<unsigned char>(t[e]))) ++e;
  return e;
}

// A defanged or escaped dot between digits: the bracket dots of ioc's refang
// table (inet.h) or "%2e".
std::string DefangedDigitDot() {
  std::string alt;
  for (const ioc::DefangForm& f : ioc::kBracketDots) alt += EscapeLiteral(f.from) + "|";
  return "[0-9](?:" + alt + "%2e)[0-9]";
}

}  // namespace

namespace {

// Past this many distinct host labels, addresses or shapes, per-indicator
// prefilter patterns stop paying: Vectorscan's compile time grows faster than
// linearly in the pattern count (100,000 caseless literals: ~8 s; 2,000
// zero-padded IPv4 regexes: ~1.4 s). Larger sets use the shared shapes below.
constexpr std::size_t kMaxLiteralLabels = 10000;
constexpr std::size_t kMaxExactIpv4 = 256;  // each is two regexes (forward, reverse DNS)
constexpr std::size_t kMaxExactCidr4 = 256;
constexpr std::size_t kMaxIpv6Literals = 1000;
// Every dotted quad (also the address part of an in-addr.arpa name), every
// v6-looking run: with many addresses, each candidate is confirmed by lookup.
constexpr const char* kGenericIpv4 = R"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})";

bool IsLabelByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// FNV-1a over the lower-cased bytes of a label.
struct LabelHash {
  std::uint64_t h = 0xcbf29ce484222325ull;
  void Add(unsigned char c) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    h = (h ^ c) * 0x100000001b3ull;
  }
};

// The prefilter of a large label set, instead of one literal per label: a
// Bloom filter (two bits per label out of 16) over the labels' hashes, and
// the lengths that occur. The text's maximal runs of label bytes
// ([A-Za-z0-9_-]) are looked up; a run that may be a label becomes a label
// candidate, confirmed by the host rules like any other. Sound because an
// indicator's prefilter label appears in a matching host as a whole label, so
// in the text as a whole run (dot units and bracket forms are never label
// bytes) or, right after a '%', as the run without its first two (hex)
// bytes; a label that is itself written with escapes is caught by the shared
// escape pattern in either mode. The fuzz target netmatch_fuzz checks both
// engines give the same hits.
class LabelFilter {
 public:
  void Build(const std::vector<std::string>& labels) {
    std::size_t bits = 1024;
    while (bits < labels.size() * 16) bits <<= 1;
    bits_.assign(bits / 64, 0);
    mask_ = bits - 1;
    for (const std::string& l : labels) {
      LabelHash lh;
      for (unsigned char c : l) lh.Add(c);
      Set(lh.h);
      if (l.size() > max_len_) max_len_ = l.size();
      lengths_ |= LenBit(l.size());
    }
  }
  bool empty() const { return bits_.empty(); }
  std::size_t max_len() const { return max_len_; }
  std::size_t memory() const { return bits_.size() * 8; }

  // Calls fn(end, length) for each run of label bytes in `t` that may be a label.
  template <typename Fn>
  void ForEachCandidate(std::string_view t, Fn&& fn) const {
    const std::size_t n = t.size();
    std::size_t i = 0;
    while (i < n) {
      auto c = static_cast<unsigned char>(t[i]);
      if (!IsLabelByte(c)) {
        ++i;
        continue;
      }
      // After a '%', the run's first two bytes may be an escape's hex digits:
      // a host token can begin there ("%2Efoo", "%61foo") or after them
      // (backwards, "%60foo" ends a token just before "foo", addr.h), so both
      // the run and the run without those two bytes are looked up.
      std::size_t start = i;
      bool after_escape = start > 0 && t[start - 1] == '%' && start + 2 < n && IsHexC(t[start]) &&
                          IsHexC(t[start + 1]) &&
                          IsLabelByte(static_cast<unsigned char>(t[start + 2]));
      LabelHash lh, tail;
      while (i < n && IsLabelByte(static_cast<unsigned char>(t[i]))) {
        lh.Add(static_cast<unsigned char>(t[i]));
        if (after_escape && i >= start + 2) tail.Add(static_cast<unsigned char>(t[i]));
        ++i;
      }
      std::size_t len = i - start;
      if ((lengths_ & LenBit(len)) && Test(lh.h)) fn(i, len);
      if (after_escape && (lengths_ & LenBit(len - 2)) && Test(tail.h)) fn(i, len - 2);
    }
  }

 private:
  static std::uint64_t LenBit(std::size_t len) { return std::uint64_t{1} << (len < 63 ? len : 63); }
  static bool IsHexC(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  void Set(std::uint64_t h) {
    std::size_t a = h & mask_, b = (h >> 32 | h << 32) * 0x9E3779B97F4A7C15ull & mask_;
    bits_[a / 64] |= std::uint64_t{1} << (a % 64);
    bits_[b / 64] |= std::uint64_t{1} << (b % 64);
  }
  bool Test(std::uint64_t h) const {
    std::size_t a = h & mask_, b = (h >> 32 | h << 32) * 0x9E3779B97F4A7C15ull & mask_;
    return (bits_[a / 64] >> (a % 64) & 1) && (bits_[b / 64] >> (b % 64) & 1);
  }
  std::vector<std::uint64_t> bits_;
  std::size_t mask_ = 0;
  std::size_t max_len_ = 0;
  std::uint64_t lengths_ = 0;  // bit L: a label of length L (63: 63 or longer)
};

}  // namespace

struct NetMatcher::Impl {
  HsDb db;
  std::vector<Pattern> patterns;
  std::size_t db_patterns = 0;  // patterns[0, db_patterns) are in db; then one kLabel per length
  LabelFilter labels;           // large label sets (empty: labels are literals in db)
  SvMap<std::vector<const ioc::Indicator*>> domains;
  SvMap<std::vector<UrlEntry>> urls;
  std::unordered_map<std::string, std::vector<const ioc::Indicator*>> ips;  // IpKey
  // CIDRs: prefix length (+ 1000 for v6) -> masked key -> indicators.
  std::map<int, std::unordered_map<std::string, std::vector<const ioc::Indicator*>>> cidrs;
  std::vector<ioc::Problem> problems;
  std::size_t in_use = 0;

  void MatchHostText(std::string_view host, std::vector<const ioc::Indicator*>& out) const;
  void MatchIpValue(const Ip& ip, std::vector<const ioc::Indicator*>& out) const;
  void ScanHost(std::string_view t, Span tok, std::string& buf, std::vector<Hit>& hits) const;
};

struct NetMatcher::Scratch::State {
  HsScratch hs;
  std::vector<Cand> cands;
  std::string host;
  std::vector<const ioc::Indicator*> inds;
};

NetMatcher::Scratch::Scratch() : s_(std::make_unique<State>()) {}
NetMatcher::Scratch::~Scratch() = default;

NetMatcher::NetMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NetMatcher::NetMatcher(NetMatcher&&) noexcept = default;
NetMatcher& NetMatcher::operator=(NetMatcher&&) noexcept = default;
NetMatcher::~NetMatcher() = default;

bool NetMatcher::empty() const { return impl_->in_use == 0; }
std::size_t NetMatcher::indicator_count() const { return impl_->in_use; }
std::size_t NetMatcher::pattern_count() const { return impl_->db_patterns; }
const std::vector<ioc::Problem>& NetMatcher::problems() const { return impl_->problems; }

Result<NetMatcher> NetMatcher::Build(const ioc::IndicatorSet& set) {
  auto impl = std::make_unique<Impl>();
  bool any_ipv4 = false;
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::map<std::string, std::uint32_t> shared_ids;  // generic shapes, by regex
  // Collected first, then emitted per mode (kMaxLiteralLabels and the rest).
  std::vector<std::string> labels;
  std::vector<Ip> exact_v4;            // addresses to match exactly (forward and reverse)
  std::vector<std::string> cidr4_res;  // one regex per IPv4 range
  std::vector<std::string> v6_lits;    // longest group of each IPv6 address or range

  auto add = [&](std::string expr, unsigned f, Pattern p) {
    exprs.push_back(std::move(expr));
    flags.push_back(f);
    impl->patterns.push_back(p);
    return static_cast<std::uint32_t>(impl->patterns.size() - 1);
  };
  auto add_label = [&](std::string_view label) { labels.emplace_back(label); };
  auto add_shared = [&](const std::string& expr, unsigned f, PatType type) {
    if (shared_ids.count(expr)) return;
    shared_ids.emplace(expr, add(expr, f, {type}));
  };
  auto problem = [&](const ioc::Indicator& ind, std::string why) {
    impl->problems.push_back({ind.source, std::string(ioc::KindName(ind.kind)) + " '" +
                                              EscapeControl(ind.value) + "': " + why});
  };
  auto normalize_host = [](std::string_view v) {
    std::string h;
    NormalizeHostText(TrimAscii(v), h);
    if (h.size() >= 2 && h[0] == '*' && h[1] == '.') h.erase(0, 2);
    return h;
  };
  // Prefilter for an exact IPv4 address, forward and as a reverse-DNS name.
  auto add_ipv4 = [&](const Ip& ip) {
    exact_v4.push_back(ip);
    any_ipv4 = true;
  };
  auto emit_ipv4 = [&](const Ip& ip) {
    std::string fwd, rev;
    for (int i = 0; i < 4; ++i) {
      if (i) fwd += kSep;
      fwd += OctetRegex(ip.bytes[i]);
      if (i) rev += kSep;
      rev += std::to_string(ip.bytes[3 - i]);  // PTR names are never zero-padded
    }
    add_shared(fwd, 0, PatType::kIpv4);
    add_shared(rev + R"(\.in-addr\.arpa)", HS_FLAG_CASELESS, PatType::kIpv4Rev);
  };
  const std::string kGenericV6 = "[0-9a-f]{0,4}:[0-9a-f]{0,4}:";
  // Prefilter for an IPv6 address: its longest non-zero group among the first
  // six (the last two may be written as dotted IPv4), else the generic shape.
  auto add_ipv6 = [&](const Ip& ip, int groups) {
    std::string best;
    for (int g = 0; g < groups && g < 6; ++g) {
      int v = ip.bytes[2 * g] << 8 | ip.bytes[2 * g + 1];
      if (v == 0) continue;
      char buf[8];
      std::snprintf(buf, sizeof buf, "%x", v);
      if (std::string_view(buf).size() > best.size()) best = buf;
      if (groups < 8) break;  // CIDR: only the first group is sure to be written
    }
    if (best.size() >= 3) {
      v6_lits.push_back(best);  // a caseless literal
    } else {
      add_shared(kGenericV6, HS_FLAG_CASELESS, PatType::kIpv6);
    }
  };

  bool any_escape = false;
  for (const ioc::Indicator& ind : set.records()) {
    switch (ind.kind) {
      case ioc::Kind::kDomain: {
        std::string h = normalize_host(ind.value);
        if (!ValidHostName(h)) {
          problem(ind, "not a host name");
          continue;
        }
        impl->domains[h].push_back(&ind);
        add_label(PrefilterLabel(h));
        any_escape = true;
        break;
      }
      case ioc::Kind::kUrl: {
        std::string_view v = TrimAscii(ind.value);
        auto scheme = v.find("://");
        if (scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
        std::size_t host_end = v.find_first_of("/?#\\");
        std::string_view authority = v.substr(0, host_end);
        std::string_view rest = host_end == std::string_view::npos ? "" : v.substr(host_end);
        if (auto at = authority.rfind('@'); at != std::string_view::npos)
          authority.remove_prefix(at + 1);
        if (auto colon = authority.rfind(':');
            colon != std::string_view::npos && authority.find(']') == std::string_view::npos)
          authority = authority.substr(0, colon);
        std::string h = normalize_host(authority);
        if (!ValidHostName(h)) {
          problem(ind, "URL host is not a host name (IP-literal URLs are not supported)");
          continue;
        }
        std::string path = DecodePath(rest);
        if (path == "/") path.clear();
        bool github = h == "github.com" || h == "www.github.com";
        bool raw = h == "raw.githubusercontent.com";
        impl->urls[h].push_back({path, github || raw, &ind});
        add_label(PrefilterLabel(h));
        if (github && path.size() > 1) {
          // /OWNER/REPO (or /OWNER) of the repository URL.
          std::size_t cut = path.find('/', 1);
          if (cut != std::string::npos) cut = path.find('/', cut + 1);
          std::string repo = path.substr(0, cut);
          impl->urls["raw.githubusercontent.com"].push_back({repo, true, &ind});
          add_label("githubusercontent");
        }
        any_escape = true;
        break;
      }
      case ioc::Kind::kIpv4:
      case ioc::Kind::kIpv6: {
        auto ip = ParseIp(ind.value);
        if (!ip) {
          problem(ind, "not an IP address");
          continue;
        }
        impl->ips[IpKey(*ip)].push_back(&ind);
        if (ip->v6) {
          Ip v4;
          if (MappedV4(*ip, v4)) {
            impl->ips[IpKey(v4)].push_back(&ind);
            add_ipv4(v4);
          }
          add_ipv6(*ip, 8);
        } else {
          add_ipv4(*ip);
        }
        break;
      }
      case ioc::Kind::kCidr: {
        auto c = ParseCidr(TrimAscii(ind.value));
        if (!c) {
          problem(ind, "not a CIDR range");
          continue;
        }
        impl->cidrs[c->prefix + (c->net.v6 ? 1000 : 0)][IpKey(c->net)].push_back(&ind);
        if (!c->net.v6) {
          int full = c->prefix / 8;
          std::string re;
          for (int i = 0; i < 4; ++i) {
            if (i) re += kSep;
            re += i < full ? OctetRegex(c->net.bytes[i]) : std::string("[0-9]{1,3}");
          }
          cidr4_res.push_back(std::move(re));
          any_ipv4 = true;
        } else {
          if (c->prefix >= 16)
            add_ipv6(c->net, 1);
          else
            add_shared(kGenericV6, HS_FLAG_CASELESS, PatType::kIpv6);
          // v4-mapped ranges also match dotted addresses.
          Ip probe;
          if (c->prefix >= 96 && MappedV4(c->net, probe))
            add_shared(std::string("[0-9]{1,3}") + kSep + "[0-9]{1,3}" + kSep + "[0-9]{1,3}" +
                           kSep + "[0-9]{1,3}",
                       0, PatType::kIpv4);
          any_ipv4 = true;
        }
        break;
      }
      case ioc::Kind::kKeyword: {
        if (ind.value.empty()) {
          problem(ind, "empty keyword");
          continue;
        }
        add(EscapeLiteral(ind.value), 0,
            {PatType::kKeyword, static_cast<std::uint32_t>(ind.value.size()), &ind});
        break;
      }
      default:
        continue;
    }
    ++impl->in_use;
  }
  // Per-indicator prefilters while they are few, shared shapes past that.
  auto dedup = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  dedup(labels);
  if (labels.size() <= kMaxLiteralLabels) {
    for (const std::string& l : labels)
      add(EscapeLiteral(l), HS_FLAG_CASELESS,
          {PatType::kLabel, static_cast<std::uint32_t>(l.size())});
  } else {
    impl->labels.Build(labels);
  }
  std::vector<std::string>().swap(labels);
  std::sort(exact_v4.begin(), exact_v4.end(),
            [](const Ip& a, const Ip& b) { return a.bytes < b.bytes; });
  exact_v4.erase(std::unique(exact_v4.begin(), exact_v4.end()), exact_v4.end());
  dedup(cidr4_res);
  if (exact_v4.size() <= kMaxExactIpv4 && cidr4_res.size() <= kMaxExactCidr4) {
    for (const Ip& ip : exact_v4) emit_ipv4(ip);
    for (const std::string& re : cidr4_res) add_shared(re, 0, PatType::kIpv4);
  } else if (any_ipv4) {
    add_shared(kGenericIpv4, 0, PatType::kIpv4);
  }
  dedup(v6_lits);
  if (v6_lits.size() <= kMaxIpv6Literals) {
    for (const std::string& l : v6_lits) add_shared(l, HS_FLAG_CASELESS, PatType::kIpv6);
  } else {
    add_shared(kGenericV6, HS_FLAG_CASELESS, PatType::kIpv6);
  }
  if (any_ipv4) add_shared(DefangedDigitDot(), HS_FLAG_CASELESS, PatType::kIpv4);
  if (any_escape) {
    // Percent escapes of host bytes: - . 0-9 A-Z _ a-z.
    add_shared("%(?:2[de]|3[0-9]|[46][1-9a-f]|[57][0-9a]|5f)", HS_FLAG_CASELESS, PatType::kEscape);
  }

  if (!exprs.empty()) {
    std::vector<const char*> cexprs;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      cexprs.push_back(exprs[i].c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(cexprs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      std::string msg = "network indicators: Vectorscan compile failed: ";
      msg += err && err->message ? err->message : "unknown error";
      if (err && err->expression >= 0) msg += " (pattern " + exprs[err->expression] + ")";
      hs_free_compile_error(err);
      return Status::Error(msg);
    }
    impl->db.reset(db);
  }
  // Label candidates of the large-set filter: one pattern entry per length,
  // after the compiled ones (Scan gives them ids from db_patterns on).
  impl->db_patterns = impl->patterns.size();
  if (!impl->labels.empty())
    for (std::size_t len = 0; len <= impl->labels.max_len(); ++len)
      impl->patterns.push_back({PatType::kLabel, static_cast<std::uint32_t>(len)});
  return NetMatcher(std::move(impl));
}

Result<std::unique_ptr<NetMatcher::Scratch>> NetMatcher::MakeScratch() const {
  std::unique_ptr<Scratch> s(new Scratch());
  if (impl_->db) {
    hs_scratch_t* raw = nullptr;
    if (hs_alloc_scratch(impl_->db.get(), &raw) != HS_SUCCESS)
      return Status::Error("network indicators: cannot allocate Vectorscan scratch");
    s->s_->hs.reset(raw);
  }
  return s;
}

void NetMatcher::Impl::MatchHostText(std::string_view host,
                                     std::vector<const ioc::Indicator*>& out) const {
  std::string_view h = host;
  while (!h.empty()) {
    if (auto it = domains.find(h); it != domains.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
    auto dot = h.find('.');
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
}

void NetMatcher::Impl::MatchIpValue(const Ip& ip, std::vector<const ioc::Indicator*>& out) const {
  if (auto it = ips.find(IpKey(ip)); it != ips.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  for (const auto& [key, table] : cidrs) {
    bool v6 = key >= 1000;
    if (v6 != ip.v6) continue;
    if (auto it = table.find(MaskedKey(ip, v6 ? key - 1000 : key)); it != table.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  }
  Ip v4;
  if (MappedV4(ip, v4)) MatchIpValue(v4, out);
}

void NetMatcher::Impl::ScanHost(std::string_view t, Span tok, std::string& buf,
                                std::vector<Hit>& hits) const {
  NormalizeHostText(t.substr(tok.begin, tok.size()), buf);
  std::string_view h = buf;
  bool url_checked = false;
  std::size_t path_at = std::string_view::npos;
  while (!h.empty()) {
    if (auto it = domains.find(h); it != domains.end()) {
      for (const ioc::Indicator* ind : it->second)
        hits.push_back({ind, tok.begin, tok.size(), std::string(t.substr(tok.begin, tok.size()))});
    }
    if (auto it = urls.find(h); it != urls.end()) {
      if (!url_checked) {
        path_at = PathStart(t, tok.end);
        url_checked = true;
      }
      for (const UrlEntry& u : it->second) {
        if (u.path.empty()) {
          hits.push_back(
              {u.ind, tok.begin, tok.size(), std::string(t.substr(tok.begin, tok.size()))});
        } else if (path_at != std::string_view::npos &&
                   PathHasPrefix(t, path_at, u.path, u.caseless)) {
          std::size_t b = UrlStart(t, tok.begin);
          std::size_t e = UrlEnd(t, path_at, b);
          hits.push_back({u.ind, b, e - b, std::string(t.substr(b, e - b))});
        }
      }
    }
    auto dot = h.find('.');
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
}

Status NetMatcher::Scan(std::string_view text, Scratch& scratch, std::vector<Hit>& hits) const {
  const Impl& m = *impl_;
  if ((!m.db && m.labels.empty()) || text.empty()) return Status::Ok();
  if (text.size() >= UINT_MAX) return Status::Error("network scan: buffer too large");
  Scratch::State& st = *scratch.s_;
  st.cands.clear();
  if (!m.labels.empty()) {
    const std::size_t max_len = m.labels.max_len();
    m.labels.ForEachCandidate(text, [&](std::size_t end, std::size_t len) {
      if (len <= max_len)
        st.cands.push_back({end, static_cast<std::uint32_t>(m.db_patterns + len)});
    });
  }
  auto on_match = [](unsigned id, unsigned long long, unsigned long long to, unsigned,
                     void* ctx) -> int {
    static_cast<std::vector<Cand>*>(ctx)->push_back({static_cast<std::size_t>(to), id});
    return 0;
  };
  if (m.db) {
    hs_error_t rc = hs_scan(m.db.get(), text.data(), static_cast<unsigned>(text.size()), 0,
                            st.hs.get(), on_match, &st.cands);
    if (rc != HS_SUCCESS)
      return Status::Error("network scan: Vectorscan error " + std::to_string(rc));
  }
  std::sort(st.cands.begin(), st.cands.end(), [](const Cand& a, const Cand& b) {
    return a.end < b.end || (a.end == b.end && a.id < b.id);
  });

  std::size_t first = hits.size();
  Span last_host, last_v4, last_v6;
  for (const Cand& c : st.cands) {
    const Pattern& p = m.patterns[c.id];
    switch (p.type) {
      case PatType::kLabel:
      case PatType::kEscape: {
        std::size_t len = p.type == PatType::kEscape ? 3 : p.len;
        std::size_t from = c.end - len;
        if (from >= last_host.begin && c.end <= last_host.end && !last_host.empty()) break;
        Span tok = ExpandHostToken(text, from, c.end);
        // The run is maximal: remember it even when trimming emptied it.
        if (tok.empty()) {
          last_host = {from, c.end};
          break;
        }
        last_host = tok;
        m.ScanHost(text, tok, st.host, hits);
        break;
      }
      case PatType::kIpv4:
      case PatType::kIpv4Rev: {
        std::size_t pos = p.type == PatType::kIpv4Rev ? c.end - 14 : c.end - 1;
        if (pos >= last_v4.begin && pos < last_v4.end) break;
        Span run = ExpandIpv4Token(text, pos);
        if (run.empty()) break;
        last_v4 = run;
        bool port = false;
        std::string_view raw = text.substr(run.begin, run.size());
        auto ip = ParseIpv4Token(raw, &port);
        if (!ip) break;
        // Trim the run to the address text for the hit.
        std::size_t b = run.begin, e = run.end;
        while (b < e && !(text[b] >= '0' && text[b] <= '9')) ++b;
        while (e > b && !(text[e - 1] >= '0' && text[e - 1] <= '9')) --e;
        if (!port && StartsWithNoCase(text, e, ".in-addr.arpa")) {
          std::swap(ip->bytes[0], ip->bytes[3]);
          std::swap(ip->bytes[1], ip->bytes[2]);
          e += 13;
        }
        st.inds.clear();
        m.MatchIpValue(*ip, st.inds);
        for (const ioc::Indicator* ind : st.inds)
          hits.push_back({ind, b, e - b, std::string(text.substr(b, e - b))});
        break;
      }
      case PatType::kIpv6: {
        std::size_t pos = c.end - 1;
        if (pos >= last_v6.begin && pos < last_v6.end) break;
        Span run = ExpandIpv6Token(text, pos);
        if (run.empty()) break;
        last_v6 = run;
        Span in;
        auto ip = ParseIpv6Token(text.substr(run.begin, run.size()), &in);
        if (!ip) break;
        st.inds.clear();
        m.MatchIpValue(*ip, st.inds);
        std::size_t b = run.begin + in.begin, len = in.size();
        for (const ioc::Indicator* ind : st.inds)
          hits.push_back({ind, b, len, std::string(text.substr(b, len))});
        break;
      }
      case PatType::kKeyword: {
        std::size_t b = c.end - p.len;
        hits.push_back({p.ind, b, p.len, std::string(text.substr(b, p.len))});
        break;
      }
    }
  }
  // Offset order, ties in indicator order; one hit per (offset, indicator).
  auto base = hits.begin() + static_cast<std::ptrdiff_t>(first);
  std::stable_sort(base, hits.end(), [](const Hit& a, const Hit& b) {
    return a.offset < b.offset || (a.offset == b.offset && a.indicator < b.indicator);
  });
  hits.erase(std::unique(base, hits.end(),
                         [](const Hit& a, const Hit& b) {
                           return a.offset == b.offset && a.indicator == b.indicator;
                         }),
             hits.end());
  return Status::Ok();
}

const ioc::Indicator* NetMatcher::MatchIp(std::string_view ip_text) const {
  auto ip = ParseIp(ip_text);
  if (!ip) return nullptr;
  std::vector<const ioc::Indicator*> out;
  impl_->MatchIpValue(*ip, out);
  return out.empty() ? nullptr : out.front();
}

const ioc::Indicator* NetMatcher::MatchHost(std::string_view host) const {
  host = TrimAscii(host);
  if (auto* ind = MatchIp(host)) return ind;
  std::string h;
  NormalizeHostText(host, h);
  std::vector<const ioc::Indicator*> out;
  impl_->MatchHostText(h, out);
  return out.empty() ? nullptr : out.front();
}

const ioc::Indicator* NetMatcher::MatchUrl(std::string_view url) const {
  url = TrimAscii(url);
  std::string_view v = url;
  if (auto scheme = v.find("://"); scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
  std::size_t host_end = v.find_first_of("/?#\\");
  std::string_view authority = v.substr(0, host_end);
  std::string_view rest = host_end == std::string_view::npos ? "" : v.substr(host_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[') return MatchIp(authority);
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos)
    authority = authority.substr(0, colon);
  std::string h;
  NormalizeHostText(authority, h);
  std::string_view hv = h;
  while (!hv.empty()) {
    if (auto it = impl_->urls.find(hv); it != impl_->urls.end()) {
      for (const UrlEntry& u : it->second)
        if (u.path.empty() || PathHasPrefix(rest, 0, u.path, u.caseless)) return u.ind;
    }
    auto dot = hv.find('.');
    if (dot == std::string_view::npos) break;
    hv.remove_prefix(dot + 1);
  }
  return MatchHost(authority);
}

}  // namespace trawl::netmatch

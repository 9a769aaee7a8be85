// libFuzzer target: network-indicator matching over hostile text.
// Checks invariants a sink relies on: every hit lies inside the buffer, hits
// come in offset order, and the matched text is the buffer's own bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "trawl/netmatch/addr.h"
#include "trawl/netmatch/netmatch.h"

namespace {

using trawl::ioc::Kind;

const trawl::ioc::IndicatorSet& Set() {
  static const trawl::ioc::IndicatorSet* set = [] {
    auto* s = new trawl::ioc::IndicatorSet();
    auto add = [&](Kind k, const char* v) {
      trawl::ioc::Indicator ind;
      ind.kind = k;
      ind.value = v;
      s->Add(ind);
    };
    add(Kind::kDomain, "akamaicontainer.com");
    add(Kind::kDomain, "a.b");
    add(Kind::kUrl, "https://github.com/IconStorages/images");
    add(Kind::kUrl, "http://evil.example.org/gate.php");
    add(Kind::kIpv4, "1.2.3.4");
    add(Kind::kIpv6, "2001:db8::1");
    add(Kind::kIpv6, "::1");
    add(Kind::kCidr, "10.0.0.0/8");
    add(Kind::kCidr, "0.0.0.0/0");
    add(Kind::kCidr, "::/0");
    add(Kind::kKeyword, "WCE SERVICE");
    return s;
  }();
  return *set;
}

// The same indicators padded past every per-indicator prefilter limit
// (netmatch.h, "Large sets"), so the other engine (label Bloom filter, shared
// address shapes) runs: its hits on the original indicators must be the same.
const trawl::ioc::IndicatorSet& LargeSet() {
  static const trawl::ioc::IndicatorSet* set = [] {
    auto* s = new trawl::ioc::IndicatorSet();
    for (const trawl::ioc::Indicator& ind : Set().records()) s->Add(ind);
    auto add = [&](Kind k, std::string v) {
      trawl::ioc::Indicator ind;
      ind.kind = k;
      ind.value = std::move(v);
      ind.source = "pad";
      s->Add(ind);
    };
    for (int i = 0; i < 12000; ++i) add(Kind::kDomain, "pad" + std::to_string(i) + ".invalid");
    for (int i = 0; i < 300; ++i)
      add(Kind::kIpv4, "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    for (int i = 0; i < 300; ++i)
      add(Kind::kCidr,
          "100." + std::to_string(64 + i / 200) + "." + std::to_string(i % 200) + ".0/24");
    char buf[64];
    for (int i = 0; i < 1100; ++i) {
      std::snprintf(buf, sizeof buf, "fd00:%x::1", 0x1000 + i);
      add(Kind::kIpv6, buf);
    }
    return s;
  }();
  return *set;
}

// (offset, length, kind, value) of each hit on an unpadded indicator, sorted.
std::vector<std::tuple<std::size_t, std::size_t, int, std::string>> Key(
    const std::vector<trawl::netmatch::Hit>& hits) {
  std::vector<std::tuple<std::size_t, std::size_t, int, std::string>> out;
  for (const auto& h : hits)
    if (h.indicator->source != "pad")
      out.emplace_back(h.offset, h.length, static_cast<int>(h.indicator->kind), h.indicator->value);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const trawl::netmatch::NetMatcher* matcher = [] {
    auto m = trawl::netmatch::NetMatcher::Build(Set());
    if (!m.ok()) std::abort();
    return new trawl::netmatch::NetMatcher(std::move(m).value());
  }();
  static auto scratch = std::move(matcher->MakeScratch().value());
  static const trawl::netmatch::NetMatcher* large = [] {
    auto m = trawl::netmatch::NetMatcher::Build(LargeSet());
    if (!m.ok() || m->pattern_count() > 16) std::abort();
    return new trawl::netmatch::NetMatcher(std::move(m).value());
  }();
  static auto large_scratch = std::move(large->MakeScratch().value());
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<trawl::netmatch::Hit> hits;
  if (!matcher->Scan(text, *scratch, hits).ok()) std::abort();
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    if (h.offset > size || h.length > size - h.offset) std::abort();
    if (text.substr(h.offset, h.length) != h.matched) std::abort();
    if (i > 0 && hits[i - 1].offset > h.offset) std::abort();
  }
  std::vector<trawl::netmatch::Hit> large_hits;
  if (!large->Scan(text, *large_scratch, large_hits).ok()) std::abort();
  if (Key(hits) != Key(large_hits)) std::abort();
  // The single-value checks and parsers on the same bytes.
  (void)matcher->MatchHost(text);
  (void)matcher->MatchIp(text);
  (void)matcher->MatchUrl(text);
  (void)trawl::netmatch::ParseCidr(text);
  std::string norm;
  trawl::netmatch::NormalizeHostText(text, norm);
  if (size > 0) {
    std::size_t pos = data[0] % size;
    auto tok = trawl::netmatch::ExpandHostToken(text, pos, pos);
    if (tok.end > size || tok.begin > tok.end) std::abort();
    auto run = trawl::netmatch::ExpandIpv6Token(text, pos);
    (void)trawl::netmatch::ParseIpv6Token(text.substr(run.begin, run.size()));
  }
  return 0;
}

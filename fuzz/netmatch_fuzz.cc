// libFuzzer target: network-indicator matching over hostile text.
// Checks invariants a sink relies on: every hit lies inside the buffer, hits
// come in offset order, and the matched text is the buffer's own bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const trawl::netmatch::NetMatcher* matcher = [] {
    auto m = trawl::netmatch::NetMatcher::Build(Set());
    if (!m.ok()) std::abort();
    return new trawl::netmatch::NetMatcher(std::move(m).value());
  }();
  static auto scratch = std::move(matcher->MakeScratch().value());
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<trawl::netmatch::Hit> hits;
  if (!matcher->Scan(text, *scratch, hits).ok()) std::abort();
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    if (h.offset > size || h.length > size - h.offset) std::abort();
    if (text.substr(h.offset, h.length) != h.matched) std::abort();
    if (i > 0 && hits[i - 1].offset > h.offset) std::abort();
  }
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

#include "trawl/netmatch/netmatch.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "trawl/ioc/loader.h"

namespace trawl::netmatch {
namespace {

using ioc::Kind;

ioc::IndicatorSet MakeSet() {
  ioc::IndicatorSet set;
  auto add = [&](Kind k, const char* v) {
    ioc::Indicator ind;
    ind.kind = k;
    ind.value = v;
    ind.source = "test:1";
    set.Add(ind);
  };
  add(Kind::kDomain, "akamaicontainer.com");
  add(Kind::kDomain, "msstorageboxes.com");
  add(Kind::kUrl, "https://github.com/IconStorages/images");
  add(Kind::kUrl, "http://evil.example.org/gate.php");
  add(Kind::kUrl, "http://hostonly.example.net/");
  add(Kind::kIpv4, "1.2.3.4");
  add(Kind::kIpv6, "2001:db8::1");
  add(Kind::kCidr, "10.20.0.0/16");
  add(Kind::kCidr, "2001:db8:ff00::/40");
  add(Kind::kKeyword, "WCE SERVICE");
  return set;
}

// MakeSet padded past every per-indicator prefilter limit (netmatch.h "Large
// sets") with indicators no test line mentions: the large-set engine must give
// exactly the same hits.
ioc::IndicatorSet MakeLargeSet(std::size_t domains = 12000) {
  ioc::IndicatorSet set = MakeSet();
  auto add = [&](Kind k, std::string v) {
    ioc::Indicator ind;
    ind.kind = k;
    ind.value = std::move(v);
    ind.source = "pad:1";
    set.Add(ind);
  };
  for (std::size_t i = 0; i < domains; ++i)
    add(Kind::kDomain, "pad" + std::to_string(i) + ".invalid");
  for (int i = 0; i < 600; ++i)
    add(Kind::kIpv4, "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  for (int i = 0; i < 300; ++i)
    add(Kind::kCidr,
        "100." + std::to_string(64 + i / 200) + "." + std::to_string(i % 200) + ".0/24");
  for (int i = 0; i < 1100; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "fd00:%x::1", 0x1000 + i);
    add(Kind::kIpv6, buf);
  }
  return set;
}

class NetMatcherTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto m = NetMatcher::Build(set_);
    ASSERT_TRUE(m.ok()) << m.status().message();
    matcher_ = std::make_unique<NetMatcher>(std::move(m).value());
    auto s = matcher_->MakeScratch();
    ASSERT_TRUE(s.ok());
    scratch_ = std::move(s).value();
  }
  std::vector<Hit> Scan(std::string_view text) {
    std::vector<Hit> hits;
    Status st = matcher_->Scan(text, *scratch_, hits);
    EXPECT_TRUE(st.ok());
    return hits;
  }
  std::set<std::string> Values(std::string_view text) {
    std::set<std::string> out;
    for (const Hit& h : Scan(text)) out.insert(h.indicator->value);
    return out;
  }
  ioc::IndicatorSet set_ = GetParam() ? MakeLargeSet() : MakeSet();
  std::unique_ptr<NetMatcher> matcher_;
  std::unique_ptr<NetMatcher::Scratch> scratch_;
};

// The boundary cases of the issue, each as a log line.
TEST_P(NetMatcherTest, BoundaryTable) {
  const std::string kDom = "akamaicontainer.com";
  const std::string kGh = "https://github.com/IconStorages/images";
  const std::string kGate = "http://evil.example.org/gate.php";
  struct Case {
    std::string line;
    std::set<std::string> want;
  } cases[] = {
      // Domains: exact, subdomain, case, root dot, defanged, encoded, DNS wire form.
      {"Mar 30 10:00:01 host dnsmasq[1]: query[A] akamaicontainer.com from 10.0.0.5", {kDom}},
      {"query: sub.akamaicontainer.com IN A", {kDom}},
      {"query: AkamaiContainer.COM. IN A", {kDom}},
      {"ioc akamaicontainer[.]com seen", {kDom}},
      {"ioc akamaicontainer(.)com seen", {kDom}},
      {"ioc akamaicontainer[dot]com seen", {kDom}},
      {"GET /r?u=https%3A%2F%2Fakamaicontainer%2Ecom%2Fx HTTP/1.1", {kDom}},
      {"GET /r?u=%61kamaicontainer.com HTTP/1.1", {kDom}},
      // An escape of a byte no host has ends the host just before the label
      // (found by netmatch_fuzz: the large-set engine missed it).
      {"GET /r?u=%60akamaicontainer.com HTTP/1.1", {kDom}},
      {"GET /r?u=%5%61%60akamaicontainer.com HTTP/1.1", {kDom}},
      {"GET /r?u=%3Aakamaicontainer.com HTTP/1.1", {kDom}},
      {"10:00:01 0A2C PACKET UDP Rcv 10.0.0.5 d1a2 Q [0001 D NOERROR] A "
       "(3)www(15)akamaicontainer(3)com(0)",
       {kDom}},
      {"https://akamaicontainer.com:8443/index", {kDom}},
      {"\"host\":\"akamaicontainer.com\"", {kDom}},
      {"connect akamaicontainer.com(443)", {kDom}},
      {"akamaicontainer.com", {kDom}},
      // ... and what must not match.
      {"query: notakamaicontainer.com IN A", {}},
      {"query: akamaicontainer.community IN A", {}},
      {"query: akamaicontainer.com.example.net IN A", {}},
      {"query: akamaicontainer-com.net IN A", {}},
      {"query: akamaicontainer IN A", {}},
      {"x-akamaicontainer.com", {}},
      // URLs: path prefix, scheme ignored, GitHub raw form, JSON escapes.
      {"GET https://github.com/IconStorages/images/raw/main/icon0.ico 200", {kGh}},
      {"GET hxxps://github.com/iconstorages/Images 200", {kGh}},
      {"GET https://raw.githubusercontent.com/IconStorages/images/main/icon12.ico 200", {kGh}},
      {"{\"url\":\"https:\\/\\/github.com\\/IconStorages\\/images\\/x\"}", {kGh}},
      {"GET https://github.com/IconStorage/images 200", {}},
      {"GET https://github.com/ 200", {}},
      {"GET https://raw.githubusercontent.com/Other/images/main/x 200", {}},
      {"github.com IconStorages/images", {}},
      {"1576177221.686 12 10.0.0.5 TCP_MISS/200 10 GET http://evil.example.org/gate.php?id=1 - "
       "DIRECT/1.2.3.5 text/html",
       {kGate}},
      {"GET evil.example.org:8080/gate.php", {kGate}},
      {"GET http://x.evil.example.org/gate.php", {kGate}},
      {"GET http://evil.example.org/Gate.php", {}},
      {"GET http://evil.example.org/other.php", {}},
      {"GET http://evil.example.org.attacker.net/gate.php", {}},
      {"resolve hostonly.example.net", {"http://hostonly.example.net/"}},
      // IPv4: bounded, with port, defanged, tcpdump, reverse DNS.
      {"conn 1.2.3.4:443 established", {"1.2.3.4"}},
      {"src=1.2.3.4,dst=5.6.7.8", {"1.2.3.4"}},
      {"IP 10.0.0.5.51234 > 1.2.3.4.443: Flags [S]", {"1.2.3.4"}},
      {"ioc 1[.]2[.]3[.]4", {"1.2.3.4"}},
      {"PTR 4.3.2.1.in-addr.arpa", {"1.2.3.4"}},
      {"conn 11.2.3.4:443", {}},
      {"conn 1.2.3.45:443", {}},
      {"conn 1.2.3.4.5.6", {}},
      {"PTR 1.2.3.4.in-addr.arpa", {}},
      {"ver 01.002.3.4 ok", {"1.2.3.4"}},
      // IPv6: any textual form.
      {"conn [2001:db8::1]:443", {"2001:db8::1"}},
      {"conn 2001:0DB8:0000:0000:0000:0000:0000:0001 ok", {"2001:db8::1"}},
      {"conn 2001:DB8:0:0::1 ok", {"2001:db8::1"}},
      {"conn 2001:db8::10 ok", {}},
      {"conn 2001:db8::1:0 ok", {}},
      // CIDR: every address in range, v4 and v6.
      {"conn 10.20.255.3 ok", {"10.20.0.0/16"}},
      {"conn 10.20.0.0 ok", {"10.20.0.0/16"}},
      {"conn 10.21.0.1 ok", {}},
      {"conn 110.20.0.1 ok", {}},
      {"conn [2001:db8:ffab::7]:80", {"2001:db8:ff00::/40"}},
      {"conn 2001:db8:fe00::7", {}},
      // Keywords: literal, case-sensitive.
      {"service WCE SERVICE started", {"WCE SERVICE"}},
      {"service wce service started", {}},
      // Several in one line.
      {"1.2.3.4 asked akamaicontainer.com and msstorageboxes.com",
       {"1.2.3.4", kDom, "msstorageboxes.com"}},
  };
  for (const auto& c : cases) EXPECT_EQ(Values(c.line), c.want) << c.line;
}

TEST_P(NetMatcherTest, HitsCarryOffsetsAndMatchedText) {
  std::string line = "a sub.akamaicontainer[.]com b [2001:db8::1]:443 c 1.2.3.4:80";
  auto hits = Scan(line);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].matched, "sub.akamaicontainer[.]com");
  EXPECT_EQ(hits[0].offset, 2u);
  EXPECT_EQ(line.substr(hits[0].offset, hits[0].length), hits[0].matched);
  EXPECT_EQ(hits[1].matched, "2001:db8::1");
  EXPECT_EQ(line.substr(hits[1].offset, hits[1].length), "2001:db8::1");
  EXPECT_EQ(hits[2].matched, "1.2.3.4");
  EXPECT_EQ(line.substr(hits[2].offset, 7), "1.2.3.4");
}

TEST_P(NetMatcherTest, UrlHitIsWholeUrl) {
  auto hits = Scan("x https://github.com/IconStorages/images/a.ico\" y");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].matched, "https://github.com/IconStorages/images/a.ico");
  EXPECT_EQ(hits[0].offset, 2u);
}

TEST_P(NetMatcherTest, ManyHitsInOffsetOrder) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "q akamaicontainer.com r 1.2.3.4 s notakamaicontainer.com\n";
  auto hits = Scan(text);
  ASSERT_EQ(hits.size(), 2000u);
  for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_LT(hits[i - 1].offset, hits[i].offset);
}

TEST_P(NetMatcherTest, SingleValueChecks) {
  EXPECT_NE(matcher_->MatchHost("WWW.AkamaiContainer.com."), nullptr);
  EXPECT_NE(matcher_->MatchHost("akamaicontainer[.]com"), nullptr);
  EXPECT_EQ(matcher_->MatchHost("notakamaicontainer.com"), nullptr);
  EXPECT_NE(matcher_->MatchHost("1.2.3.4"), nullptr);
  EXPECT_NE(matcher_->MatchIp("1.2.3.4:443"), nullptr);
  EXPECT_NE(matcher_->MatchIp("[2001:DB8:0::1]:443"), nullptr);
  EXPECT_NE(matcher_->MatchIp("::ffff:10.20.1.1"), nullptr);
  EXPECT_EQ(matcher_->MatchIp("1.2.3.5"), nullptr);
  EXPECT_EQ(matcher_->MatchIp("not an ip"), nullptr);
  const ioc::Indicator* u =
      matcher_->MatchUrl("https://raw.githubusercontent.com/IconStorages/images/main/x.ico");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->kind, Kind::kUrl);
  EXPECT_EQ(matcher_->MatchUrl("https://github.com/other/images"), nullptr);
  const ioc::Indicator* d = matcher_->MatchUrl("http://user@a.akamaicontainer.com:80/x");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, Kind::kDomain);
  EXPECT_NE(matcher_->MatchUrl("http://[2001:db8::1]:80/x"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(SmallAndLargeSets, NetMatcherTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Large" : "Small";
                         });

// Issue 11: a 500,000-line C2 list took 44 s, faster than linear, because
// every label and address became its own Vectorscan pattern. Counted, not
// timed: past the limits the database holds a bounded number of patterns
// however large the set, and every padded indicator is still in use.
TEST(NetMatcher, LargeSetsCompileBoundedPatternCount) {
  ioc::IndicatorSet big = MakeLargeSet(60000);
  auto m = NetMatcher::Build(big);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->indicator_count(), big.size());
  EXPECT_LT(m->pattern_count(), 16u);
  auto s = m->MakeScratch();
  ASSERT_TRUE(s.ok());
  std::vector<Hit> hits;
  ASSERT_TRUE(m->Scan("x pad59999.invalid y pad60000.invalid 198.51.2.87 100.65.99.9 "
                      "100.64.200.9 fd00:144b::1",
                      **s, hits)
                  .ok());
  std::set<std::string> got;
  for (const Hit& h : hits) got.insert(h.indicator->value);
  EXPECT_EQ(got, (std::set<std::string>{"pad59999.invalid", "198.51.2.87", "100.65.99.0/24",
                                        "fd00:144b::1"}));
}

TEST(NetMatcher, EmptyAndProblems) {
  ioc::IndicatorSet set;
  ioc::Indicator h;
  h.kind = Kind::kSha1;
  h.value = "20d554a80d759c50d6537dd7097fed84dd258b3e";
  set.Add(h);
  ioc::Indicator bad;
  bad.kind = Kind::kIpv4;
  bad.value = "300.1.1.1";
  bad.source = "f.txt:7";
  set.Add(bad);
  auto m = NetMatcher::Build(set);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
  ASSERT_EQ(m->problems().size(), 1u);
  EXPECT_EQ(m->problems()[0].where, "f.txt:7");
  auto s = m->MakeScratch();
  ASSERT_TRUE(s.ok());
  std::vector<Hit> hits;
  EXPECT_TRUE(m->Scan("300.1.1.1 anything", **s, hits).ok());
  EXPECT_TRUE(hits.empty());
}

TEST(NetMatcher, KeywordBytes) {
  ioc::IndicatorSet set;
  ioc::Indicator k;
  k.kind = Kind::kKeyword;
  k.value = std::string("a.b*c\\d\0e", 9);
  set.Add(k);
  auto m = NetMatcher::Build(set);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto s = m->MakeScratch();
  std::vector<Hit> hits;
  std::string text = std::string("xx a.b*c\\d\0e yy aXb*c\\d", 24);
  ASSERT_TRUE(m->Scan(text, **s, hits).ok());
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].offset, 3u);
}

// Issue 13: "github.com/OWNER/REPO" as advisories write it (no scheme), in a
// one-per-line list and inside an advisory's text, is the same URL indicator
// and matches a browser visit and a log line of raw.githubusercontent.com.
TEST(SchemeLessUrl, MatchesRawGithubusercontentInLogsAndVisits) {
  for (const char* text :
       {"github.com/OwnerX/repo-y\n", "Repository: \xE2\x80\xA2 github[.]com/OwnerX/repo-y\n"}) {
    ioc::IndicatorSet set;
    ioc::LoadStats st = ioc::LoadText(text, ioc::Format::kPlain, "feed.txt", set);
    ASSERT_EQ(set.size(), 1u) << text;
    EXPECT_EQ(set.Materialize()[0].kind, Kind::kUrl);
    EXPECT_EQ(set.Materialize()[0].value, "https://github.com/OwnerX/repo-y");
    auto m = NetMatcher::Build(set);
    ASSERT_TRUE(m.ok()) << m.status().message();
    auto scratch = m->MakeScratch();
    ASSERT_TRUE(scratch.ok());
    std::vector<Hit> hits;
    ASSERT_TRUE(
        m->Scan("10:00 GET https://raw.githubusercontent.com/OwnerX/repo-y/main/a.ico 200\n",
                **scratch, hits)
            .ok());
    ASSERT_EQ(hits.size(), 1u) << text;
    EXPECT_EQ(hits[0].matched, "https://raw.githubusercontent.com/OwnerX/repo-y/main/a.ico");
    EXPECT_NE(m->MatchUrl("https://raw.githubusercontent.com/ownerx/REPO-Y/main/b.ico"), nullptr);
    EXPECT_NE(m->MatchUrl("https://github.com/OwnerX/repo-y/releases"), nullptr);
    EXPECT_EQ(m->MatchUrl("https://raw.githubusercontent.com/OwnerX/other/main/a.ico"), nullptr);
    hits.clear();
    ASSERT_TRUE(m->Scan("GET https://github.com/OwnerX/ 200\n", **scratch, hits).ok());
    EXPECT_TRUE(hits.empty());
  }
}

}  // namespace
}  // namespace trawl::netmatch

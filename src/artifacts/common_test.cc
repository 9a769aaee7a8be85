#include <gtest/gtest.h>

#include <string>

#include "test_util.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/logs/log_sweep.h"
#include "trawl/logs/logs.h"
#include "trawl/sweep/timeline.h"

namespace trawl::artifacts {
namespace {

TEST(FormatIsoUtcMicros, Table) {
  struct Case {
    std::int64_t us;
    const char* want;
  } cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1680170401000000, "2023-03-30T10:00:01Z"},
      {1680170401123000, "2023-03-30T10:00:01.123Z"},
      {1680170401123456, "2023-03-30T10:00:01.123456Z"},
      {1680170401000001, "2023-03-30T10:00:01.000001Z"},
      {951782400000000, "2000-02-29T00:00:00Z"},
      {-11644473600LL * 1000000, "1601-01-01T00:00:00Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {253402300799LL * 1000000, "9999-12-31T23:59:59Z"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatIsoUtcMicros(c.us), c.want) << c.us;
}

TEST(Epochs, WebKitAndPrTime) {
  // 2023-03-30T10:00:01.123456Z in both epochs.
  std::int64_t unix_us = 1680170401123456;
  std::int64_t webkit = unix_us + 11644473600LL * 1000000;
  ASSERT_TRUE(WebKitToUnixMicros(webkit).has_value());
  EXPECT_EQ(*WebKitToUnixMicros(webkit), unix_us);
  EXPECT_EQ(*PrTimeToUnixMicros(unix_us), unix_us);
  EXPECT_FALSE(WebKitToUnixMicros(0).has_value());
  EXPECT_FALSE(PrTimeToUnixMicros(0).has_value());
  EXPECT_FALSE(PrTimeToUnixMicros(-5).has_value());
  EXPECT_FALSE(WebKitToUnixMicros(INT64_MAX).has_value());
}

TEST(Excerpt, ShortValueWhole) {
  EXPECT_EQ(Excerpt("connect to evil.example", 11, 23), "connect to evil.example");
  EXPECT_EQ(Excerpt("a\nb\x1b", 0, 1), "a\\nb\\e");
}

TEST(Excerpt, LongValueCutAroundMatch) {
  std::string value = std::string(1000, 'a') + "evil.example" + std::string(1000, 'b');
  std::string e = Excerpt(value, 1000, 1012, 512);
  EXPECT_LE(e.size(), 512u);
  EXPECT_NE(e.find("evil.example"), std::string::npos);
  EXPECT_EQ(e.substr(0, 3), "...");
  EXPECT_EQ(e.substr(e.size() - 3), "...");
  // A match at the start: no leading marker.
  std::string head = Excerpt(value, 0, 4, 512);
  EXPECT_EQ(head.substr(0, 4), "aaaa");
  EXPECT_EQ(head.substr(head.size() - 3), "...");
  EXPECT_LE(head.size(), 512u);
}

TEST(Excerpt, NeverSplitsUtf8OrEscapes) {
  // Two-byte characters and control bytes all around the match.
  std::string filler;
  for (int i = 0; i < 300; ++i) filler += (i % 3 == 0) ? "\x01" : "\xc3\xa9";  // é
  std::string value = filler + "evil.example" + filler;
  for (std::size_t max : {64u, 65u, 66u, 67u, 100u, 512u}) {
    std::string e = Excerpt(value, filler.size(), filler.size() + 12, max);
    EXPECT_LE(e.size(), max);
    EXPECT_NE(e.find("evil.example"), std::string::npos) << max;
    // Strip the markers; what remains must be whole escapes and characters.
    std::string body = e.substr(3, e.size() - 6);
    for (std::size_t i = 0; i < body.size();) {
      if (body[i] == '\\') {
        ASSERT_EQ(body.substr(i, 4), "\\x01") << e;
        i += 4;
      } else if (static_cast<unsigned char>(body[i]) == 0xc3) {
        ASSERT_EQ(static_cast<unsigned char>(body[i + 1]), 0xa9u) << e;
        i += 2;
      } else {
        ++i;
      }
    }
  }
}

TEST(Excerpt, MatchLongerThanBudgetIsCut) {
  std::string value = "x" + std::string(600, 'h') + "y";
  std::string e = Excerpt(value, 1, 601, 100);
  EXPECT_LE(e.size(), 100u);
  EXPECT_EQ(e.substr(0, 3), "...");
}

TEST(ToFindings, MachineHitsAndOneAggregatePerIndicator) {
  auto m = testing::MakeMatcher(
      {{ioc::Kind::kDomain, "evil.example"}, {ioc::Kind::kIpv4, "198.51.100.7"}});
  const ioc::Indicator* dom = &m->set.records()[0];
  const ioc::Indicator* ip = &m->set.records()[1];
  SweepResult r;
  r.type = Type::kJournal;
  auto hit = [](const ioc::Indicator* ind, std::int64_t us) {
    Hit h;
    h.indicator = ind;
    h.time_unix_us = us;
    h.time_text = FormatIsoUtcMicros(us);
    h.fields = {{"unit", std::string("x.service")}, {"field", std::string("MESSAGE")}};
    return h;
  };
  r.hits = {hit(dom, 2000000), hit(ip, 1000000), hit(dom, 3000000)};
  r.tally[dom] = {2, 2000, 3000};
  r.tally[ip] = {1, 1000, 1000};
  r.hits_total = 3;
  std::vector<Finding> fs = ToFindings("/j/system.journal", r);
  ASSERT_EQ(fs.size(), 5u);
  int machine = 0, human = 0;
  for (const Finding& f : fs) {
    EXPECT_EQ(f.module, "journal");
    EXPECT_EQ(f.path, "/j/system.journal");
    ASSERT_EQ(f.reasons.size(), 1u);
    EXPECT_EQ(f.reasons[0].kind, "c2");
    EXPECT_EQ(f.level, Level::kAlert);  // one reason of score 90
    if (f.audience == Finding::Audience::kMachine) {
      machine++;
      EXPECT_EQ(f.extra[0].first, "time");  // first when the module has no locator field
    } else {
      ASSERT_EQ(f.audience, Finding::Audience::kHuman);
      human++;
      EXPECT_EQ(f.extra[0].first, "hits");
      if (f.reasons[0].indicator == "evil.example") {
        EXPECT_EQ(std::get<std::int64_t>(f.extra[0].second), 2);
        EXPECT_EQ(std::get<std::string>(f.extra[f.extra.size() - 2].second),
                  "1970-01-01T00:00:02Z");
        EXPECT_EQ(std::get<std::string>(f.extra.back().second), "1970-01-01T00:00:03Z");
      }
    }
  }
  EXPECT_EQ(machine, 3);
  EXPECT_EQ(human, 2);
}

TEST(ToFindings, TimeAfterRecordOrUrl) {
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "evil.example"}});
  SweepResult r;
  r.type = Type::kEvtx;
  Hit h;
  h.indicator = &m->set.records()[0];
  h.time_text = "2021-11-30T22:05:50.8649217Z";
  h.fields = {{"record", std::int64_t{7}}, {"channel", std::string("c")}};
  r.hits.push_back(h);
  r.tally[h.indicator].hits = 1;
  auto fs = ToFindings("/x.evtx", r);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs[0].module, "evtx");
  EXPECT_EQ(fs[0].extra[0].first, "record");
  EXPECT_EQ(fs[0].extra[1].first, "time");
  EXPECT_EQ(std::get<std::string>(fs[0].extra[1].second), h.time_text);
}

// The artifact sweep feeds the pipeline's timeline with logs::Contacts of a
// file's tally, as the log sweep does, so contacts from both merge.
TEST(ContactsToTimeline, MergesWithLogs) {
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "evil.example"}});
  const ioc::Indicator* ind = &m->set.records()[0];
  sweep::ContactTimeline tl;
  SweepResult a, b;
  a.tally[ind] = {3, 5000, 9000};
  b.tally[ind] = {1, 1000, 1000};
  tl.Add(logs::Contacts(a.tally));
  tl.Add(logs::Contacts(b.tally));
  EXPECT_TRUE(logs::Contacts(SweepResult{}.tally).empty());
  tl.Add(logs::Contacts(SweepResult{}.tally));  // nothing: no entry, no file counted
  auto entries = tl.Entries(+[](const ioc::Indicator* i) { return std::string_view(i->value); });
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].hits, 4u);
  EXPECT_EQ(entries[0].files, 2u);
  EXPECT_EQ(*entries[0].first_ms, 1000);
  EXPECT_EQ(*entries[0].last_ms, 9000);
}

}  // namespace
}  // namespace trawl::artifacts

#include "trawl/sweep/hosts.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace trawl::sweep {
namespace {

std::map<std::string, Context::HostSighting> ByKey(std::vector<Context::HostSighting> v) {
  std::map<std::string, Context::HostSighting> out;
  for (auto& h : v) out[h.kind + " " + h.value] = std::move(h);
  return out;
}

TEST(HostTally, CountsEachValueWithTimesAndTheFirstLocator) {
  HostTally t("/var/log/x");
  t.AddText("resolved cdn.evil.example to 203.0.113.7", std::optional<std::int64_t>(2000), 5);
  t.AddText("GET https://cdn.evil.example/a from 2001:db8::1", std::optional<std::int64_t>(1000), 9);
  t.AddText("no time for cdn.evil.example", std::nullopt, 12);
  EXPECT_EQ(t.size(), 4u);
  auto got = ByKey(t.Take());
  EXPECT_TRUE(t.empty());
  ASSERT_EQ(got.size(), 4u);
  const auto& d = got.at("domain cdn.evil.example");
  EXPECT_EQ(d.count, 3u);
  EXPECT_EQ(d.first_ms, 1000);
  EXPECT_EQ(d.last_ms, 2000);
  EXPECT_EQ(d.example, "/var/log/x:5");
  EXPECT_EQ(got.at("ipv4 203.0.113.7").example, "/var/log/x:5");
  EXPECT_EQ(got.at("ipv6 2001:db8::1").example, "/var/log/x:9");
  EXPECT_EQ(got.at("url https://cdn.evil.example/a").count, 1u);
}

TEST(HostTally, TimeIsAskedOnlyForTextNamingAHostAndOnlyOnce) {
  HostTally t;
  int asked = 0;
  auto time = [&] {
    ++asked;
    return std::optional<std::int64_t>(7);
  };
  t.AddText("nothing here at all", time, 1);
  EXPECT_EQ(asked, 0);
  t.AddText("a.example b.example 10.0.0.1", time, 2);
  EXPECT_EQ(asked, 1);
}

TEST(HostTally, SkipDropsNamesEndingInsideTheOverlap) {
  HostTally t;
  std::string text = "old.example new.example";
  t.AddText(text, [] { return std::optional<std::int64_t>(); }, 0, 11);
  std::vector<std::string> values;
  t.ForEach([&](std::string_view, std::string_view v, const HostTally::Agg&) {
    values.emplace_back(v);
  });
  EXPECT_EQ(values, std::vector<std::string>{"new.example"});
}

TEST(HostTally, FlushesWhenFullAndAtTheEndSoMemoryIsBounded) {
  std::vector<std::size_t> batches;
  std::size_t total = 0;
  HostTally t(
      "f",
      [&](std::vector<Context::HostSighting>&& v) {
        batches.push_back(v.size());
        total += v.size();
      },
      100);
  for (int i = 0; i < 250; ++i) t.AddText("h" + std::to_string(i) + ".example", std::nullopt, i);
  t.Flush();
  EXPECT_EQ(total, 250u);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], 100u);
  EXPECT_EQ(batches[2], 50u);
}

TEST(HostTally, AnExplicitExampleNamesTheConnection) {
  HostTally t;
  t.AddText("203.0.113.7", std::optional<std::int64_t>(1), "tcp 10.0.0.5:5 -> 203.0.113.7:443");
  t.AddText("203.0.113.7", std::optional<std::int64_t>(2), "tcp 10.0.0.5:6 -> 203.0.113.7:443");
  auto got = ByKey(t.Take());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.at("ipv4 203.0.113.7").example, "tcp 10.0.0.5:5 -> 203.0.113.7:443");
  EXPECT_EQ(got.at("ipv4 203.0.113.7").count, 2u);
}

}  // namespace
}  // namespace trawl::sweep

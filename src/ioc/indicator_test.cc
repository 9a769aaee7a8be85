#include "trawl/ioc/indicator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace trawl::ioc {
namespace {

Indicator Make(Kind kind, std::string value, std::string fp = "") {
  Indicator ind;
  ind.kind = kind;
  ind.value = std::move(value);
  ind.fp_regex = std::move(fp);
  return ind;
}

TEST(KindNames, NamesAndClasses) {
  struct Row {
    Kind kind;
    const char* name;
    const char* reason;
    bool hash;
    bool net;
  };
  const Row rows[] = {
      {Kind::kMd5, "md5", "hash", true, false},
      {Kind::kSha1, "sha1", "hash", true, false},
      {Kind::kSha256, "sha256", "hash", true, false},
      {Kind::kFilename, "filename", "filename", false, false},
      {Kind::kDomain, "domain", "c2", false, true},
      {Kind::kIpv4, "ipv4", "c2", false, true},
      {Kind::kIpv6, "ipv6", "c2", false, true},
      {Kind::kCidr, "cidr", "c2", false, true},
      {Kind::kUrl, "url", "c2", false, true},
      {Kind::kKeyword, "keyword", "keyword", false, false},
  };
  for (const Row& r : rows) {
    EXPECT_STREQ(KindName(r.kind), r.name);
    EXPECT_STREQ(ReasonKind(r.kind), r.reason) << r.name;
    EXPECT_EQ(IsHashKind(r.kind), r.hash) << r.name;
    EXPECT_EQ(IsNetworkKind(r.kind), r.net) << r.name;
  }
}

TEST(IndicatorSet, DedupesByKindAndValueKeepingTheFirst) {
  IndicatorSet set;
  Indicator first = Make(Kind::kDomain, "evil.com");
  first.description = "first";
  EXPECT_TRUE(set.Add(first));
  Indicator again = Make(Kind::kDomain, "evil.com");
  again.description = "second";
  EXPECT_FALSE(set.Add(again));
  // Same text, other kind: not a duplicate.
  EXPECT_TRUE(set.Add(Make(Kind::kKeyword, "evil.com")));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.Materialize()[0].description, "first");
  EXPECT_EQ(set.CountOf(Kind::kDomain), 1u);
  EXPECT_EQ(set.CountOf(Kind::kKeyword), 1u);
  EXPECT_EQ(set.CountOf(Kind::kUrl), 0u);
}

TEST(IndicatorSet, FilenameIdentityIncludesTheFalsePositiveRegex) {
  IndicatorSet set;
  EXPECT_TRUE(set.Add(Make(Kind::kFilename, "\\\\x\\.exe", "")));
  EXPECT_TRUE(set.Add(Make(Kind::kFilename, "\\\\x\\.exe", "Program Files")));
  EXPECT_FALSE(set.Add(Make(Kind::kFilename, "\\\\x\\.exe", "Program Files")));
  EXPECT_EQ(set.CountOf(Kind::kFilename), 2u);
}

TEST(IndicatorSet, HashLookupOfKindAndTrust) {
  IndicatorSet set;
  const std::string md5(32, 'a'), sha1(40, 'b');
  ASSERT_TRUE(set.Add(Make(Kind::kMd5, md5)));
  ASSERT_TRUE(set.Add(Make(Kind::kSha1, sha1)));
  ASSERT_TRUE(set.Add(Make(Kind::kDomain, "x.org")));
  ASSERT_NE(set.FindHash(Kind::kMd5, md5), nullptr);
  EXPECT_EQ(set.FindHash(Kind::kMd5, md5)->value, md5);
  EXPECT_EQ(set.FindHash(Kind::kSha1, md5), nullptr);  // kind matters
  EXPECT_EQ(set.FindHash(Kind::kSha256, std::string(64, 'a')), nullptr);
  EXPECT_EQ(set.FindHash(Kind::kDomain, "x.org"), nullptr);  // not a hash kind
  EXPECT_TRUE(set.Has(Kind::kMd5));
  EXPECT_FALSE(set.Has(Kind::kSha256));
  EXPECT_EQ(set.CountOf(Kind::kSha1), 1u);
  std::vector<Indicator> all = set.Materialize();  // load order, hashes copied out
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].kind, Kind::kSha1);
  EXPECT_EQ(all[1].value, sha1);
  EXPECT_EQ(all[2].value, "x.org");
  // Records are everything but the store's hashes: what matchers point into.
  ASSERT_EQ(set.records().size(), 1u);
  EXPECT_EQ(set.records()[0].value, "x.org");
  EXPECT_TRUE(set.OfKind(Kind::kUrl).empty());

  EXPECT_FALSE(set.IsTrustedHash(md5));
  EXPECT_TRUE(set.AddTrustedHash(md5));
  EXPECT_FALSE(set.AddTrustedHash(md5));  // already trusted
  EXPECT_FALSE(set.AddTrustedHash("not-a-digest"));
  EXPECT_TRUE(set.IsTrustedHash(md5));
  EXPECT_FALSE(set.IsTrustedHash(sha1));
  EXPECT_EQ(set.trusted_count(), 1u);
  EXPECT_EQ(set.TrustedHashes(), std::vector<std::string>{md5});
}

// The compact hash store gives back what went in: value, score, description,
// source (a file and line, or a whole source), and the load order among
// records; the same hash with an and_filename stays a separate indicator.
TEST(IndicatorSet, HashStoreKeepsEveryField) {
  IndicatorSet set;
  const std::string sha256(64, 'c'), md5 = "0123456789abcdef0123456789abcdef";
  Indicator a = Make(Kind::kSha256, sha256);
  a.score = 70;
  a.description = "group";
  ASSERT_TRUE(set.AddAt(a, "feed/hash-iocs.txt", 12));
  ASSERT_TRUE(set.Add(Make(Kind::kDomain, "evil.org")));
  Indicator b = Make(Kind::kMd5, md5);
  b.description = "group";
  b.source = "bundle.json:indicator--1";
  ASSERT_TRUE(set.Add(b));
  Indicator bound = Make(Kind::kMd5, md5);
  bound.and_filename = "a.dll";
  ASSERT_TRUE(set.Add(bound));
  EXPECT_FALSE(set.AddAt(Make(Kind::kSha256, sha256), "other.txt", 1));  // duplicate
  EXPECT_EQ(set.size(), 4u);
  EXPECT_EQ(set.CountOf(Kind::kMd5), 2u);

  auto h = set.FindHash(Kind::kSha256, sha256);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->value, sha256);
  EXPECT_EQ(h->score, 70);
  EXPECT_EQ(h->description, "group");
  EXPECT_EQ(h->source, "feed/hash-iocs.txt:12");
  EXPECT_EQ(set.FindHash(Kind::kSha256, std::string(64, 'C')), nullptr);  // lower case only
  std::vector<Indicator> md5s = set.FindHashes(Kind::kMd5, md5);
  ASSERT_EQ(md5s.size(), 2u);
  EXPECT_EQ(md5s[0].source, "bundle.json:indicator--1");
  EXPECT_EQ(md5s[0].and_filename, "");
  EXPECT_EQ(md5s[1].and_filename, "a.dll");

  std::vector<Indicator> all = set.Materialize();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].value, sha256);
  EXPECT_EQ(all[1].value, "evil.org");
  EXPECT_EQ(all[2].value, md5);
  EXPECT_EQ(all[2].and_filename, "");
  EXPECT_EQ(all[3].and_filename, "a.dll");
}

// Issue 11: 10 million hashes must load in seconds. Counted, not timed: the
// index probes per added hash stay bounded (open addressing at load <= 1/2),
// so the work is linear; the old node-based map of strings is gone.
TEST(IndicatorSet, HashLoadingIsLinearWork) {
  IndicatorSet set;
  const std::size_t n = 200000;
  char hex[65];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%016zx%016zx%016zx%016zx", i * 0x9E3779B97F4A7C15ull, i, ~i,
                  i ^ 0x5555);
    ASSERT_TRUE(set.AddAt(Make(Kind::kSha256, hex), "h.txt", i + 1));
  }
  // Adversarial shape: digests that differ only in their last byte.
  for (std::size_t i = 0; i < 256; ++i) {
    std::snprintf(hex, sizeof hex, "%062x%02zx", 0, i);
    ASSERT_TRUE(set.AddAt(Make(Kind::kSha256, hex), "h.txt", 1));
  }
  EXPECT_EQ(set.CountOf(Kind::kSha256), n + 256);
  EXPECT_LT(set.hash_probes(), 4 * (n + 256));
  EXPECT_TRUE(set.records().empty());
  std::snprintf(hex, sizeof hex, "%016zx%016zx%016zx%016zx", 77 * 0x9E3779B97F4A7C15ull,
                std::size_t{77}, ~std::size_t{77}, std::size_t{77} ^ 0x5555);
  auto h = set.FindHash(Kind::kSha256, hex);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->source, "h.txt:78");
}

// ioc::Problem is trawl::Problem (one struct, not two kept in step): a
// loader's problem goes to a sink's OnProblem(const trawl::Problem&) as it is,
// and the set a merge keeps travels with it.
TEST(Problem, IsTheCoreProblem) {
  static_assert(std::is_same_v<Problem, trawl::Problem>);
  LoadStats a, b;
  b.problems.push_back({"b:4", "not hex", "pack:3cx"});
  a.Merge(b);
  ASSERT_EQ(a.problems.size(), 1u);
  const trawl::Problem& core = a.problems[0];  // no conversion
  EXPECT_EQ(&core, &a.problems[0]);
  EXPECT_EQ(core.set, "pack:3cx");
  EXPECT_EQ(core.message, "not hex");
}

TEST(LoadStats, MergeAddsCountsAndKeepsProblems) {
  LoadStats a;
  a.name = "a";
  a.loaded["md5"] = 2;
  a.skipped["duplicate"] = 1;
  LoadStats b;
  b.name = "b";
  b.version = "v1";
  b.loaded["md5"] = 3;
  b.loaded["domain"] = 1;
  b.skipped["not hex"] = 1;
  b.problems.push_back({"b:4", "not hex"});
  a.Merge(b);
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.version, "v1");
  EXPECT_EQ(a.loaded["md5"], 5u);
  EXPECT_EQ(a.loaded["domain"], 1u);
  EXPECT_EQ(a.skipped["duplicate"], 1u);
  EXPECT_EQ(a.skipped["not hex"], 1u);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_EQ(a.problems[0].where, "b:4");
}

}  // namespace
}  // namespace trawl::ioc

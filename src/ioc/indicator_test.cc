#include "trawl/ioc/indicator.h"

#include <gtest/gtest.h>

#include <type_traits>

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
  EXPECT_EQ(set.all()[0].description, "first");
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
  auto sha1s = set.OfKind(Kind::kSha1);
  ASSERT_EQ(sha1s.size(), 1u);
  EXPECT_EQ(sha1s[0]->value, sha1);
  EXPECT_TRUE(set.OfKind(Kind::kUrl).empty());

  EXPECT_FALSE(set.IsTrustedHash(md5));
  set.AddTrustedHash(md5);
  EXPECT_TRUE(set.IsTrustedHash(md5));
  EXPECT_EQ(set.trusted_count(), 1u);
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

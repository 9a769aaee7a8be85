#include "trawl/content/content.h"

#include <gtest/gtest.h>

#include <string>

#include "trawl/hash/hash.h"

namespace trawl::content {
namespace {

// sha256("abc")
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

ioc::Indicator Hash(std::string and_name = "") {
  ioc::Indicator ind;
  ind.kind = ioc::Kind::kSha256;
  ind.value = kAbc;
  ind.source = "test:1";
  ind.and_filename = std::move(and_name);
  return ind;
}

TEST(ContentTest, NameAndHashIndicatorNeedsTheBaseName) {
  ioc::IndicatorSet set;
  set.Add(Hash("a.dll"));
  Engine e{&set, nullptr, hash::kSha256};
  Checker c(e);
  std::string abc = "abc";
  Outcome renamed = c.CheckBytes(Bytes(abc), {"/opt/b.dll", {}});
  EXPECT_TRUE(renamed.reasons.empty());
  Outcome named = c.CheckBytes(Bytes(abc), {"/opt/a.dll", {}});
  ASSERT_EQ(named.reasons.size(), 1u);
  EXPECT_EQ(named.reasons[0].kind, "hash");
  EXPECT_EQ(named.hashes.at("sha256"), kAbc);
  // A directory of that name is not the base name.
  EXPECT_TRUE(c.CheckBytes(Bytes(abc), {"/a.dll/x", {}}).reasons.empty());
}

TEST(ContentTest, TrustedHashSuppressesEveryReason) {
  ioc::IndicatorSet set;
  set.Add(Hash());
  set.AddTrustedHash(kAbc);
  Engine e{&set, nullptr, hash::kSha256};
  Checker c(e);
  std::string abc = "abc";
  Outcome out = c.CheckBytes(Bytes(abc), {"/x", {}});
  EXPECT_TRUE(out.trusted);
  EXPECT_TRUE(out.reasons.empty());
}

TEST(ContentTest, HashReasonsIsTheOneRule) {
  ioc::IndicatorSet set;
  set.Add(Hash());
  set.Add(Hash("a.dll"));
  std::map<std::string, std::string> hashes{{"sha256", kAbc}};
  std::vector<Reason> reasons;
  EXPECT_TRUE(HashReasons(set, hashes, "/x/a.dll", reasons));
  EXPECT_EQ(reasons.size(), 2u);  // the unconditional and the bound indicator
  reasons.clear();
  EXPECT_TRUE(HashReasons(set, hashes, "/x/other", reasons));
  EXPECT_EQ(reasons.size(), 1u);
}

TEST(ContentTest, NothingToCheckNeedsNoBytes) {
  Engine e;
  Checker c(e);
  EXPECT_FALSE(c.wants_bytes());
}

}  // namespace
}  // namespace trawl::content

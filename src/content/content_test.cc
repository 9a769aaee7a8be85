#include "trawl/content/content.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "trawl/read/read.h"
#include "trawl/testsupport/temp_dir.h"

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

// Issue 11 part 1: hashing is under --file-timeout like every other reader. A
// file read only in part has no digest (a partial digest would be a wrong one),
// and the outcome says how far the read got.
TEST(ContentTest, FileTimeoutEndsTheReadWithNoDigest) {
  ioc::IndicatorSet set;
  set.Add(Hash());
  testsupport::TempDir dir("trawl-content");
  const std::string path = dir.Write("big.bin", "");
  ASSERT_EQ(truncate(path.c_str(), 64ll << 20), 0);  // 64 MiB, sparse: 256 chunks
  auto file = read::File::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();

  Engine slow{&set, nullptr, hash::kSha256, 30, 1e-9};  // passes after the first chunk
  Checker c(slow);
  auto out = c.CheckFile(*file, 1ull << 30, {path, {}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->timed_out);
  EXPECT_FALSE(out->stopped);
  EXPECT_TRUE(out->hashes.empty());
  EXPECT_TRUE(out->reasons.empty());
  EXPECT_GT(out->bytes, 0u);
  EXPECT_LT(out->bytes, 64ull << 20);

  Engine none{&set, nullptr, hash::kSha256};  // no timeout: the whole file, hashed
  Checker whole(none);
  auto full = whole.CheckFile(*file, 1ull << 30, {path, {}});
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->timed_out);
  EXPECT_EQ(full->bytes, 64ull << 20);
  EXPECT_EQ(full->hashes.count("sha256"), 1u);
}

}  // namespace
}  // namespace trawl::content

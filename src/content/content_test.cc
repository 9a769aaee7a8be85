#include "trawl/content/content.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "trawl/read/read.h"
#include "trawl/testsupport/temp_dir.h"

#include "trawl/hash/hash.h"
#include "trawl/yara/yara.h"

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

// Large files with YARA are mapped, not read into a buffer: the digests and
// matches are those of the same bytes checked in memory; a file that shrinks
// after it was opened is an error (SIGBUS caught), never a crash.
std::shared_ptr<const yara::Rules> MarkerRules(const testsupport::TempDir& dir) {
  yara::CompileStats cs;
  auto r = yara::Rules::Compile(
      {dir.Write("m.yar", "rule marker { strings: $m = \"BIGMARKER\" condition: $m and filesize > 1MB }\n")},
      cs);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : nullptr;
}

TEST(ContentTest, LargeFileIsMappedWithTheSameResults) {
  ioc::IndicatorSet set;
  testsupport::TempDir dir("trawl-content");
  std::string content(3u << 20, 'a');
  content.replace(2u << 20, 9, "BIGMARKER");
  const std::string path = dir.Write("big.bin", content);
  Engine e{&set, MarkerRules(dir), hash::kAllAlgos};
  Checker c(e);
  auto file = read::File::Open(path);
  ASSERT_TRUE(file.ok());
  auto mapped = c.CheckFile(*file, 100ull << 20, {path, {}});
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  Outcome in_memory = c.CheckBytes(Bytes(content), {path, {}});
  EXPECT_EQ(mapped->bytes, content.size());
  EXPECT_EQ(mapped->hashes, in_memory.hashes);
  EXPECT_EQ(mapped->hashes.size(), 3u);
  ASSERT_EQ(mapped->reasons.size(), 1u);
  ASSERT_EQ(in_memory.reasons.size(), 1u);
  EXPECT_EQ(mapped->reasons[0].indicator, "marker");
  EXPECT_FALSE(mapped->changed);
  EXPECT_FALSE(mapped->yara_error);
}

TEST(ContentTest, MappedFileThatShrinksIsAnError) {
  ioc::IndicatorSet set;
  testsupport::TempDir dir("trawl-content");
  const std::string path = dir.Write("shrinks.bin", std::string(4u << 20, 'b'));
  auto file = read::File::Open(path);  // its size is taken now: 4 MiB
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(truncate(path.c_str(), 0), 0);
  for (unsigned algos : {static_cast<unsigned>(hash::kSha256), 0u}) {  // hashing, then YARA
    Engine e{&set, MarkerRules(dir), algos};
    Checker c(e);
    auto out = c.CheckFile(*file, 100ull << 20, {path, {}});
    if (out.ok()) {
      ASSERT_TRUE(out->yara_error.has_value()) << algos;
      EXPECT_NE(out->yara_error->find("SIGBUS"), std::string::npos) << *out->yara_error;
      EXPECT_TRUE(out->reasons.empty());
    } else {
      EXPECT_NE(out.status().message().find("SIGBUS"), std::string::npos)
          << out.status().message();
    }
    // The checker goes on: a whole file next.
    const std::string next = dir.Write("next.bin", "abc");
    auto f2 = read::File::Open(next);
    ASSERT_TRUE(f2.ok());
    auto ok = c.CheckFile(*f2, 100ull << 20, {next, {}});
    ASSERT_TRUE(ok.ok()) << ok.status().message();
    EXPECT_EQ(ok->bytes, 3u);
  }
}

TEST(ContentTest, MappedFileHonoursTheFileTimeout) {
  ioc::IndicatorSet set;
  set.Add(Hash());
  testsupport::TempDir dir("trawl-content");
  const std::string path = dir.Write("big.bin", "");
  ASSERT_EQ(truncate(path.c_str(), 64ll << 20), 0);  // sparse, mapped (YARA wants it whole)
  auto file = read::File::Open(path);
  ASSERT_TRUE(file.ok());
  Engine slow{&set, MarkerRules(dir), hash::kSha256, 30, 1e-9};
  Checker c(slow);
  auto out = c.CheckFile(*file, 1ull << 30, {path, {}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->timed_out);
  EXPECT_TRUE(out->hashes.empty());
  EXPECT_TRUE(out->reasons.empty());
  EXPECT_LT(out->bytes, 64ull << 20);
}

}  // namespace
}  // namespace trawl::content

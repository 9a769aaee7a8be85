#include "trawl/hash/hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

namespace trawl::hash {
namespace {

const std::uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// Published test vectors (RFC 1321, FIPS 180-2 / NIST examples).
struct Vector {
  std::string input;
  const char* md5;
  const char* sha1;
  const char* sha256;
};
const Vector kVectors[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72", "a9993e364706816aba3e25717850c26c9cd0d89d",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "8215ef0796a20bcaaae116d3876c664a",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {std::string(1000000, 'a'), "7707d6ae4e027c70eea2a935c2296f21",
     "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

TEST(MultiHasher, KnownVectorsOneShot) {
  MultiHasher h(kMd5 | kSha1 | kSha256);
  ASSERT_TRUE(h.status().ok()) << h.status().message();
  for (const auto& v : kVectors) {
    h.Update(Bytes(v.input), v.input.size());
    auto d = h.Finish();  // also resets for the next vector
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d["md5"], v.md5) << v.input.size();
    EXPECT_EQ(d["sha1"], v.sha1) << v.input.size();
    EXPECT_EQ(d["sha256"], v.sha256) << v.input.size();
  }
}

TEST(MultiHasher, ArbitraryChunkBoundariesEqualOneShot) {
  // 1 MiB pattern, fed in random-sized chunks (including 0 and 1 bytes); the
  // reference is OpenSSL's own one-shot EVP_Digest.
  std::vector<std::uint8_t> data(1 << 20);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i * 31 + (i >> 9));
  std::map<std::string, std::string> want;
  for (auto [name, md] : {std::pair{"md5", EVP_md5()}, std::pair{"sha1", EVP_sha1()},
                          std::pair{"sha256", EVP_sha256()}}) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    ASSERT_EQ(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr), 1);
    want[name] = ToHex(out, len);
  }
  std::mt19937 rng(12345);
  MultiHasher h(kMd5 | kSha1 | kSha256);
  for (int round = 0; round < 5; ++round) {
    std::uniform_int_distribution<std::size_t> len(0, round == 0 ? 3 : 70000);
    std::size_t off = 0;
    while (off < data.size()) {
      std::size_t n = std::min(len(rng), data.size() - off);
      h.Update(data.data() + off, n);
      off += n;
    }
    EXPECT_EQ(h.Finish(), want) << "round " << round;
  }
}

TEST(MultiHasher, OnlySelectedAlgorithms) {
  const std::string abc = "abc";
  struct Case {
    unsigned algos;
    std::vector<std::string> keys;
  };
  const Case cases[] = {
      {kMd5, {"md5"}},
      {kSha1, {"sha1"}},
      {kSha256, {"sha256"}},
      {kMd5 | kSha256, {"md5", "sha256"}},
      {0, {}},
      {kSha1 | 0x80u, {"sha1"}},  // unknown bits ignored
  };
  for (const auto& c : cases) {
    MultiHasher h(c.algos);
    EXPECT_EQ(h.algos(), c.algos & kAllAlgos);
    h.Update(Bytes(abc), abc.size());
    auto d = h.Finish();
    std::vector<std::string> keys;
    for (const auto& [k, v] : d) keys.push_back(k);
    EXPECT_EQ(keys, c.keys) << "algos=" << c.algos;
    if (d.count("sha1")) {
      EXPECT_EQ(d["sha1"], kVectors[1].sha1);
    }
  }
}

TEST(MultiHasher, ResetAbandonsStreamAndMoveKeepsState) {
  MultiHasher h(kSha256);
  h.Update(Bytes(std::string("garbage")), 7);
  h.Reset();
  h.Update(Bytes(std::string("ab")), 2);
  MultiHasher moved = std::move(h);
  moved.Update(Bytes(std::string("c")), 1);
  EXPECT_EQ(moved.Finish()["sha256"], kVectors[1].sha256);
  auto created = MultiHasher::Create(kAllAlgos);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->algos(), kAllAlgos);
}

TEST(Hash, ToHexAndParseAlgos) {
  const std::uint8_t b[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(ToHex(b, 4), "000fa0ff");
  EXPECT_EQ(ToHex(b, 0), "");
  auto p = ParseAlgos("MD5, sha-256");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, kMd5 | kSha256);
  auto bad = ParseAlgos("md5,crc32");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("crc32"), std::string::npos);
  EXPECT_STREQ(AlgoName(kSha1), "sha1");
}

}  // namespace
}  // namespace trawl::hash

#include "trawl/core/shard.h"

#include <gtest/gtest.h>

#include <string>

namespace trawl {
namespace {

TEST(StableHash64, IsFnv1a64) {
  // The published FNV-1a 64 test vectors: the hash is fixed, never std::hash.
  EXPECT_EQ(StableHash64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(StableHash64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(StableHash64("foobar"), 0x85944171f73967e8ull);
}

TEST(ParseShard, AcceptsIOverN) {
  auto s = ParseShard("3/8");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 3u);
  EXPECT_EQ(s->count, 8u);
  EXPECT_EQ(s->Name(), "3/8");
  EXPECT_TRUE(ParseShard("1/1").ok());
  EXPECT_TRUE(ParseShard("65536/65536").ok());
}

TEST(ParseShard, RefusesBadValues) {
  for (const char* bad : {"0/0", "3/2", "0/4", "1/0", "junk", "", "/", "1/", "/2", "1/2/3", "-1/2",
                          "+1/2", " 1/2", "1/2 ", "1.5/2", "1/65537", "99999999999/2", "0x1/2"}) {
    auto s = ParseShard(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_NE(s.status().message().find("--shard"), std::string::npos);
    }
  }
  EXPECT_NE(ParseShard("3/2").status().message().find("larger than N"), std::string::npos);
}

TEST(Shard, EveryPathIsInExactlyOneShard) {
  for (std::uint32_t n : {1u, 2u, 3u, 7u}) {
    std::vector<int> per(n, 0);
    for (int i = 0; i < 2000; ++i) {
      std::string path = "/var/log/archive/host" + std::to_string(i) + ".log";
      int holders = 0;
      for (std::uint32_t k = 1; k <= n; ++k)
        if (Shard{k, n}.Holds(path)) {
          ++holders;
          ++per[k - 1];
        }
      EXPECT_EQ(holders, 1) << path;
    }
    for (int c : per) EXPECT_GT(c, 2000 / static_cast<int>(n) / 2);  // roughly even
  }
}

}  // namespace
}  // namespace trawl

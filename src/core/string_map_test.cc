#include "trawl/core/string_map.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace trawl {
namespace {

// Against std::map: every key found again with its own value, through growth
// (1,024 slots at first, doubled at half load), empty and binary keys too.
TEST(StringMap, AgreesWithAnOrderedMapThroughGrowth) {
  StringMap<int> m;
  std::map<std::string, int> want;
  for (int i = 0; i < 20000; ++i) {
    std::string k = (i % 7 == 0) ? std::string(1, '\0') + std::to_string(i % 5000)
                                 : "host" + std::to_string(i % 5000) + ".example";
    if (i == 3) k.clear();
    bool fresh = false;
    int& v = m.FindOrInsert(k, fresh);
    EXPECT_EQ(fresh, want.find(k) == want.end()) << i;
    v += 1;
    want[k] += 1;
  }
  EXPECT_EQ(m.size(), want.size());
  std::map<std::string, int> got;
  for (const auto& e : m.entries()) got[std::string(m.Key(e))] = e.value;
  EXPECT_EQ(got, want);
}

TEST(StringMap, ClearEmptiesAndTheMapIsUsableAgain) {
  StringMap<int> m;
  bool fresh = false;
  m.FindOrInsert("a.example", fresh) = 5;
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.key_bytes(), 0u);
  int& v = m.FindOrInsert("a.example", fresh);
  EXPECT_TRUE(fresh);
  EXPECT_EQ(v, 0);
}

// Keys that differ only past the first 8 bytes, or only in length.
TEST(StringMap, KeysDifferingLateOrInLengthAreDistinct) {
  StringMap<int> m;
  bool fresh = false;
  for (const char* k : {"abcdefgh1", "abcdefgh2", "abcdefgh"}) {
    m.FindOrInsert(std::string_view(k, std::char_traits<char>::length(k)), fresh);
    EXPECT_TRUE(fresh) << k;
  }
  m.FindOrInsert(std::string_view("abcdefgh\0", 9), fresh);
  EXPECT_TRUE(fresh);
  EXPECT_EQ(m.size(), 4u);
  EXPECT_NE(HashBytes("abcdefgh1"), HashBytes("abcdefgh2"));
}

}  // namespace
}  // namespace trawl

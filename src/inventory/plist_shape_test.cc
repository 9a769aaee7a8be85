// Regression (issue 11): a planted Info.plist nested 100,000 deep crashed the
// scan inside libplist; a small binary plist of doubly shared arrays expands
// to 2^depth nodes. Both are refused before libplist sees them.
#include "plist_shape.h"

#include <gtest/gtest.h>
#include <plist/plist.h>

#include <string>
#include <vector>

#include "test_util.h"
#include "trawl/inventory/inventory.h"

namespace trawl::inventory {
namespace {

void PutBe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A binary plist of `levels` arrays, each holding `fanout` references to the
// next (fanout 1: a chain; 2: every level shared twice), ending in an empty
// array.
std::string ChainBplist(std::uint64_t levels, int fanout) {
  std::string out = "bplist00";
  std::vector<std::uint64_t> offsets;
  for (std::uint64_t i = 0; i < levels; ++i) {
    offsets.push_back(out.size());
    if (i + 1 == levels) {
      out += '\xA0';
      break;
    }
    out += static_cast<char>(0xA0 | fanout);
    for (int k = 0; k < fanout; ++k) PutBe(out, i + 1, 4);
  }
  std::uint64_t table = out.size();
  for (std::uint64_t o : offsets) PutBe(out, o, 4);
  out += std::string(6, '\0');
  out += '\x04';  // offset int size
  out += '\x04';  // object ref size
  PutBe(out, offsets.size(), 8);
  PutBe(out, 0, 8);
  PutBe(out, table, 8);
  return out;
}

Status Check(const std::string& s) {
  return detail::CheckPlistShape(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

TEST(PlistShape, DeepBinaryChainIsRefused) {
  Status st = Check(ChainBplist(100000, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nested deeper than 128"), std::string::npos) << st.message();
}

TEST(PlistShape, SharedReferenceBombIsRefused) {
  std::string bomb = ChainBplist(60, 2);  // 2^60 nodes once expanded, 60 deep
  EXPECT_LT(bomb.size(), 1000u);
  Status st = Check(bomb);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("more than 200000 objects"), std::string::npos) << st.message();
}

TEST(PlistShape, ShallowChainsAndRealPlistsPass) {
  std::string shallow = ChainBplist(100, 1);
  EXPECT_TRUE(Check(shallow).ok());
  plist_t parsed = nullptr;  // the writer makes what libplist reads
  plist_from_bin(shallow.data(), static_cast<std::uint32_t>(shallow.size()), &parsed);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(plist_get_node_type(parsed), PLIST_ARRAY);
  plist_free(parsed);
  EXPECT_TRUE(Check(ChainBplist(12, 2)).ok());  // 4095 nodes
  plist_t d = plist_new_dict();
  plist_t arr = plist_new_array();
  plist_array_append_item(arr, plist_new_string("x"));
  plist_dict_set_item(d, "CFBundleName", plist_new_string("App"));
  plist_dict_set_item(d, "List", arr);
  char* bin = nullptr;
  std::uint32_t len = 0;
  plist_to_bin(d, &bin, &len);
  std::string real(bin, len);
  plist_to_bin_free(bin);
  char* xml = nullptr;
  plist_to_xml(d, &xml, &len);
  std::string real_xml(xml, len);
  plist_to_xml_free(xml);
  plist_free(d);
  EXPECT_TRUE(Check(real).ok());
  EXPECT_TRUE(Check(real_xml).ok());
  EXPECT_TRUE(Check("<plist><dict><key>a</key><array/><dict/></dict></plist>").ok());
}

TEST(PlistShape, DeepXmlIsRefused) {
  std::string xml = "<plist>";
  for (int i = 0; i < 100000; ++i) xml += i % 2 ? "<dict><key>k</key>" : "<array>";
  Status st = Check(xml);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nested deeper"), std::string::npos);
  std::string ok = "<plist>";
  for (int i = 0; i < 100; ++i) ok += "<array>";
  for (int i = 0; i < 100; ++i) ok += "</array>";
  EXPECT_TRUE(Check(ok).ok());
}

// End to end through the inventory: the planted bundle is an error naming the
// file, not a crash.
TEST(PlistShape, PlantedDeepInfoPlistIsAnErrorNotACrash) {
  inventory::testing::TempDir tree;
  std::string path =
      tree.Write("Applications/Evil.app/Contents/Info.plist", ChainBplist(100000, 1));
  ASSERT_EQ(Classify(path), Layout::kMacBundle);
  auto r = Examine(path, Layout::kMacBundle);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace trawl::inventory

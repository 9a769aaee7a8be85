#include "trawl/core/text.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(EscapeControl, EscapesTerminalSequences) {
  EXPECT_EQ(EscapeControl("plain/path.txt"), "plain/path.txt");
  EXPECT_EQ(EscapeControl("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeControl("\x1b]0;pwned\x07"), "\\e]0;pwned\\x07");
  EXPECT_EQ(EscapeControl("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeControl(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeControl("\x7f"), "\\x7f");
}

TEST(EscapeControl, KeepsValidUtf8AndEscapesTheRest) {
  EXPECT_EQ(EscapeControl("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeControl("bad\xff"), "bad\\xff");
  EXPECT_EQ(EscapeControl("\xc2\x9b" "31m"), "\\xc2\\x9b31m");  // C1 CSI
  EXPECT_EQ(EscapeControl("\xe2\x80\xae" "txt.exe"), "\\xe2\\x80\\xaetxt.exe");  // RLO
  EXPECT_EQ(EscapeControl("\xe2\x82"), "\\xe2\\x82");  // truncated
}

TEST(Utf8SequenceLength, AcceptsWellFormedAndRejectsTheRest) {
  struct Case {
    std::string bytes;
    size_t want;
  } cases[] = {
      {"a", 1},
      {"\xc3\xa9", 2},              // e-acute
      {"\xe2\x82\xac", 3},          // euro sign
      {"\xf0\x9f\x98\x80", 4},      // emoji
      {"\xc0\xaf", 0},              // overlong '/'
      {"\xe0\x80\xaf", 0},          // overlong, 3 bytes
      {"\xed\xa0\x80", 0},          // UTF-16 surrogate
      {"\xf4\x90\x80\x80", 0},      // beyond U+10FFFF
      {"\xe2\x82", 0},              // cut short
      {"\x80", 0},                   // lone continuation byte
      {"\xff", 0},
  };
  for (const Case& c : cases)
    EXPECT_EQ(Utf8SequenceLength(c.bytes, 0), c.want) << EscapeControl(c.bytes);
}

TEST(Text, Helpers) {
  EXPECT_EQ(ToLowerAscii("AbC.COM"), "abc.com");
  EXPECT_EQ(TrimAscii("  x y \t\r\n"), "x y");
  EXPECT_EQ(StripEol("line\r\n"), "line");
  EXPECT_EQ(StripEol("line\n\n"), "line");
  auto parts = Split("a;b;;c", ';');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(parts[3], "c");
  EXPECT_TRUE(IsHex("00aAfF99"));
  EXPECT_FALSE(IsHex("00g"));
  EXPECT_FALSE(IsHex(""));
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

TEST(HexEncode, EveryByteTwoLowercaseDigits) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\x10\x7f\x80\xff", 6)), "000f107f80ff");
  EXPECT_EQ(HexEncode("a\nb"), "610a62");
}

}  // namespace
}  // namespace trawl

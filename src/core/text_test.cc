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

// Regression (issue 11): invisible and line-breaking code points went to the
// console as they were.
TEST(EscapeControl, EscapesInvisibleAndSeparatorCodePoints) {
  const struct {
    const char* in;
    const char* out;
  } rows[] = {
      {"a\xe2\x80\x8b" "b", "a\\xe2\\x80\\x8bb"},  // U+200B zero-width space
      {"a\xe2\x80\x8c" "b", "a\\xe2\\x80\\x8cb"},  // U+200C ZWNJ
      {"a\xe2\x80\x8d" "b", "a\\xe2\\x80\\x8db"},  // U+200D ZWJ
      {"a\xe2\x80\x8e" "b", "a\\xe2\\x80\\x8eb"},  // U+200E LRM
      {"a\xe2\x80\x8f" "b", "a\\xe2\\x80\\x8fb"},  // U+200F RLM
      {"a\xd8\x9c" "b", "a\\xd8\\x9cb"},           // U+061C ALM
      {"\xef\xbb\xbf" "evil", "\\xef\\xbb\\xbfevil"},  // U+FEFF BOM / ZWNBSP
      {"a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b"},  // U+2028 line separator
      {"a\xe2\x80\xa9" "b", "a\\xe2\\x80\\xa9b"},  // U+2029 paragraph separator
      // Neighbours stay as they are.
      {"a\xe2\x80\x8a" "b", "a\xe2\x80\x8a" "b"},  // U+200A hair space
      {"a\xe2\x80\x90" "b", "a\xe2\x80\x90" "b"},  // U+2010 hyphen
      {"a\xe2\x80\xa7" "b", "a\xe2\x80\xa7" "b"},  // U+2027 hyphenation point
      {"a\xd8\x9b" "b", "a\xd8\x9b" "b"},          // U+061B arabic semicolon
      {"a\xef\xbb\xbe" "b", "a\xef\xbb\xbe" "b"},  // U+FEFE
  };
  for (const auto& r : rows) EXPECT_EQ(EscapeControl(r.in), r.out) << r.out;
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

TEST(AppendUtf8, EncodesEveryLengthAndReplacesWhatIsNotAScalarValue) {
  std::string s;
  for (std::uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u}) AppendUtf8(s, cp);
  EXPECT_EQ(s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  s.clear();
  AppendUtf8(s, 0xD800);    // a lone surrogate
  AppendUtf8(s, 0x110000);  // beyond Unicode
  EXPECT_EQ(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
  for (std::size_t i = 0; i < s.size(); i += 3) EXPECT_EQ(Utf8SequenceLength(s, i), 3u);
}

TEST(ParseSize, UnitsAndRefusals) {
  EXPECT_EQ(ParseSize("4096"), 4096u);
  EXPECT_EQ(ParseSize("512K"), 512ull << 10);
  EXPECT_EQ(ParseSize("100m"), 100ull << 20);
  EXPECT_EQ(ParseSize("16G"), 16ull << 30);
  EXPECT_EQ(ParseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(ParseSize("1T"), 1ull << 40);
  EXPECT_EQ(ParseSize("0"), 0u);
  for (const char* bad : {"", "-1", "+5", "G", "12X", "1GG", "99999999999999999999",
                          "17179869184G", " 5"})
    EXPECT_EQ(ParseSize(bad), std::nullopt) << bad;
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

// Routing decisions, one test each: what the analysis proves, and that what
// it cannot prove lands in every class.
#include "route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trawl::yara::route {
namespace {

// The tokens of a condition, as SplitSource cuts them.
std::vector<std::string> Cond(const std::string& condition) {
  SplitUnit u = SplitSource("rule r { strings: $a = \"a\" $b = \"b\" condition: " + condition + " }");
  EXPECT_TRUE(u.ok) << condition;
  return u.ok ? u.rules.at(0).condition : std::vector<std::string>{};
}

ClassMask Classes(const std::string& condition,
                  const std::vector<std::pair<std::string, RouteMask>>& known = {}) {
  return ConditionClasses(Cond(condition), known);
}

constexpr ClassMask Bit(int c) { return 1u << c; }

TEST(RouteTest, ClassOfByLeadingMagic) {
  auto of = [](std::string_view s) {
    return ClassOf(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(of("MZ\x90"), kPe);
  EXPECT_EQ(of(std::string_view("\x7f" "ELF\x02", 5)), kElf);
  EXPECT_EQ(of("\xcf\xfa\xed\xfe"), kMachO);
  EXPECT_EQ(of("\xd0\xcf\x11\xe0\xa1\xb1"), kOle);
  EXPECT_EQ(of("PK\x03\x04"), kZip);
  EXPECT_EQ(of("%PDF-1.7"), kPdf);
  EXPECT_EQ(of("#!/bin/sh"), kShebang);
  EXPECT_EQ(of("<?php"), kPhp);
  EXPECT_EQ(of("<%@ Page"), kAsp);
  EXPECT_EQ(of(std::string_view("\x4c\0\0\0\x01\x14", 6)), kLnk);
  EXPECT_EQ(of("{\\rtf1"), kRtf);
  EXPECT_EQ(of("M"), kOther);  // too short for any magic
  EXPECT_EQ(of(""), kOther);
  EXPECT_EQ(of("hello"), kOther);
}

TEST(RouteTest, MagicTestKeepsOnlyItsClass) {
  EXPECT_EQ(Classes("uint16(0) == 0x5a4d and $a"), Bit(kPe));
  EXPECT_EQ(Classes("uint16be(0) == 0x4d5a and $a"), Bit(kPe));
  EXPECT_EQ(Classes("uint32(0) == 0x464c457f"), Bit(kElf));
  EXPECT_EQ(Classes("uint32be(0) == 0x7f454c46"), Bit(kElf));
  EXPECT_EQ(Classes("0x5A4D == uint16(0)"), Bit(kPe));
  EXPECT_EQ(Classes("( uint16(0) == 0x5a4d ) and filesize < 2MB"), Bit(kPe));
  // "PK\x03\x04" starts with PK: a file of class OTHER cannot have it.
  EXPECT_EQ(Classes("uint32(0) == 0x04034b50"), Bit(kZip));
}

TEST(RouteTest, TopLevelOrUnitesClasses) {
  EXPECT_EQ(Classes("uint16(0) == 0x5a4d or uint32(0) == 0x464c457f"), Bit(kPe) | Bit(kElf));
  // One branch the analysis cannot bound: every class.
  EXPECT_EQ(Classes("uint16(0) == 0x5a4d or $a"), kAllClasses);
  EXPECT_EQ(Classes("(uint16(0) == 0x5a4d and $a) or 2 of them"), kAllClasses);
}

TEST(RouteTest, NegatedMagicExcludesOnlyItsClass) {
  EXPECT_EQ(Classes("not uint16(0) == 0x5a4d"), kAllClasses & ~Bit(kPe));
  EXPECT_EQ(Classes("uint16(0) != 0x5a4d and $a"), kAllClasses & ~Bit(kPe));
}

TEST(RouteTest, PartialMagicIsNotProof) {
  // "\x7fE" is the start of ELF's magic: a file "\x7fEab" is of class OTHER.
  EXPECT_EQ(Classes("uint16(0) == 0x457f"), Bit(kElf) | Bit(kOther));
  // "M" alone: PE files and OTHER files ("Mary").
  EXPECT_EQ(Classes("uint8(0) == 0x4d"), Bit(kPe) | Bit(kOther));
  // A read past PE's two magic bytes: unknown for PE, and a file starting
  // with "MZ" is never of class OTHER.
  EXPECT_EQ(Classes("uint32(0) == 0x00905a4d"), Bit(kPe));
}

TEST(RouteTest, UnprovableConditionsLandInEveryClass) {
  for (const char* c : {"$a", "filesize < 10KB", "filesize > 2MB", "true", "any of them",
                        "for any i in (0..10) : ( uint16(i) == 0x5a4d )",
                        "(uint16(0) + 1) == 0x5a4e", "uint16(4) == 0x5a4d",
                        "uint16(0) == 0x5a4d + 0", "math.entropy(0, filesize) > 7",
                        "filename == \"x\"", "pe.number_of_sections > 2 or $a"}) {
    EXPECT_EQ(Classes(c), kAllClasses) << c;
  }
  // Tokens the parser does not follow at all: every class.
  EXPECT_EQ(ConditionClasses({"uint16", "(", "0", ")", "==", "0x5a4d", ")"}, {}), kAllClasses);
  EXPECT_EQ(ConditionClasses({}, {}), kAllClasses);
}

TEST(RouteTest, DeepNestingIsBoundedAndUnknown) {
  // Far deeper than the analysis recurses: one opaque, unknown atom.
  std::string deep = std::string(5000, '(') + "uint16(0) == 0x5a4d" + std::string(5000, ')');
  EXPECT_EQ(Classes(deep), kAllClasses);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_EQ(Classes(nots + "uint16(0) == 0x5a4d"), kAllClasses);
  // Shallow nesting is still followed.
  EXPECT_EQ(Classes("((((uint16(0) == 0x5a4d))))"), Bit(kPe));
}

TEST(RouteTest, FilesizeBoundsSplitSmallAndLargeFiles) {
  const RouteMask small = 0x555555 & kAllRoutes, large = small << 1;
  auto routes = [](const std::string& c) { return ConditionRoutes(Cond(c), {}); };
  EXPECT_EQ(routes("filesize < 100KB and $a"), small);
  EXPECT_EQ(routes("100KB > filesize and $a"), small);
  EXPECT_EQ(routes("filesize <= 1048575"), small);
  EXPECT_EQ(routes("filesize < 1MB"), small);
  EXPECT_EQ(routes("filesize <= 1MB"), kAllRoutes);  // a file of exactly 1 MiB
  EXPECT_EQ(routes("filesize > 2MB"), large);
  EXPECT_EQ(routes("filesize >= 1MB"), large);
  EXPECT_EQ(routes("filesize > 1048575"), large);
  EXPECT_EQ(routes("filesize > 10"), kAllRoutes);
  EXPECT_EQ(routes("filesize == 5MB"), large);
  EXPECT_EQ(routes("not filesize < 100KB"), large | small);  // small files >= 100KB
  EXPECT_EQ(routes("filesize < 100KB and uint16(0) == 0x5a4d"), 1u << (2 * kPe));
  EXPECT_EQ(routes("filesize < 100KB or filesize > 3MB"), kAllRoutes);
  EXPECT_EQ(routes("filesize * 2 < 100KB"), kAllRoutes);  // not a plain comparison
}

TEST(RouteTest, RuleReferencesCarryTheirClasses) {
  std::vector<std::pair<std::string, RouteMask>> known = {{"IsPE", 3u << (2 * kPe)}};
  EXPECT_EQ(Classes("IsPE and $a", known), Bit(kPe));
  // A rule is false (never undefined) where it cannot match: `not` makes it true.
  EXPECT_EQ(Classes("not IsPE and $a", known), kAllClasses);
  // An unknown name is unknown.
  EXPECT_EQ(Classes("Other and $a", known), kAllClasses);
}

TEST(RouteTest, PeModuleIsUndefinedOutsidePe) {
  EXPECT_EQ(Classes("pe.is_pe and $a"), Bit(kPe));
  EXPECT_EQ(Classes("pe.imphash() == \"abc\""), Bit(kPe));
  EXPECT_EQ(Classes("pe.number_of_sections > 2"), Bit(kPe));
  EXPECT_EQ(Classes("pe.machine == pe.MACHINE_AMD64 and $a"), Bit(kPe));
  EXPECT_EQ(Classes("pe.version_info[\"CompanyName\"] contains \"x\""), Bit(kPe));
  EXPECT_EQ(Classes("$a at pe.entry_point"), Bit(kPe));
  EXPECT_EQ(Classes("for any i in (0 .. pe.number_of_signatures) : ( $a )"), Bit(kPe));
  // not undefined is undefined: still never true outside PE.
  EXPECT_EQ(Classes("not pe.exports(\"x\") and $a"), Bit(kPe));
  // pe.is_pe may be a defined false: its negation can be true anywhere.
  EXPECT_EQ(Classes("not pe.is_pe"), kAllClasses);
  // Unlisted functions and `for all` are not assumed undefined.
  EXPECT_EQ(Classes("pe.rva_to_offset(0) == 0"), kAllClasses);
  EXPECT_EQ(Classes("for all i in (0 .. pe.number_of_sections) : ( $a )"), kAllClasses);
}

TEST(RouteTest, SplitKeepsRulesVerbatimAndSeesIncludesAndGlobals) {
  const std::string text = R"(import "pe"
include "other.yar"
/* a comment with rule x { } */
private rule p : tag { condition: uint16(0) == 0x5a4d }
global rule g { strings: $h = { 4D 5A // brace } in a comment
  ?? } $r = /a{2}\/}/ $s = "}" condition: any of them }
rule q { meta: m = "{" condition: p and pe.is_pe }
)";
  SplitUnit u = SplitSource(text);
  ASSERT_TRUE(u.ok);
  EXPECT_TRUE(u.has_include);
  ASSERT_EQ(u.imports, std::vector<std::string>{"pe"});
  ASSERT_EQ(u.rules.size(), 3u);
  EXPECT_TRUE(u.rules[0].is_private);
  EXPECT_EQ(u.rules[0].text, "private rule p : tag { condition: uint16(0) == 0x5a4d }");
  EXPECT_TRUE(u.rules[1].is_global);
  EXPECT_EQ(u.rules[1].condition, (std::vector<std::string>{"any", "of", "them"}));
  EXPECT_EQ(u.rules[2].name, "q");
  std::vector<RuleFacts> f = AnalyseUnit(u);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].refs, std::vector<std::size_t>{0});
  EXPECT_EQ(f[2].modules, std::vector<std::string>{"pe"});
  EXPECT_EQ(f[2].classes, Bit(kPe));
  EXPECT_FALSE(SplitSource("rule broken { condition: $a ").ok);
  EXPECT_FALSE(SplitSource("rule nocond { strings: $a = \"x\" }").ok);
}

TEST(RouteTest, Md5ExternalIsSeenOnlyInConditions) {
  EXPECT_TRUE(UsesExternal(Cond("md5 == \"d41d8cd98f00b204e9800998ecf8427e\""), "md5"));
  EXPECT_FALSE(UsesExternal(Cond("hash.md5(0, filesize) == \"x\""), "md5"));
  EXPECT_FALSE(UsesExternal(Cond("$a and \"md5\" == filename"), "md5"));
  SplitUnit u = SplitSource(R"(rule meta_only { meta: md5 = "abc" strings: $md5 = "x" condition: $md5 })");
  ASSERT_TRUE(u.ok);
  EXPECT_FALSE(AnalyseUnit(u)[0].uses_md5);
}

TEST(RouteTest, NonPeRewriteDropsDeadPeBranches) {
  SplitUnit u = SplitSource(R"(import "pe"
rule r { strings: $a = "a" $b = "b"
  condition: (uint16(0) == 0x5a4d and pe.imphash() == "x" and $b) or $a }
rule keeps { condition: pe.rva_to_offset(0) == 0 }
rule under_not { strings: $a = "a" condition: $a and not (uint16(0) == 0x5a4d and pe.is_dll()) }
)");
  ASSERT_TRUE(u.ok);
  std::vector<RuleFacts> f = AnalyseUnit(u);
  ASSERT_EQ(f.size(), 3u);
  // The dead branch becomes false, keeping its string reference.
  EXPECT_NE(f[0].non_pe_text.find("( false and any of ( $b ) ) or $a"), std::string::npos)
      << f[0].non_pe_text;
  EXPECT_EQ(f[0].non_pe_text.find("pe."), std::string::npos);
  EXPECT_TRUE(f[0].non_pe_modules.empty());
  // Nothing provably dead: the rule keeps its text (and the set its import).
  EXPECT_TRUE(f[1].non_pe_text.empty());
  // Under `not`, false and undefined differ: no rewrite.
  EXPECT_TRUE(f[2].non_pe_text.empty());
}

}  // namespace
}  // namespace trawl::yara::route

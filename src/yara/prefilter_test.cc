// The prefilter (issue 12 part 3): which rules it may skip, the patterns of
// every string kind, and end to end that a routed scan with the prefilter
// finds, file for file and rule for rule, what a libyara scan of the whole
// set finds, on synthetic files that hit each kind of string, files that
// only a string-free rule matches, and files the prefilter settles.
#include "prefilter.h"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "route.h"
#include "trawl/yara/yara.h"

namespace trawl::yara {
namespace {

std::vector<std::string> Cond(const std::string& condition) {
  route::SplitUnit u =
      route::SplitSource("rule r { strings: $a = \"a\" $b = \"b\" condition: " + condition + " }");
  EXPECT_TRUE(u.ok) << condition;
  return u.ok ? u.rules.at(0).condition : std::vector<std::string>{};
}

bool Needs(const std::string& condition,
           const std::vector<std::pair<std::string, bool>>& known = {}) {
  return route::ConditionNeedsStrings(Cond(condition), known);
}

TEST(PrefilterTest, RulesThatNeedAStringMatch) {
  for (const char* c :
       {"$a", "$a or $b", "any of them", "all of them", "2 of ($a, $b)", "1 of ($a*)",
        "filesize < 100KB and 1 of ($a*)", "$a at 0", "$a in (0..100)", "#a > 0", "#a >= 1",
        "#a == 2", "0 < #a", "uint16(0) == 0x5a4d and ($a or $b)", "($a and not $b)",
        "any of them and pe_thing == 1"}) {
    EXPECT_TRUE(Needs(c)) << c;
  }
}

TEST(PrefilterTest, StringFreeCapableRulesAreNeverSkipped) {
  for (const char* c :
       {"filesize < 10", "not $a", "#a == 0", "#a < 2", "#a >= 0", "uint16(0) == 0x5a4d",
        "$a or filesize < 10", "0 of them", "not (any of them)", "for any of ($a*) : ( $ at 0 )",
        "true", "@a[1] < 100", "!a[1] == 3", "$a or other_rule", "$a or ext == 1"}) {
    EXPECT_FALSE(Needs(c)) << c;
  }
}

TEST(PrefilterTest, ReferencesToSkippableRulesCountAsStrings) {
  EXPECT_TRUE(Needs("other_rule", {{"other_rule", true}}));
  EXPECT_TRUE(Needs("other_rule or $a", {{"other_rule", true}}));
  EXPECT_FALSE(Needs("other_rule", {{"other_rule", false}}));
  EXPECT_TRUE(Needs("not other_rule and $a", {{"other_rule", true}}));
  EXPECT_FALSE(Needs("not other_rule", {{"other_rule", true}}));
}

std::vector<route::StringPattern> Patterns(const std::string& strings, bool* ok = nullptr) {
  std::vector<route::StringPattern> out;
  bool r = route::StringPatterns("rule r { strings: " + strings + " condition: any of them }", out);
  if (ok) *ok = r;
  return out;
}

// Whether Vectorscan finds any of `pats` in `data` (as the prefilter does).
bool Hits(const std::vector<route::StringPattern>& pats, const std::string& data) {
  prefilter::Database db;
  for (const route::StringPattern& p : pats) {
    EXPECT_TRUE(p.literal || prefilter::Usable(p)) << p.expr;
    db.Add(p, 1);
  }
  std::string error, bad;
  EXPECT_TRUE(db.Build(error, bad)) << error << " " << bad;
  prefilter::ScratchPtr s = db.NewScratch();
  return db.AnyHit(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), 0, s.get());
}

TEST(PrefilterTest, PatternsCoverEveryStringKind) {
  bool ok = false;
  // Text strings, escapes, nocase, wide, ascii wide.
  EXPECT_TRUE(Hits(Patterns(R"($a = "Evil\x41\"\\\t")", &ok), std::string("xxEvilA\"\\\tyy")));
  EXPECT_TRUE(ok);
  EXPECT_FALSE(Hits(Patterns(R"($a = "EvilA")"), "evila"));
  EXPECT_TRUE(Hits(Patterns(R"($a = "EvilA" nocase)"), "..eVILa.."));
  EXPECT_TRUE(Hits(Patterns(R"($a = "ab" wide)"), std::string("\0a\0b\0", 5)));
  EXPECT_FALSE(Hits(Patterns(R"($a = "abc" wide)"), "abc"));
  EXPECT_TRUE(Hits(Patterns(R"($a = "abc" wide ascii)"), "abc"));
  EXPECT_TRUE(Hits(Patterns(R"($a = "abc" fullword)"), "xabcx"));  // over-match is allowed
  // xor: every key in the range; wide xor is xor of the wide form.
  std::string x = "secret";
  for (char& c : x) c = static_cast<char>(c ^ 0x5a);
  EXPECT_TRUE(Hits(Patterns(R"($a = "secret" xor)"), x));
  EXPECT_TRUE(Hits(Patterns(R"($a = "secret" xor(0x50-0x60))"), x));
  EXPECT_FALSE(Hits(Patterns(R"($a = "secret" xor(1-3))"), x));
  std::string w = std::string("s\0e\0", 4);
  for (char& c : w) c = static_cast<char>(c ^ 7);
  EXPECT_TRUE(Hits(Patterns(R"($a = "se" wide xor(7))"), w));
  // Hex strings: wildcards, nibbles, jumps, alternatives, comments.
  const std::string hex = R"($h = { 4D 5A ?? 9? ?0 [2-4] ( 01 02 | 03 ) [-] FF // c
                                     })";
  EXPECT_TRUE(Hits(Patterns(hex, &ok), std::string("\x4d\x5a\x00\x93\x40zzz\x03qqqq\xff", 14)));
  EXPECT_TRUE(ok);
  EXPECT_FALSE(Hits(Patterns(hex), std::string("\x4d\x5a\x00\x83\x40zzz\x03qqqq\xff", 14)));
  EXPECT_TRUE(Hits(Patterns("$h = { 41 42 [3] 43 }"), "ABxyzC"));
  // A fixed run of 4 bytes or more outside alternatives stands for the
  // string as a literal (the longest run).
  auto frag = Patterns("$h = { 41 42 ?? 61 62 63 64 [1-9] ( 01 02 03 04 05 | 06 ) 7A }");
  ASSERT_EQ(frag.size(), 1u);
  EXPECT_TRUE(frag[0].literal);
  EXPECT_EQ(frag[0].expr, "\\x61\\x62\\x63\\x64");
  EXPECT_TRUE(Hits(frag, std::string("AB\x00"
                                     "abcd123\x06"
                                     "z",
                                     12)));
  // Regexes: flags, nocase, YARA's {,n}.
  EXPECT_TRUE(Hits(Patterns(R"($r = /ev[a-z]{,2}l\d+/)", &ok), "evaal42"));
  EXPECT_TRUE(ok);
  EXPECT_TRUE(Hits(Patterns(R"($r = /evil/i)"), "EVIL"));
  EXPECT_TRUE(Hits(Patterns(R"($r = /evil/ nocase)"), "eViL"));
  EXPECT_TRUE(Hits(Patterns(R"($r = /a.b/s)"), "a\nb"));
  EXPECT_TRUE(Hits(Patterns(R"($r = /a\/b/)"), "a/b"));
}

TEST(PrefilterTest, StringsWithoutSurePatternsMakeTheRuleUnskippable) {
  for (const char* s : {R"($a = "abc" base64)", R"($a = "abc" base64wide)", R"($r = /abc/ wide)",
                        R"($a = "abc" $b = "abcd" base64)"}) {
    bool ok = true;
    Patterns(s, &ok);
    EXPECT_FALSE(ok) << s;
  }
  // A rule whose pattern Vectorscan refuses is not skippable.
  route::SplitUnit u = route::SplitSource(
      R"(rule r { strings: $r = /a(b/ condition: $r } rule q { strings: $a = "q" condition: $a })");
  ASSERT_TRUE(u.ok);
  auto facts = route::AnalyseUnit(u, prefilter::Usable);
  EXPECT_TRUE(facts[0].needs_strings);
  EXPECT_FALSE(facts[0].skippable());
  EXPECT_TRUE(facts[1].skippable());
}

// A string the condition cannot do without: only its patterns are kept (the
// most selective one); otherwise every string's.
TEST(PrefilterTest, ANecessaryStringAloneIsEnough) {
  route::SplitUnit u = route::SplitSource(R"(
rule and_ { strings: $s = "ab" $l = "a_long_string" condition: $s and $l }
rule all_ { strings: $s = "ab" $m = "medium" $l = "longest_one" condition: all of them }
rule any_ { strings: $s = "ab" $l = "a_long_string" condition: any of them }
rule mixed { strings: $s = "ab" $x1 = "x_one" $x2 = "x_two" condition: $s and 1 of ($x*) }
rule count_ { strings: $s = "ab" $l = "a_long_string" condition: #s > 2 and ($l or filesize < 10) }
)");
  ASSERT_TRUE(u.ok);
  auto facts = route::AnalyseUnit(u);
  auto ids = [](const route::RuleFacts& f) {
    std::set<std::string> out;
    for (const route::StringPattern& p : f.patterns) out.insert(p.id);
    return out;
  };
  for (const auto& f : facts) EXPECT_TRUE(f.skippable());
  EXPECT_EQ(ids(facts[0]), (std::set<std::string>{"$l"}));
  EXPECT_EQ(ids(facts[1]), (std::set<std::string>{"$l"}));
  EXPECT_EQ(ids(facts[2]), (std::set<std::string>{"$s", "$l"}));
  EXPECT_EQ(ids(facts[3]), (std::set<std::string>{"$s"}));  // $x* are not needed one by one
  EXPECT_EQ(ids(facts[4]), (std::set<std::string>{"$s"}));
}

// --- End to end --------------------------------------------------------------

const char* kRules = R"(import "pe"
rule lit { strings: $a = "LITERAL_MARK" condition: $a }
rule lit_nocase { strings: $a = "CaseMark" nocase condition: $a }
rule lit_wide { strings: $a = "WideMark" wide condition: $a }
rule lit_xor { strings: $a = "XorMark" xor(1-255) condition: $a }
rule hex_jumps { strings: $h = { 11 22 [2-6] ( 33 | 44 55 ) ?? 6? 77 } condition: $h }
rule re { strings: $r = /re_[0-9]{3,}_mark/ condition: $r }
rule re_nocase { strings: $r = /ReNo[ab]+Mark/i condition: $r }
rule b64 { strings: $b = "Base64Mark" base64 condition: $b }
rule tiny { condition: filesize < 4 }
rule mz_only { condition: uint16(0) == 0x5a4d and filesize < 64 }
rule not_string { strings: $a = "NOPE_MARK" condition: not $a and filesize == 17 }
rule count_zero { strings: $a = "ZERO_MARK" condition: #a == 0 and uint32(0) == 0x464c457f }
private rule priv { strings: $a = "PRIV_MARK" condition: $a }
rule uses_priv { condition: priv }
rule two_strings { strings: $a = "TWO_A" $b = "TWO_B" condition: all of them }
rule pe_gated { strings: $a = "PE_MARK" condition: uint16(0) == 0x5a4d and $a }
rule pe_field { condition: pe.number_of_sections > 100 }
)";

std::vector<std::string> Files() {
  std::string x = "..XorMark..";
  for (std::size_t i = 2; i < 9; ++i) x[i] = static_cast<char>(x[i] ^ 0x21);
  std::string wide;
  for (char c : std::string("WideMark")) wide += std::string(1, c) + '\0';
  return {
      "nothing at all in this one, just text",
      "abc",                // tiny: a string-free rule only
      "MZ short file",      // mz_only
      "exactly 17 bytes!",  // not_string
      std::string("\x7f"
                  "ELF no strings",
                  14),  // count_zero
      std::string("\x7f"
                  "ELF ZERO_MARK",
                  13),
      "xx LITERAL_MARK yy",
      "xx cASEmARK yy",
      "xx " + wide + " yy",
      x,
      std::string("\x11\x22zzz\x44\x55Q\x6a\x77", 10),
      std::string("\x11\x22zzz\x44\x56Q\x6a\x77", 10),  // near miss
      "re_1234_mark",
      "re_12_mark",  // near miss
      "RENOABBAMARK",
      "QmFzZTY0TWFyaw==",  // base64 of Base64Mark
      "PRIV_MARK",
      "TWO_A only",
      "TWO_A TWO_B",
      "MZ and PE_MARK, long enough to miss mz_only, padded out to more than 64 bytes......",
      std::string(1100000, 'x') + "LITERAL_MARK",  // large-file sets
      std::string(1100000, 'y'),
  };
}

std::shared_ptr<const Rules> LoadRules(const CompileOptions& o) {
  CompileStats stats;
  auto r = Rules::Compile({}, {{"mem", kRules}}, stats, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  EXPECT_TRUE(stats.problems.empty()) << stats.problems.front().message;
  return r.ok() ? *r : nullptr;
}

std::vector<std::set<std::string>> ScanEach(const std::shared_ptr<const Rules>& rules,
                                            ScanCounters* counters) {
  Scanner scanner(rules, 60);
  std::vector<std::set<std::string>> out;
  for (const std::string& f : Files()) {
    ScanReport report;
    Status s = scanner.Scan(reinterpret_cast<const std::uint8_t*>(f.data()), f.size(), {}, report);
    EXPECT_TRUE(s.ok()) << s.message();
    std::set<std::string> hits;
    for (const Match& m : report.matches) hits.insert(m.rule);
    out.push_back(hits);
  }
  if (counters) *counters = scanner.counters();
  return out;
}

TEST(PrefilterTest, NeverDropsAFileThatTheWholeSetMatches) {
  CompileOptions exact;
  exact.exact = true;
  auto whole = LoadRules(exact);
  auto routed = LoadRules(CompileOptions{});
  ASSERT_TRUE(whole && routed);
  ASSERT_TRUE(routed->prefilter()) << routed->prefilter_error();
  // lit, lit_nocase, lit_wide, lit_xor, hex_jumps, re, re_nocase, priv,
  // uses_priv, two_strings, pe_gated; b64 has no sure pattern.
  EXPECT_EQ(routed->skippable_rules(), 11u);
  ScanCounters counters;
  auto want = ScanEach(whole, nullptr);
  auto got = ScanEach(routed, &counters);
  const std::vector<std::string> files = Files();
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(want[i], got[i]) << "file " << i << ": " << files[i].substr(0, 40);
  // Each kind of string did match in the whole set's scan.
  std::set<std::string> all;
  for (const auto& h : want) all.insert(h.begin(), h.end());
  for (const char* r :
       {"lit", "lit_nocase", "lit_wide", "lit_xor", "hex_jumps", "re", "re_nocase", "b64", "tiny",
        "mz_only", "not_string", "count_zero", "uses_priv", "two_strings", "pe_gated"})
    EXPECT_TRUE(all.count(r)) << r;
  EXPECT_EQ(want[1], (std::set<std::string>{"tiny"}));  // only a string-free rule
  // Files without any pattern were settled by the prefilter: the plain
  // text, "abc", "MZ short file", the 17 bytes, the ELF without strings, the
  // near misses, the base64 one, "TWO_A only" is not (TWO_A is a pattern).
  EXPECT_GE(counters.prefilter_settled, 8u);
  EXPECT_LT(counters.prefilter_settled, files.size());

  // And off, with the option: the same hits, nothing settled.
  CompileOptions off;
  off.prefilter = false;
  auto plain = LoadRules(off);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->prefilter());
  ScanCounters c2;
  EXPECT_EQ(ScanEach(plain, &c2), want);
  EXPECT_EQ(c2.prefilter_settled, 0u);
}

// One instance of a hex string, written independently of route.cc's
// translation: bytes as written, ?? and nibbles filled with zero bits, a jump
// as its least length, an alternative as its first branch.
std::string HexInstance(const std::string& body, std::size_t& i) {
  std::string out;
  auto hexval = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
  };
  while (i < body.size()) {
    char c = body[i];
    if (c == ')' || c == '|') return out;
    if (c == '(') {
      ++i;
      out += HexInstance(body, i);                              // first branch
      for (int depth = 1; i < body.size() && depth > 0; ++i) {  // skip the others
        if (body[i] == '(') ++depth;
        if (body[i] == ')') --depth;
      }
      continue;
    }
    if (c == '[') {
      std::size_t e = body.find(']', i);
      std::string j;
      for (char ch : body.substr(i + 1, e - i - 1))
        if (!std::isspace(static_cast<unsigned char>(ch))) j += ch;
      std::size_t n = j.empty() || j[0] == '-' ? 0 : std::stoul(j);
      out += std::string(n, 'J');
      i = e + 1;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) || i + 1 >= body.size()) {
      ++i;
      continue;
    }
    char d = body[i + 1];
    int hi = c == '?' ? 0 : hexval(c), lo = d == '?' ? 0 : hexval(d);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// signature-base's hex strings (and text strings) planted in buffers, behind
// each class's magic in turn, and buffers with none of them: the routed scan
// with the prefilter equals the whole set's, and the prefilter settles the
// empty ones.
TEST(PrefilterTest, SignatureBaseHexStringsPlantedRoutedEqualsExact) {
  namespace fs = std::filesystem;
  const fs::path sb = fs::path(TRAWL_SHARED_DATA) / "signature-base" / "yara";
  ASSERT_TRUE(fs::is_directory(sb)) << sb;
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(sb)) {
    std::string ext = e.path().extension().string();
    if (ext == ".yar" || ext == ".yara") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  const std::vector<std::string> heads = {"MZ\x90",
                                          std::string("\x7f"
                                                      "ELF\x02\x01",
                                                      6),
                                          "#!/bin/sh\n",
                                          "<?php\n",
                                          "PK\x03\x04",
                                          "\xd0\xcf\x11\xe0",
                                          "%PDF-1.4\n",
                                          "\n"};
  const std::regex hex_string(R"re(\$[A-Za-z0-9_]*\s*=\s*\{([^}]*)\})re");
  const std::regex text_string(R"re(\$[A-Za-z0-9_]*\s*=\s*"((?:[^"\\\n]|\\.)*)")re");
  std::vector<std::string> buffers;
  std::size_t hex_count = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::string text = ReadAll(paths[i]);
    std::string hex_body, text_body;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), hex_string);
         it != std::sregex_iterator(); ++it) {
      std::string b = (*it)[1];
      // Plain hex strings only (no comments, nothing this generator does not know).
      if (b.find_first_not_of("0123456789abcdefABCDEF?[]()|- \t\r\n") != std::string::npos)
        continue;
      std::size_t k = 0;
      hex_body += HexInstance(b, k) + "\n";
      ++hex_count;
    }
    for (auto it = std::sregex_iterator(text.begin(), text.end(), text_string);
         it != std::sregex_iterator(); ++it)
      text_body += std::string((*it)[1]) + "\n";
    const std::string& head = heads[i % heads.size()];
    if (!hex_body.empty()) buffers.push_back(head + hex_body);
    if (!hex_body.empty() && i % 3 == 0) buffers.push_back(head + hex_body + text_body);
  }
  ASSERT_GT(hex_count, 1000u);
  for (const std::string& h : heads) buffers.push_back(h + "plain words of no interest\n");
  buffers.push_back("abc");

  CompileStats se, sr;
  CompileOptions exact_opt;
  exact_opt.exact = true;
  auto exact = Rules::Compile(paths, {}, se, exact_opt);
  auto routed = Rules::Compile(paths, {}, sr, CompileOptions{});
  ASSERT_TRUE(exact.ok() && routed.ok());
  ASSERT_TRUE((*routed)->prefilter()) << (*routed)->prefilter_error();
  EXPECT_GT((*routed)->skippable_rules(), 4000u);
  Scanner se_scan(*exact, 60), sr_scan(*routed, 60);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::string& b = buffers[i];
    auto* data = reinterpret_cast<const std::uint8_t*>(b.data());
    ScanReport want, got;
    ASSERT_TRUE(se_scan.Scan(data, b.size(), {}, want).ok());
    ASSERT_TRUE(sr_scan.Scan(data, b.size(), {}, got).ok());
    std::set<std::string> w, g;
    for (const Match& m : want.matches) w.insert(m.ns_file + ":" + m.rule);
    for (const Match& m : got.matches) g.insert(m.ns_file + ":" + m.rule);
    EXPECT_EQ(w, g) << "buffer " << i;
    hits += w.size();
  }
  EXPECT_GT(hits, 300u);  // the planted hex strings do trigger rules
  EXPECT_GE(sr_scan.counters().prefilter_settled, 1u);
}

}  // namespace
}  // namespace trawl::yara

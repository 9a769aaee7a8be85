// Table tests of every value modifier, wildcard/escape rule and condition
// form, after the Sigma specification's examples. Each case runs with the
// prefilter on and off: both must agree (the prefilter never drops a match).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "compile.h"
#include "trawl/sigma/engine.h"

namespace trawl::sigma {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string Rule(const std::string& detection) {
  return "title: t\nid: 11111111-1111-1111-1111-111111111111\nstatus: test\nlevel: high\n"
         "logsource:\n  product: windows\n  service: sysmon\ndetection:\n" +
         detection;
}

Event MakeEvent(const Fields& f) {
  Event e;
  e.channel = "Microsoft-Windows-Sysmon/Operational";
  e.event_id = 1;
  e.has_event_id = true;
  for (const auto& [k, v] : f) e.Add(k, v);
  return e;
}

// -1: rule did not load; 0/1: did not / did fire (prefilter on and off agree).
int Fires(const std::string& detection, const Fields& fields, EngineOptions opts = {}) {
  int result = -2;
  for (bool pre : {true, false}) {
    opts.prefilter = pre;
    Engine e(Mapping::Default(), opts);
    e.AddText(Rule(detection), "test.yml");
    EXPECT_TRUE(e.Finish().ok());
    if (e.report().loaded != 1) {
      for (const auto& i : e.report().issues) ADD_FAILURE() << i.reason << ": " << i.detail;
      return -1;
    }
    auto s = e.NewScratch();
    int hits = 0;
    Event ev = MakeEvent(fields);
    e.MatchEvent(ev, *s, [&](const Match&) { ++hits; });
    if (result != -2) {
      EXPECT_EQ(result, hits) << "prefilter changed the result: " << detection;
    }
    result = hits;
  }
  return result;
}

struct Case {
  const char* detection;
  Fields fields;
  int want;
};

void RunTable(std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(Fires(c.detection, c.fields), c.want) << c.detection;
}

TEST(SigmaModifiers, PlainValuesWildcardsAndEscapes) {
  RunTable({
      {"  s:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: s\n", {{"Image", "c:\\windows\\CMD.EXE"}}, 1},
      {"  s:\n    Image: 'cmd.exe'\n  condition: s\n", {{"Image", "C:\\cmd.exe"}}, 0},
      {"  s:\n    Image: '*\\cmd.exe'\n  condition: s\n", {{"Image", "C:\\x\\cmd.exe"}}, 1},
      {"  s:\n    Image: 'C:\\*cmd.exe'\n  condition: s\n", {{"Image", "C:\\a\\b\\cmd.exe"}}, 0},
      {"  s:\n    Image: 'C:\\*cmd.exe'\n  condition: s\n", {{"Image", "C:*cmd.exe"}}, 1},
      {"  s:\n    Image: 'C:\\\\*\\cmd.exe'\n  condition: s\n", {{"Image", "C:\\a\\b\\cmd.exe"}}, 1},
      {"  s:\n    Image: 'cmd.ex?'\n  condition: s\n", {{"Image", "cmd.exe"}}, 1},
      {"  s:\n    Image: 'cmd.ex?'\n  condition: s\n", {{"Image", "cmd.ex"}}, 0},
      // Escaped wildcards are literal; '\\' is one backslash; other backslashes stay.
      {"  s:\n    F: 'a\\*b'\n  condition: s\n", {{"F", "a*b"}}, 1},
      {"  s:\n    F: 'a\\*b'\n  condition: s\n", {{"F", "axb"}}, 0},
      {"  s:\n    F: 'a\\?b'\n  condition: s\n", {{"F", "axb"}}, 0},
      {"  s:\n    F: 'a\\\\b'\n  condition: s\n", {{"F", "a\\b"}}, 1},
      {"  s:\n    F: 'a\\\\*'\n  condition: s\n", {{"F", "a\\xyz"}}, 1},
      // Numbers and lists (OR).
      {"  s:\n    EventID: 1\n  condition: s\n", {{"EventID", "1"}}, 1},
      {"  s:\n    EventID:\n      - 4\n      - 5\n  condition: s\n", {{"EventID", "1"}}, 0},
      {"  s:\n    F:\n      - a\n      - b\n  condition: s\n", {{"F", "B"}}, 1},
      // Maps are AND; a list of maps is OR.
      {"  s:\n    A: x\n    B: y\n  condition: s\n", {{"A", "x"}, {"B", "z"}}, 0},
      {"  s:\n    - A: x\n    - B: y\n  condition: s\n", {{"A", "q"}, {"B", "y"}}, 1},
      // Empty string matches only an empty value; null: absent or empty.
      {"  s:\n    F: ''\n  condition: s\n", {{"F", ""}}, 1},
      {"  s:\n    F: ''\n  condition: s\n", {{"G", "x"}}, 0},
      {"  s:\n    F: null\n  condition: s\n", {{"G", "x"}}, 1},
      {"  s:\n    F: null\n  condition: s\n", {{"F", ""}}, 1},
      {"  s:\n    F: null\n  condition: s\n", {{"F", "x"}}, 0},
      // A field the event lacks never matches a value.
      {"  s:\n    F: '*'\n  condition: s\n", {{"G", "x"}}, 0},
      {"  s:\n    F: '*'\n  condition: s\n", {{"F", "x"}}, 1},
  });
}

TEST(SigmaModifiers, StringModifiers) {
  RunTable({
      {"  s:\n    F|contains: ell\n  condition: s\n", {{"F", "HELLO"}}, 1},
      {"  s:\n    F|startswith: he\n  condition: s\n", {{"F", "hello"}}, 1},
      {"  s:\n    F|startswith: el\n  condition: s\n", {{"F", "hello"}}, 0},
      {"  s:\n    F|endswith: llo\n  condition: s\n", {{"F", "hello"}}, 1},
      {"  s:\n    F|endswith: hel\n  condition: s\n", {{"F", "hello"}}, 0},
      {"  s:\n    F|contains|all:\n      - a\n      - b\n  condition: s\n", {{"F", "xaxbx"}}, 1},
      {"  s:\n    F|contains|all:\n      - a\n      - b\n  condition: s\n", {{"F", "xaxx"}}, 0},
      {"  s:\n    F|cased: Hello\n  condition: s\n", {{"F", "hello"}}, 0},
      {"  s:\n    F|cased: Hello\n  condition: s\n", {{"F", "Hello"}}, 1},
      {"  s:\n    F|contains|cased: ell\n  condition: s\n", {{"F", "HELLO"}}, 0},
      // windash: - and / and the Unicode dashes at a word start.
      {"  s:\n    F|windash|contains: ' -enc '\n  condition: s\n", {{"F", "powershell /enc x"}}, 1},
      {"  s:\n    F|windash|contains: ' -enc '\n  condition: s\n", {{"F", "powershell \xe2\x80\x93" "enc x"}}, 1},
      {"  s:\n    F|windash|contains: ' -enc '\n  condition: s\n", {{"F", "powershell enc x"}}, 0},
      {"  s:\n    F|windash|contains: 'a-b'\n  condition: s\n", {{"F", "a/b"}}, 0},
      // base64 ("spec: /bin/sh -> L2Jpbi9zaA==").
      {"  s:\n    F|base64: /bin/sh\n  condition: s\n", {{"F", "L2Jpbi9zaA=="}}, 1},
      {"  s:\n    F|base64|contains: /bin/sh\n  condition: s\n", {{"F", "xL2Jpbi9zaA==x"}}, 1},
      // base64offset: all three alignments ("ping" at offsets 0, 1, 2).
      {"  s:\n    F|base64offset|contains: ping\n  condition: s\n", {{"F", "cGluZw=="}}, 1},
      {"  s:\n    F|base64offset|contains: ping\n  condition: s\n", {{"F", "IHBpbmc="}}, 1},
      {"  s:\n    F|base64offset|contains: ping\n  condition: s\n", {{"F", "ICBwaW5n"}}, 1},
      {"  s:\n    F|base64offset|contains: ping\n  condition: s\n", {{"F", "cG9uZw=="}}, 0},
      // wide (UTF-16LE) then base64: "ping" -> cABpAG4AZwA=.
      {"  s:\n    F|wide|base64offset|contains: ping\n  condition: s\n", {{"F", "xxcABpAG4AZwxx"}}, 1},
      {"  s:\n    F|utf16le|base64: ab\n  condition: s\n", {{"F", "YQBiAA=="}}, 1},
      {"  s:\n    F|utf16be|base64: ab\n  condition: s\n", {{"F", "AGEAYg=="}}, 1},
      {"  s:\n    F|utf16|base64: ab\n  condition: s\n", {{"F", "//5hAGIA"}}, 1},
  });
}

// The literal a regex gives the prefilter: only text every match holds.
TEST(SigmaModifiers, RegexLiteralIsRequiredText) {
  struct {
    const char* re;
    const char* want;
  } cases[] = {
      {"^ab+c$", "ab"},
      {"(?i)invoke-(expression|webrequest)", "invoke-"},
      {"a(bc)?defg", "defg"},
      {"xy?zzzz", "zzzz"},
      {"abcd{0,2}ef", "abc"},
      {"abcd{2}ef", "abcd"},
      {"foo|barbaz", ""},          // top-level alternation
      {"(?x) a b c d", ""},        // extended mode: blanks are not text
      {"\\x41BCDEF", ""},          // multi-character escape
      {"a\\012bcdef", ""},         // octal (or a back reference): not read
      {"c:\\\\windows\\\\", "c:\\windows\\"},
      {"\\.exe$", ".exe"},
      {"[a-z]+\\s+-enc\\s", "-enc"},
      {"p[o0]wershell", "wershell"},
      {"\\d{3}-\\d{4}", "-"},
      {"caf\xc3\xa9ine", "caf"},     // non-ASCII breaks a run
      {"(?<!x)abcq*rst", "abc"},  // both runs required: the first of the longest
  };
  for (const auto& c : cases) EXPECT_EQ(detail::RegexLiteral(c.re), c.want) << c.re;
}

TEST(SigmaModifiers, RegexCidrNumbersExistsFieldref) {
  RunTable({
      {"  s:\n    F|re: '^ab+c$'\n  condition: s\n", {{"F", "abbbc"}}, 1},
      {"  s:\n    F|re: '^ab+c$'\n  condition: s\n", {{"F", "ABBC"}}, 0},
      {"  s:\n    F|re|i: '^ab+c$'\n  condition: s\n", {{"F", "ABBC"}}, 1},
      {"  s:\n    F|re: '(?i)\\Aab\\Z'\n  condition: s\n", {{"F", "AB"}}, 1},
      {"  s:\n    F|re: 'b$'\n  condition: s\n", {{"F", "ab\nc"}}, 0},
      {"  s:\n    F|re|m: 'b$'\n  condition: s\n", {{"F", "ab\nc"}}, 1},
      {"  s:\n    F|re: 'a.c'\n  condition: s\n", {{"F", "a\nc"}}, 0},
      {"  s:\n    F|re|s: 'a.c'\n  condition: s\n", {{"F", "a\nc"}}, 1},
      // Regexes whose literal goes to the prefilter (on and off must agree).
      {"  s:\n    F|re: '(?i)invoke-(expression|webrequest)'\n  condition: s\n",
       {{"F", "x INVOKE-WebRequest y"}}, 1},
      {"  s:\n    F|re: 'a(bc)?defg'\n  condition: s\n", {{"F", "adefg"}}, 1},
      {"  s:\n    F|re: 'xy?zzzz'\n  condition: s\n", {{"F", "xzzzz"}}, 1},
      {"  s:\n    F|re: 'abcd{0,2}ef'\n  condition: s\n", {{"F", "abcef"}}, 1},
      {"  s:\n    F|re: 'foo|barbaz'\n  condition: s\n", {{"F", "foo"}}, 1},
      {"  s:\n    F|re: 'p[o0]wershell'\n  condition: s\n", {{"F", "P0WERSHELL"}}, 0},
      {"  s:\n    F|re|i: 'p[o0]wershell'\n  condition: s\n", {{"F", "P0WERSHELL"}}, 1},
      {"  s:\n    F|re: 'p[o0]wershell'\n  condition: s\n", {{"G", "powershell"}}, 0},
      {"  s:\n    F|cidr: 192.168.0.0/16\n  condition: s\n", {{"F", "192.168.4.5"}}, 1},
      {"  s:\n    F|cidr: 192.168.0.0/16\n  condition: s\n", {{"F", "192.169.4.5"}}, 0},
      {"  s:\n    F|cidr: 10.0.0.0/8\n  condition: s\n", {{"F", "not-an-ip"}}, 0},
      {"  s:\n    F|cidr: 'fe80::/10'\n  condition: s\n", {{"F", "fe80::1"}}, 1},
      {"  s:\n    F|cidr: 'fe80::/10'\n  condition: s\n", {{"F", "fec0::1"}}, 0},
      {"  s:\n    F|gt: 10\n  condition: s\n", {{"F", "11"}}, 1},
      {"  s:\n    F|gt: 10\n  condition: s\n", {{"F", "10"}}, 0},
      {"  s:\n    F|gte: 10\n  condition: s\n", {{"F", "10"}}, 1},
      {"  s:\n    F|lt: 10\n  condition: s\n", {{"F", "9.5"}}, 1},
      {"  s:\n    F|lte: 10\n  condition: s\n", {{"F", "11"}}, 0},
      {"  s:\n    F|lt: 10\n  condition: s\n", {{"F", "abc"}}, 0},
      {"  s:\n    F|exists: true\n  condition: s\n", {{"F", ""}}, 1},
      {"  s:\n    F|exists: true\n  condition: s\n", {{"G", "x"}}, 0},
      {"  s:\n    F|exists: false\n  condition: s\n", {{"G", "x"}}, 1},
      {"  s:\n    A|fieldref: B\n  condition: s\n", {{"A", "Same"}, {"B", "same"}}, 1},
      {"  s:\n    A|fieldref: B\n  condition: s\n", {{"A", "one"}, {"B", "two"}}, 0},
      {"  s:\n    A|fieldref|startswith: B\n  condition: s\n", {{"A", "abc"}, {"B", "ab"}}, 1},
      {"  s:\n    A|fieldref|endswith: B\n  condition: s\n", {{"A", "abc"}, {"B", "bc"}}, 1},
      {"  s:\n    A|fieldref|contains: B\n  condition: s\n", {{"A", "abc"}, {"B", "x"}}, 0},
  });
}

TEST(SigmaModifiers, ExpandPlaceholders) {
  EngineOptions o;
  o.placeholders["admins"] = {"alice", "bob*"};
  EXPECT_EQ(Fires("  s:\n    U|expand: '%admins%'\n  condition: s\n", {{"U", "bobby"}}, o), 1);
  EXPECT_EQ(Fires("  s:\n    U|expand: '%admins%'\n  condition: s\n", {{"U", "carol"}}, o), 0);
  // Unset placeholder: rejected with its own reason.
  Engine e(Mapping::Default());
  e.AddText(Rule("  s:\n    U|expand: '%nope%'\n  condition: s\n"), "t.yml");
  ASSERT_EQ(e.report().issues.size(), 1u);
  EXPECT_EQ(e.report().issues[0].reason, "unset-placeholder");
}

TEST(SigmaModifiers, KeywordSearches) {
  RunTable({
      {"  k:\n    - mimikatz\n    - kiwi\n  condition: k\n", {{"A", "x"}, {"B", "run MIMIKATZ now"}}, 1},
      {"  k:\n    - mimikatz\n  condition: k\n", {{"A", "x"}}, 0},
      {"  k: 'sekurlsa::*'\n  condition: k\n", {{"A", "sekurlsa::logonpasswords"}}, 1},
      {"  k:\n    '|all':\n      - foo\n      - bar\n  condition: k\n", {{"A", "foo"}, {"B", "bar"}}, 1},
      {"  k:\n    '|all':\n      - foo\n      - bar\n  condition: k\n", {{"A", "foo"}}, 0},
  });
}

TEST(SigmaConditions, Forms) {
  const char* base =
      "  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n  filter:\n    C: 1\n  _hidden:\n    D: 1\n";
  auto run = [&](const char* cond, const Fields& f) {
    return Fires(std::string(base) + "  condition: " + cond + "\n", f);
  };
  Fields a{{"A", "1"}}, ab{{"A", "1"}, {"B", "1"}}, ac{{"A", "1"}, {"C", "1"}},
      abc{{"A", "1"}, {"B", "1"}, {"C", "1"}}, none{{"Z", "1"}}, d{{"D", "1"}};
  EXPECT_EQ(run("sel_a and sel_b", ab), 1);
  EXPECT_EQ(run("sel_a and sel_b", a), 0);
  EXPECT_EQ(run("sel_a or sel_b", a), 1);
  EXPECT_EQ(run("sel_a and not filter", a), 1);
  EXPECT_EQ(run("sel_a and not filter", ac), 0);
  EXPECT_EQ(run("not sel_a", none), 1);
  EXPECT_EQ(run("(sel_a or sel_b) and not filter", abc), 0);
  EXPECT_EQ(run("sel_a or sel_b and filter", a), 1);  // and binds tighter
  EXPECT_EQ(run("(sel_a or sel_b) and filter", a), 0);
  EXPECT_EQ(run("1 of sel_*", a), 1);
  EXPECT_EQ(run("all of sel_*", a), 0);
  EXPECT_EQ(run("all of sel_*", ab), 1);
  EXPECT_EQ(run("1 of them", none), 0);
  EXPECT_EQ(run("1 of them", d), 0);  // `them` leaves out _-prefixed identifiers
  EXPECT_EQ(run("1 of them", a), 1);
  EXPECT_EQ(run("all of them", ab), 0);
  EXPECT_EQ(run("all of them", abc), 1);
  EXPECT_EQ(run("2 of them", ab), 1);
  EXPECT_EQ(run("2 of them", a), 0);
  EXPECT_EQ(run("sel_a AND NOT filter", a), 1);  // keywords are case-insensitive
  EXPECT_EQ(run("1 of sel_* and not 1 of filter*", ab), 1);
  EXPECT_EQ(run("_hidden", d), 1);
  // A list of conditions: any holds.
  EXPECT_EQ(Fires(std::string(base) + "  condition:\n    - sel_b\n    - sel_a\n", a), 1);
}

TEST(SigmaConditions, MatchedFieldsAreReported) {
  Engine e(Mapping::Default());
  e.AddText(Rule("  sel:\n    Image|endswith: '\\x.exe'\n  f:\n    User: bob\n"
                 "  condition: sel and not f\n"),
            "t.yml");
  ASSERT_TRUE(e.Finish().ok());
  auto s = e.NewScratch();
  Fields fields{{"Image", "C:\\x.exe"}, {"User", "alice"}};  // the Event views these
  Event ev = MakeEvent(fields);
  std::vector<std::pair<std::string, std::string>> got;
  e.MatchEvent(ev, *s, [&](const Match& m) { got = m.fields; });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "Image");
  EXPECT_EQ(got[0].second, "C:\\x.exe");
}

}  // namespace
}  // namespace trawl::sigma

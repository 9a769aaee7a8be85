// The loader: every way a rule can be invalid is reported with its reason
// (file, line, id), counts add up, nothing else is dropped; logsource
// routing by channel, event id, mapping conditions and field renames.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "trawl/sigma/builtin.h"
#include "trawl/sigma/engine.h"

namespace trawl::sigma {
namespace {

std::string Doc(const std::string& body) {
  return "title: t\nid: 22222222-2222-2222-2222-222222222222\n" + body;
}
const char* kLs = "logsource:\n  product: windows\n  service: security\n";

std::string ReasonOf(const std::string& yaml) {
  Engine e(Mapping::Default());
  e.AddText(yaml, "bad.yml");
  if (e.report().issues.size() != 1) return "issues=" + std::to_string(e.report().issues.size());
  const LoadIssue& i = e.report().issues[0];
  EXPECT_EQ(i.path, "bad.yml");
  EXPECT_EQ(e.report().skipped.at(i.reason), 1u);
  EXPECT_EQ(e.report().loaded, 0u);
  return i.reason;
}

// Regression (found by fuzz/sigma_rule_fuzz in CI): yaml-cpp 0.7 looped
// forever on this text (kept in fuzz/corpus/sigma_rule); it is now refused as
// a YAML error, in bounded time.
TEST(SigmaLoader, RegressionYamlTextTheParserNeverFinishesIsAYamlError) {
  std::ifstream in(std::string(TRAWL_SOURCE_DIR) +
                       "/fuzz/corpus/sigma_rule/timeout-yaml-cpp-no-progress",
                   std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(text.size(), 100u);
  EXPECT_EQ(ReasonOf(text), "yaml-error");
}

TEST(SigmaLoader, EveryInvalidRuleIsReportedWithItsReason) {
  std::string ls = kLs;
  EXPECT_EQ(ReasonOf("title: [unclosed\n"), "yaml-error");
  EXPECT_EQ(ReasonOf("- a\n- b\n"), "not-a-rule");
  EXPECT_EQ(ReasonOf("id: x\n" + ls + "detection:\n  s:\n    A: 1\n  condition: s\n"),
            "missing-title");
  EXPECT_EQ(ReasonOf(Doc("detection:\n  s:\n    A: 1\n  condition: s\n")), "missing-logsource");
  EXPECT_EQ(ReasonOf(Doc(ls)), "missing-detection");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n")), "missing-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n  condition: s and\n")), "bad-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n  condition: nope\n")), "bad-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n  condition: 1 of x*\n")),
            "bad-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n  condition: s | count() > 5\n")),
            "bad-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: 1\n  condition: (s\n")), "bad-condition");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|frobnicate: 1\n  condition: s\n")),
            "unknown-modifier");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|re: '(('\n  condition: s\n")), "bad-regex");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|re|contains: x\n  condition: s\n")),
            "bad-modifier");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|i: x\n  condition: s\n")), "bad-modifier");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|cidr: 10.0.0.0/99\n  condition: s\n")),
            "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|gt: ten\n  condition: s\n")), "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|exists: maybe\n  condition: s\n")),
            "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|base64: 'a*'\n  condition: s\n")),
            "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A: []\n  condition: s\n")), "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A:\n      k: v\n  condition: s\n")),
            "bad-value");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    - A: 1\n    - x\n  condition: s\n")),
            "bad-detection");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s: {}\n  condition: s\n")), "bad-detection");
  EXPECT_EQ(ReasonOf(Doc(ls + "detection:\n  s:\n    A|expand: '%x%'\n  condition: s\n")),
            "unset-placeholder");
  EXPECT_EQ(ReasonOf(Doc(ls + "level: severe\ndetection:\n  s:\n    A: 1\n  condition: s\n")),
            "bad-level");
  EXPECT_EQ(ReasonOf(Doc("logsource:\n  product: aws\n  service: cloudtrail\n"
                         "detection:\n  s:\n    A: 1\n  condition: s\n")),
            "unmapped-logsource");
  EXPECT_EQ(ReasonOf(Doc("logsource:\n  product: windows\n  category: process_creation\n"
                         "detection:\n  s:\n    EventID: 4624\n  condition: s\n")),
            "no-event-fits");
  EXPECT_EQ(ReasonOf(Doc("correlation:\n  type: nope\n  rules: [x]\n  timespan: 5m\n")),
            "bad-correlation");
  EXPECT_EQ(ReasonOf(Doc("correlation:\n  type: event_count\n  rules: [x]\n  timespan: 5y\n")),
            "bad-correlation");
  EXPECT_EQ(ReasonOf(Doc("correlation:\n  type: event_count\n  rules: [x]\n  timespan: 5m\n"
                         "  condition:\n    lt: 3\n")),
            "correlation-unsupported");
  {
    Engine e(Mapping::Default());
    e.AddText(Doc("correlation:\n  type: event_count\n  rules: [nosuch]\n  timespan: 5m\n"
                  "  condition:\n    gte: 3\n"),
              "c.yml");
    ASSERT_TRUE(e.Finish().ok());
    ASSERT_EQ(e.report().issues.size(), 1u);
    EXPECT_EQ(e.report().issues[0].reason, "correlation-unresolved");
  }
  EXPECT_EQ(ReasonOf("title: f\nfilter:\n  rules: [x]\n"), "missing-condition");
  EXPECT_EQ(ReasonOf("title: f\nfilter:\n  s:\n    A: 1\n  condition: s\n"), "bad-filter");
}

TEST(SigmaLoader, FilterDocumentsApplyToTheRulesTheyName) {
  Engine e(Mapping::Default());
  e.AddText("title: Filter DCs\nfilter:\n  rules: [proc_rule]\n  dc:\n    Computer|startswith: 'DC-'\n"
            "  condition: not dc\n",
            "filter.yml");
  e.AddText(Doc("name: proc_rule\nlogsource:\n  product: windows\n  category: process_creation\n"
                "detection:\n  s:\n    Image|endswith: '\\x.exe'\n  condition: s\n"),
            "p.yml");
  e.AddText("title: Orphan\nfilter:\n  rules: [nosuch]\n  a:\n    A: 1\n  condition: not a\n",
            "orphan.yml");
  ASSERT_TRUE(e.Finish().ok());
  EXPECT_EQ(e.report().filters, 1u);
  ASSERT_EQ(e.report().issues.size(), 1u);
  EXPECT_EQ(e.report().issues[0].reason, "filter-unresolved");
  auto s = e.NewScratch();
  for (const char* computer : {"WS-1", "DC-1"}) {
    Event ev;
    ev.channel = "Security";  // 4688: Image -> NewProcessName, the filter's fields too
    ev.has_event_id = true;
    ev.event_id = 4688;
    ev.Add("EventID", "4688");
    ev.Add("NewProcessName", "C:\\x.exe");
    ev.Add("Computer", computer);
    int n = 0;
    e.MatchEvent(ev, *s, [&](const Match&) { ++n; });
    EXPECT_EQ(n, computer[0] == 'W' ? 1 : 0) << computer;
  }
}

TEST(SigmaLoader, LevelFloorAndGoodRulesAroundABadOne) {
  EngineOptions o;
  o.min_level = RuleLevel::kHigh;
  Engine e(Mapping::Default(), o);
  std::string ls = kLs;
  e.AddText(Doc(ls + "level: high\ndetection:\n  s:\n    A: 1\n  condition: s\n") + "---\n" +
                Doc(ls + "level: low\ndetection:\n  s:\n    A: 1\n  condition: s\n") + "---\n" +
                Doc(ls + "detection:\n  s:\n    A|nope: 1\n  condition: s\n") + "---\n" +
                Doc(ls + "level: critical\ndetection:\n  s:\n    A: 1\n  condition: s\n"),
            "multi.yml");
  EXPECT_EQ(e.report().documents, 4u);
  EXPECT_EQ(e.report().loaded, 2u);
  EXPECT_EQ(e.report().skipped.at("below-level"), 1u);
  EXPECT_EQ(e.report().skipped.at("unknown-modifier"), 1u);
  ASSERT_EQ(e.report().issues.size(), 2u);
  EXPECT_EQ(e.report().issues[1].line, 23);  // third document's first line (after 2 x 10 lines + 2 separators)
  EXPECT_EQ(e.report().issues[1].rule_id, "22222222-2222-2222-2222-222222222222");
}

int Count(const Engine& e, const Event& ev) {
  auto s = e.NewScratch();
  int n = 0;
  e.MatchEvent(ev, *s, [&](const Match&) { ++n; });
  return n;
}

TEST(SigmaRouting, ProcessCreationRunsOnSysmon1AndSecurity4688WithRenames) {
  Engine e(Mapping::Default());
  e.AddText(Doc("logsource:\n  product: windows\n  category: process_creation\n"
                "detection:\n  s:\n    Image|endswith: '\\evil.exe'\n  condition: s\n"),
            "p.yml");
  ASSERT_TRUE(e.Finish().ok());
  Event sysmon;
  sysmon.channel = "Microsoft-Windows-Sysmon/Operational";
  sysmon.has_event_id = true;
  sysmon.event_id = 1;
  sysmon.Add("EventID", "1");
  sysmon.Add("Image", "C:\\evil.exe");
  EXPECT_EQ(Count(e, sysmon), 1);
  Event wrong_id = sysmon;
  wrong_id.event_id = 3;
  wrong_id.fields[0].second = "3";
  EXPECT_EQ(Count(e, wrong_id), 0);  // Sysmon 3 is network_connection
  Event wrong_channel = sysmon;
  wrong_channel.channel = "Application";
  EXPECT_EQ(Count(e, wrong_channel), 0);  // keyed on channel, not EventID alone
  Event security;
  security.channel = "Security";
  security.has_event_id = true;
  security.event_id = 4688;
  security.Add("EventID", "4688");
  security.Add("NewProcessName", "C:\\evil.exe");  // Image -> NewProcessName
  EXPECT_EQ(Count(e, security), 1);
  Event unrenamed = security;
  unrenamed.fields[1].first = "Image";
  EXPECT_EQ(Count(e, unrenamed), 0);
}

// The prefilter (issue 14): a rule is evaluated exactly only when each of its
// AND-ed requirements has a literal in a value of the field it names; a
// literal in another field, or only one of two required literals, leaves the
// rule unevaluated. It may pass extra rules, never drop a match.
TEST(SigmaPrefilter, LiteralsCountOnlyInTheirFieldAndEveryClauseMustHold) {
  Engine e(Mapping::Default());
  e.AddText(Doc("logsource:\n  product: windows\n  category: process_creation\n"
                "detection:\n  img:\n    Image|endswith: '\\payloadtool.exe'\n"
                "  cli:\n    CommandLine|contains:\n      - '--exfiltrate'\n      - '--wipe-logs'\n"
                "  condition: img and cli\n"),
            "p.yml");
  ASSERT_TRUE(e.Finish().ok());
  auto run = [&](const std::string& image, const std::string& parent, const std::string& cli,
                 std::uint64_t* candidates) {
    Event ev;
    ev.channel = "Microsoft-Windows-Sysmon/Operational";
    ev.has_event_id = true;
    ev.event_id = 1;
    ev.Add("EventID", "1");
    ev.Add("Image", image);
    ev.Add("ParentImage", parent);
    ev.Add("CommandLine", cli);
    auto scratch = e.NewScratch();
    int n = 0;
    e.MatchEvent(ev, *scratch, [&](const Match&) { ++n; });
    *candidates = Engine::Stats(*scratch).candidates;
    return n;
  };
  std::uint64_t c = 0;
  EXPECT_EQ(run("C:\\t\\PayloadTool.exe", "C:\\x.exe", "x --WIPE-LOGS", &c), 1);
  EXPECT_EQ(c, 1u);
  // The image literal only in ParentImage: not this rule's field.
  EXPECT_EQ(run("C:\\x.exe", "C:\\t\\payloadtool.exe", "x --wipe-logs", &c), 0);
  EXPECT_EQ(c, 0u);
  // One clause without any of its literals.
  EXPECT_EQ(run("C:\\t\\payloadtool.exe", "C:\\x.exe", "x --help", &c), 0);
  EXPECT_EQ(c, 0u);
  // Both literals present, the exact condition still decides (endswith).
  EXPECT_EQ(run("C:\\t\\payloadtool.exe.bak", "C:\\x.exe", "x --exfiltrate", &c), 0);
  EXPECT_EQ(c, 1u);
}

TEST(SigmaRouting, MappingConditionsApply) {
  Engine e(Mapping::Default());
  e.AddText(Doc("logsource:\n  product: windows\n  category: registry_add\n"
                "detection:\n  s:\n    TargetObject|contains: 'Run'\n  condition: s\n"),
            "r.yml");
  ASSERT_TRUE(e.Finish().ok());
  Event ev;
  ev.channel = "Microsoft-Windows-Sysmon/Operational";
  ev.has_event_id = true;
  ev.event_id = 12;
  ev.Add("EventID", "12");
  ev.Add("EventType", "CreateKey");
  ev.Add("TargetObject", "HKLM\\...\\Run\\x");
  EXPECT_EQ(Count(e, ev), 1);
  ev.fields[1].second = "DeleteKey";  // registry_add needs EventType CreateKey
  EXPECT_EQ(Count(e, ev), 0);
}

TEST(SigmaRouting, TagRoutedSources) {
  Engine e(Mapping::Default());
  e.AddText(Doc("logsource:\n  category: proxy\ndetection:\n  s:\n    cs-host|endswith: '.bad'\n"
                "  condition: s\n"),
            "x.yml");
  ASSERT_TRUE(e.Finish().ok());
  Event ev;
  ev.category = "proxy";
  ev.Add("cs-host", "c2.bad");
  EXPECT_EQ(Count(e, ev), 1);
  ev.category = "webserver";
  EXPECT_EQ(Count(e, ev), 0);
}

TEST(SigmaBuiltin, TheEight3cxRulesLoad) {
  Engine e(Mapping::Default());
  AddBuiltinRules(e);
  ASSERT_TRUE(e.Finish().ok());
  EXPECT_EQ(BuiltinRuleFileCount(), 8u);
  EXPECT_EQ(e.report().loaded, 8u) << (e.report().issues.empty() ? "" : e.report().issues[0].detail);
  for (const RuleInfo* r : e.rules()) {
    EXPECT_EQ(r->path.rfind("builtin:sigma/", 0), 0u);
    EXPECT_FALSE(r->author.empty());
    EXPECT_FALSE(r->references.empty());
  }
}

}  // namespace
}  // namespace trawl::sigma

// `trawl sigma check` and `trawl sigma list` (issue 14): exit codes, skipped
// rules reported with file:line, id and reason; the built-in pack listed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "harness.h"

namespace {

struct Out {
  int code = -1;
  std::string text;
};

Out Trawl(const std::string& args) {
  Out o;
  std::string cmd = std::string(TRAWL_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.text.append(buf, n);
  int st = pclose(p);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

const char* kGood =
    "title: Good\nid: 44444444-4444-4444-4444-444444444444\nlevel: high\n"
    "logsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  s:\n    Image|endswith: '\\\\x.exe'\n  condition: s\n";

TEST(SigmaCli, CheckReportsEachBadRuleAndExitsTwo) {
  trawl::e2e::TempDir d;
  d.Write("rules/good.yml", kGood);
  d.Write("rules/sub/bad.yml",
          "title: Bad\nid: 55555555-5555-5555-5555-555555555555\n"
          "logsource:\n  product: windows\n  service: security\n"
          "detection:\n  s:\n    A|nosuch: 1\n  condition: s\n");
  d.Write("rules/cloud.yml",
          "title: Cloud\nid: 66666666-6666-6666-6666-666666666666\n"
          "logsource:\n  product: aws\n  service: cloudtrail\n"
          "detection:\n  s:\n    A: 1\n  condition: s\n");
  Out o = Trawl("sigma check " + trawl::e2e::ShellQuote(d.path() + "/rules"));
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("SKIP " + d.path() + "/rules/sub/bad.yml:1 55555555-5555-5555-5555-555555555555 [unknown-modifier]"),
            std::string::npos)
      << o.text;
  EXPECT_NE(o.text.find("NOTE " + d.path() + "/rules/cloud.yml:1"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("loaded 1, skipped 2 (1 problems)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("windows/process_creation/-"), std::string::npos) << o.text;
}

TEST(SigmaCli, CheckCleanSetExitsZeroAndListShowsRules) {
  trawl::e2e::TempDir d;
  std::string good = d.Write("good.yml", kGood);
  Out o = Trawl("sigma check " + trawl::e2e::ShellQuote(good));
  EXPECT_EQ(o.code, 0) << o.text;
  Out l = Trawl("sigma list " + trawl::e2e::ShellQuote(good));
  EXPECT_EQ(l.code, 0) << l.text;
  EXPECT_NE(l.text.find("44444444-4444-4444-4444-444444444444\thigh\twindows/process_creation/-\tGood"),
            std::string::npos)
      << l.text;
  Out b = Trawl("sigma list");
  EXPECT_EQ(b.code, 0) << b.text;
  EXPECT_NE(b.text.find("builtin:sigma/proxy_malware_3cx_compromise_c2_beacon_activity.yml"),
            std::string::npos)
      << b.text;
  Out missing = Trawl("sigma check /nonexistent/rules.yml");
  EXPECT_EQ(missing.code, 2) << missing.text;
}

}  // namespace

// The Sigma sweep in `trawl scan` (issue 14, wired into the sweep seam of
// issue 10): the built-in 3CX rules run on a bare scan, --events names JSON
// exports, --sigma adds rules, a rule that does not load is a problem line.
namespace scan_sigma {

const char* kSpawn =
    R"({"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Sysmon"},"EventID":1,)"
    R"("Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc1",)"
    R"("TimeCreated":{"SystemTime":"2023-03-29T10:00:00Z"},"EventRecordID":7},)"
    R"("EventData":{"ParentImage":"C:\\Users\\a\\AppData\\Local\\Programs\\3CXDesktopApp\\3CXDesktopApp.exe",)"
    R"("Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami"}}})"
    "\n";
const char* kQuiet =
    R"({"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},)"
    R"("EventData":{"ParentImage":"C:\\Windows\\explorer.exe","Image":"C:\\Windows\\System32\\cmd.exe"}}})"
    "\n";

TEST(SigmaScan, BuiltinRulesFireOnAnEventsExport) {
  trawl::e2e::TempDir d;
  d.Write("export/sysmon.jsonl", std::string(kQuiet) + kSpawn + kQuiet);
  auto r = trawl::e2e::RunTrawl({"scan", d.path() + "/export", "--events", "*.jsonl"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  std::vector<nlohmann::json> hits;
  for (const auto& f : r.Of("finding"))
    if (f.value("module", "") == "sigma") hits.push_back(f);
  ASSERT_EQ(hits.size(), 1u) << r.out << r.err;
  const auto& h = hits[0];
  EXPECT_EQ(h.value("record", -1), 7);
  EXPECT_EQ(h.value("computer", ""), "pc1");
  EXPECT_NE(h.value("rule_title", "").find("3CX"), std::string::npos);
  EXPECT_EQ(h["reasons"][0].value("kind", ""), "sigma");
  EXPECT_EQ(r.Summary()->value("sigma_hits", -1), 1);
  EXPECT_EQ(r.Summary()->value("sigma_events", -1), 3);
  EXPECT_NE(r.Summary()->value("modules_run", "").find("sigma"), std::string::npos);
  // A high rule is a warning: the exit code says so.
  EXPECT_EQ(r.exit_code, 1);
}

// Regression (issue 14): Sigma claimed EVTX files by their extension only, so
// an event log renamed by an attacker (or a collector) was never evaluated.
// It is now recognised by its signature, from the pipeline's one read of the
// entry's first bytes, and gives the same events as under its own name.
TEST(SigmaScan, RegressionRenamedEventLogIsReadByItsSignature) {
  const std::string sample = std::string(TRAWL_SHARED_DATA) + "/evtx/omerbenamram-evtx__sysmon.evtx";
  const std::string bytes = trawl::e2e::ReadFile(sample);
  ASSERT_GT(bytes.size(), 4096u);
  std::int64_t events[2] = {-1, -1};
  const char* names[2] = {"named/Sysmon.evtx", "renamed/copy.bak"};
  for (int i = 0; i < 2; ++i) {
    trawl::e2e::TempDir d;
    std::string path = d.Write(names[i], bytes);
    auto r = trawl::e2e::RunTrawl({"scan", "--no-packs", "--modules", "sigma",
                                   path.substr(0, path.rfind('/'))});
    ASSERT_NE(r.Summary(), nullptr) << r.err;
    events[i] = r.Summary()->value("sigma_events", -1);
  }
  EXPECT_GT(events[0], 0);
  EXPECT_EQ(events[1], events[0]);
}

TEST(SigmaScan, WithoutEventsGlobAJsonFileIsNotRead) {
  trawl::e2e::TempDir d;
  d.Write("export/sysmon.jsonl", kSpawn);
  auto r = trawl::e2e::RunTrawl({"scan", d.path() + "/export"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_EQ(r.Summary()->value("sigma_events", -1), 0);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(SigmaScan, ExtraRulesLoadAndABrokenRuleIsAProblemLine) {
  trawl::e2e::TempDir d;
  d.Write("rules/good.yml", kGood);
  d.Write("rules/bad.yml",
          "title: Bad\nid: 66666666-6666-6666-6666-666666666666\nlevel: high\n"
          "logsource:\n  product: windows\n  category: process_creation\n"
          "detection:\n  s:\n    Image|nosuchmodifier: 'x'\n  condition: s\n");
  d.Write("ev/a.jsonl",
          R"({"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},)"
          R"("EventData":{"Image":"C:\\t\\x.exe"}}})"
          "\n");
  auto r = trawl::e2e::RunTrawl({"scan", d.path() + "/ev", "--no-builtin", "--events", "*.jsonl",
                                 "--sigma", d.path() + "/rules"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  bool problem = false;
  for (const auto& p : r.Of("problem"))
    if (p.value("set", "") == "sigma" &&
        p.value("where", "").find("bad.yml") != std::string::npos &&
        p.value("message", "").find("66666666") != std::string::npos)
      problem = true;
  EXPECT_TRUE(problem) << r.out;
  int hits = 0;
  for (const auto& f : r.Of("finding"))
    if (f.value("module", "") == "sigma" && f.value("rule_title", "") == "Good") ++hits;
  EXPECT_EQ(hits, 1);
}

TEST(SigmaScan, UnreadableRulePathStopsTheScanBeforeItStarts) {
  trawl::e2e::TempDir d;
  d.Write("x/a.txt", "nothing");
  auto r = trawl::e2e::RunTrawl({"scan", d.path() + "/x", "--sigma", d.path() + "/missing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
}

TEST(SigmaScan, ModulesWithoutSigmaRunsNoRules) {
  trawl::e2e::TempDir d;
  d.Write("export/sysmon.jsonl", kSpawn);
  auto r = trawl::e2e::RunTrawl({"scan", d.path() + "/export", "--events", "*.jsonl",
                                 "--modules", "file"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_FALSE(r.Summary()->contains("sigma_events"));
  EXPECT_NE(r.Summary()->value("modules_not_run", "").find("sigma"), std::string::npos);
}

}  // namespace scan_sigma

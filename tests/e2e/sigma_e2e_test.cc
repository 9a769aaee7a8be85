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

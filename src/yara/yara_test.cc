#include "trawl/yara/yara.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::yara {
namespace {

using TempDir = testsupport::TempDir;

std::shared_ptr<const Rules> CompileOrDie(const std::vector<std::string>& paths,
                                          CompileStats& stats) {
  auto r = Rules::Compile(paths, stats);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  return r.ok() ? *r : nullptr;
}

std::vector<Match> ScanOrDie(Scanner& s, std::string_view data, const Externals& ext = {}) {
  auto r = s.Scan(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), ext);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  return r.ok() ? *r : std::vector<Match>{};
}

const char* kBasicRules = R"(
rule with_meta {
  meta:
    description = "test rule"
    author = "trawl"
    reference = "https://example.org/r"
    score = 85
  strings:
    $a = "EVILMARKER"
  condition:
    $a
}
rule default_score {
  strings:
    $a = "EVILMARKER"
  condition:
    #a >= 2
}
rule string_score {
  meta:
    score = "55"
  strings:
    $b = "OTHER"
  condition:
    $b
}
)";

TEST(YaraTest, RuleMatchesBufferWithMetas) {
  TempDir dir;
  std::string file = dir.Write("basic.yar", kBasicRules);
  CompileStats stats;
  auto rules = CompileOrDie({file}, stats);
  ASSERT_TRUE(rules);
  EXPECT_EQ(stats.files, 1u);
  EXPECT_EQ(stats.files_ok, 1u);
  EXPECT_EQ(stats.rules, 3u);
  EXPECT_EQ(rules->rule_count(), 3u);
  EXPECT_TRUE(stats.problems.empty());

  Scanner scanner(rules, 10);
  auto m = ScanOrDie(scanner, "xx EVILMARKER yy EVILMARKER zz EVILMARKER");
  ASSERT_EQ(m.size(), 2u);  // each rule once, however many string matches
  EXPECT_EQ(m[0].rule, "with_meta");
  EXPECT_EQ(m[0].ns_file, file);
  EXPECT_EQ(m[0].description, "test rule");
  EXPECT_EQ(m[0].author, "trawl");
  EXPECT_EQ(m[0].reference, "https://example.org/r");
  EXPECT_EQ(m[0].score, 85);
  EXPECT_EQ(m[1].rule, "default_score");
  EXPECT_EQ(m[1].score, 70);
  EXPECT_TRUE(m[1].description.empty());

  // A count condition still sees every occurrence (fast mode is safe).
  m = ScanOrDie(scanner, "EVILMARKER once");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rule, "with_meta");

  m = ScanOrDie(scanner, "OTHER");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].score, 55);

  // Nothing carries over between scans; empty buffers are fine.
  EXPECT_TRUE(ScanOrDie(scanner, "clean").empty());
  auto empty = scanner.Scan(nullptr, 0, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(YaraTest, ExternalsAreSetPerScan) {
  TempDir dir;
  std::string file = dir.Write("ext.yar", R"(
rule by_name { condition: filename == "x.exe" }
rule by_path { condition: filepath contains "\\Temp" }
rule by_ext { condition: extension == ".exe" }
rule by_type { condition: filetype == "EXE" }
rule by_md5 { condition: md5 == "d41d8cd98f00b204e9800998ecf8427e" }
rule by_owner { condition: owner == "root" }
)");
  CompileStats stats;
  auto rules = CompileOrDie({file}, stats);
  ASSERT_TRUE(rules);
  Scanner scanner(rules, 10);

  Externals ext;
  ext.filename = "x.exe";
  auto m = ScanOrDie(scanner, "data", ext);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rule, "by_name");

  ext = {"y", R"(C:\Temp)", ".exe", "EXE", "d41d8cd98f00b204e9800998ecf8427e", "root"};
  m = ScanOrDie(scanner, "data", ext);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].rule, "by_path");
  EXPECT_EQ(m[4].rule, "by_owner");

  EXPECT_TRUE(ScanOrDie(scanner, "data", {}).empty());
}

TEST(YaraTest, BrokenFileIsReportedAndLeftOut) {
  TempDir dir;
  dir.Write("rules/a_good.yar", "rule good_a { strings: $a = \"AAAA\" condition: $a }\n");
  std::string broken = dir.Write("rules/b_broken.yar",
                                 "rule fine { condition: true }\n"
                                 "\n"
                                 "rule broken { condition: $undefined }\n");
  dir.Write("rules/sub/c_good.yara", "rule good_c { strings: $c = \"CCCC\" condition: $c }\n");
  std::string broken2 = dir.Write("rules/sub/d_broken.yar", "rule x { condition: unknown_id }\n");
  dir.Write("rules/notes.txt", "not a rule file {");
  CompileStats stats;
  auto rules = CompileOrDie({dir.path() + "/rules"}, stats);
  ASSERT_TRUE(rules);
  EXPECT_EQ(stats.files, 4u);
  EXPECT_EQ(stats.files_ok, 2u);
  EXPECT_EQ(stats.rules, 2u);
  ASSERT_EQ(stats.problems.size(), 2u);
  EXPECT_EQ(stats.problems[0].where, broken + ":3");
  EXPECT_NE(stats.problems[0].message.find("undefined"), std::string::npos)
      << stats.problems[0].message;
  EXPECT_EQ(stats.problems[1].where, broken2 + ":1");

  Scanner scanner(rules, 10);
  auto m = ScanOrDie(scanner, "AAAA CCCC");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].rule, "good_a");
  EXPECT_EQ(m[1].rule, "good_c");
}

// In-memory sources (MISP/STIX rules): compiled beside files, each in its own
// namespace, broken ones reported by name:line, includes refused.
TEST(YaraTest, InMemorySources) {
  TempDir dir;
  std::string file = dir.Write("a.yar", "rule same { strings: $a = \"AAAA\" condition: $a }\n");
  std::string secret = dir.Write("secret.yar", "rule leaked { condition: true }\n");
  std::vector<RuleSource> sources = {
      {"feed.json:attr-1", "rule same { strings: $b = \"BBBB\" condition: $b }"},
      {"feed.json:attr-2", "rule broken {\n condition: $nope }"},
      {"feed.json:attr-3", "include \"" + secret + "\"\nrule inc { condition: true }"},
      {"feed.json:attr-4", "rule meta_rule { meta: score = 40 strings: $c = \"CCCC\" condition: $c }"},
  };
  CompileStats stats;
  auto r = Rules::Compile({file}, sources, stats);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(stats.files, 5u);
  EXPECT_EQ(stats.files_ok, 3u);
  EXPECT_EQ(stats.rules, 3u);
  ASSERT_EQ(stats.problems.size(), 2u);
  EXPECT_EQ(stats.problems[0].where, "feed.json:attr-2:2");
  EXPECT_EQ(stats.problems[1].where.rfind("feed.json:attr-3", 0), 0u) << stats.problems[1].where;
  EXPECT_NE(stats.problems[1].message.find("include"), std::string::npos) << stats.problems[1].message;
  Scanner scanner(*r, 10);
  auto m = ScanOrDie(scanner, "AAAA BBBB CCCC");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].ns_file, "feed.json:attr-1");
  EXPECT_EQ(m[2].score, 40);

  // Sources alone, no paths.
  CompileStats only;
  auto r2 = Rules::Compile({}, {sources[0]}, only);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(only.rules, 1u);
}

TEST(YaraTest, SameRuleNameInTwoFilesIsFine) {
  TempDir dir;
  std::string f1 = dir.Write("one.yar", "rule dup { strings: $a = \"ONE\" condition: $a }\n");
  std::string f2 = dir.Write("two.yar", "rule dup { strings: $a = \"TWO\" condition: $a }\n");
  CompileStats stats;
  auto rules = CompileOrDie({f1, f2}, stats);
  ASSERT_TRUE(rules);
  Scanner scanner(rules, 10);
  auto m = ScanOrDie(scanner, "TWO");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].ns_file, f2);
}

TEST(YaraTest, CompileErrors) {
  TempDir dir;
  CompileStats stats;
  auto missing = Rules::Compile({dir.path() + "/missing"}, stats);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/missing"), std::string::npos);

  dir.Write("empty/readme.txt", "x");
  auto none = Rules::Compile({dir.path() + "/empty"}, stats);
  EXPECT_FALSE(none.ok());

  std::string bad = dir.Write("bad/bad.yar", "rule {");
  CompileStats bad_stats;
  auto all_bad = Rules::Compile({dir.path() + "/bad"}, bad_stats);
  ASSERT_FALSE(all_bad.ok());
  EXPECT_NE(all_bad.status().message().find(bad + ":1"), std::string::npos)
      << all_bad.status().message();
  EXPECT_EQ(bad_stats.files, 1u);
  EXPECT_EQ(bad_stats.files_ok, 0u);
}

TEST(YaraTest, TimeoutIsAnErrorForThatScanOnly) {
  TempDir dir;
  std::string file = dir.Write("slow.yar", R"(
rule slow {
  condition:
    for all i in (0..filesize - 1) : (
      for all j in (0..filesize - 1) : ( uint8(i) == uint8(j) )
    )
}
rule quick { strings: $a = "QUICK" condition: $a }
)");
  CompileStats stats;
  auto rules = CompileOrDie({file}, stats);
  ASSERT_TRUE(rules);
  Scanner scanner(rules, 1);
  std::string big(4 << 20, '\0');
  auto t0 = std::chrono::steady_clock::now();
  auto r = scanner.Scan(reinterpret_cast<const std::uint8_t*>(big.data()), big.size(), {});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "yara timeout after 1s");
  EXPECT_LT(secs, 10.0);
  // The same scanner goes on with the next buffer.
  auto m = ScanOrDie(scanner, "\x01QUICK");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rule, "quick");
}

TEST(YaraTest, OneScannerPerThreadSharedRules) {
  TempDir dir;
  std::string file = dir.Write("t.yar", "rule t { strings: $a = \"NEEDLE\" condition: $a }\n");
  CompileStats stats;
  auto rules = CompileOrDie({file}, stats);
  ASSERT_TRUE(rules);
  std::vector<int> hits(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Scanner scanner(rules, 10);
      for (int i = 0; i < 200; ++i) {
        std::string data = i % 2 ? "xxNEEDLExx" : "xxxxxx";
        auto r = scanner.Scan(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), {});
        if (r.ok()) hits[t] += static_cast<int>(r->size());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(hits[0], 100);
  EXPECT_EQ(hits[1], 100);
}

TEST(YaraTest, ExternalsForPathAsLoki) {
  struct Case {
    const char* path;
    const char* filename;
    const char* filepath;
    const char* extension;
  };
  const Case cases[] = {
      {"/a/b/x.EXE", "x.EXE", "/a/b", ".exe"},
      {"/a/b/archive.tar.GZ", "archive.tar.GZ", "/a/b", ".gz"},
      {"/home/u/.bashrc", ".bashrc", "/home/u", ""},
      {"/home/u/..x.Y", "..x.Y", "/home/u", ".y"},
      {"/home/u/noext", "noext", "/home/u", ""},
      {"/home/u/trailing.", "trailing.", "/home/u", "."},
      {"/x.dll", "x.dll", "/", ".dll"},
      {"rel.txt", "rel.txt", "", ".txt"},
  };
  for (const Case& c : cases) {
    Externals e = ExternalsForPath(c.path);
    EXPECT_EQ(e.filename, c.filename) << c.path;
    EXPECT_EQ(e.filepath, c.filepath) << c.path;
    EXPECT_EQ(e.extension, c.extension) << c.path;
  }
}

// The whole of signature-base's YARA rules compile (PLATFORM.md: 741 files,
// about 5,883 rules, 0 failures).
TEST(YaraSigBaseTest, AllRulesCompile) {
  const std::string dir = std::string(TRAWL_SHARED_DATA) + "/signature-base/yara";
  CompileStats stats;
  auto rules = CompileOrDie({dir}, stats);
  ASSERT_TRUE(rules);
  for (const auto& p : stats.problems)
    std::printf("  problem %s: %s\n", p.where.c_str(), p.message.c_str());
  EXPECT_GT(stats.files, 700u);
  EXPECT_EQ(stats.files_ok, stats.files);
  EXPECT_GT(stats.rules, 5000u);
  EXPECT_EQ(rules->rule_count(), stats.rules);
  std::printf("  %zu files, %zu rules, %zu warnings, compiled in %.2f s\n", stats.files,
              stats.rules, stats.warnings, stats.seconds);

  // They scan: a synthetic buffer runs through every rule without error.
  Scanner scanner(rules, 30);
  std::string data = "MZ" + std::string(4096, 'A');
  Externals ext = ExternalsForPath("/tmp/sample.exe");
  ext.filetype = FileType(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  auto r = scanner.Scan(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), ext);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
}

}  // namespace
}  // namespace trawl::yara

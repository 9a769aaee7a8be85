// End to end: `trawl scan` on trees the tests build, with indicators the tests
// write themselves. Synthetic content only.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

// Counts what the walk should report as entries: everything but directories,
// links not followed.
uint64_t CountEntries(const std::string& root) {
  uint64_t n = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it)
    if (it->symlink_status().type() != fs::file_type::directory) ++n;
  return n;
}

void ExpectSummaryAddsUp(const RunResult& r) {
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr) << "the last line is the summary\n" << r.err;
  std::map<std::string, uint64_t> levels;
  for (const auto& f : r.Of("finding")) levels[f["level"]]++;
  EXPECT_EQ((*s)["findings"]["alert"], levels["alert"]);
  EXPECT_EQ((*s)["findings"]["warning"], levels["warning"]);
  EXPECT_EQ((*s)["findings"]["notice"], levels["notice"]);
  EXPECT_EQ((*s)["errors"], r.Of("error").size());
}

bool HasReason(const nlohmann::json& finding, const std::string& kind,
               const std::string& indicator_part = "") {
  for (const auto& r : finding["reasons"])
    if (r["kind"] == kind &&
        r["indicator"].get<std::string>().find(indicator_part) != std::string::npos)
      return true;
  return false;
}

class ScanE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string tree_ = dir_.path() + "/tree";
  std::string iocs_ = dir_.path() + "/iocs";
  std::string rules_ = dir_.path() + "/rules";
};

TEST_F(ScanE2E, FindsEveryPlantedItemAndNothingElse) {
  // Planted by hash: one indicator of each kind, in signature-base format.
  std::string a = RandomBytes(5000), b = RandomBytes(70000), c = RandomBytes(1 << 20);
  std::string hostile_content = RandomBytes(333);
  std::string pa = dir_.Write("tree/docs/report.pdf", a);
  std::string pb = dir_.Write("tree/docs/sub/data.bin", b);
  std::string pc = dir_.Write("tree/opt/app/libthing.so", c);
  std::string hostile_name = "tree/evil\nname\x1b]0;owned\x07.bin";
  std::string ph = dir_.Write(hostile_name, hostile_content);
  dir_.Write("iocs/test-hash-iocs.txt",
             "# planted hashes\n" + HexDigest("MD5", a) + ";Planted MD5 sample\n" +
                 HexDigest("SHA1", b) + ";90;Planted SHA-1 sample; with a semicolon\n" +
                 HexDigest("SHA256", c) + ";Planted SHA-256 sample\n" +
                 HexDigest("SHA256", hostile_content) + ";Hostile name sample\n");
  // Planted by name, with a false-positive regex that spares one copy.
  std::string pn = dir_.Write("tree/drop/evil_dropper_qz.bin", RandomBytes(100));
  std::string pn_fp = dir_.Write("tree/allowed/evil_dropper_ok.bin", RandomBytes(100));
  dir_.Write("iocs/test-filename-iocs.txt",
             "# planted dropper\nevil_dropper_[a-z]+\\.bin;85;/allowed/\n");
  // Planted for YARA.
  std::string marker = "TRAWL-E2E-" + HexDigest("MD5", RandomBytes(16));
  std::string py = dir_.Write("tree/web/shell.php", "<?php echo 1; // " + marker + " ?>\n");
  dir_.Write("rules/test.yar", "rule trawl_e2e_marker {\n  meta:\n    description = \"planted "
                               "marker\"\n    score = 85\n  strings:\n    $m = \"" +
                                   marker + "\"\n  condition:\n    $m\n}\n");
  // 3CX-like install paths (built-in pack).
  std::string p3w = dir_.Write(
      "tree/Users/alice/AppData/Local/Programs/3CXDesktopApp/app/ffmpeg.dll", RandomBytes(64));
  std::string p3m = dir_.Write(
      "tree/Users/bob/Library/Application Support/3CX Desktop App/UpdateAgent", RandomBytes(64));
  // Clean files.
  for (int i = 0; i < 50; ++i)
    dir_.Write("tree/clean/f" + std::to_string(i) + ".dat", RandomBytes(1000 + i * 37));
  // Hostile entries: FIFO, symlink loop, self link, dangling link, char device.
  ASSERT_EQ(mkfifo((tree_ + "/pipe").c_str(), 0644), 0);
  fs::create_directory_symlink("..", tree_ + "/docs/loop");
  fs::create_symlink("self", tree_ + "/self");
  fs::create_symlink("/nonexistent/target", tree_ + "/dangling");
  ASSERT_EQ(mknod((tree_ + "/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0)
      << "tests run as root (PLATFORM.md); mknod: " << strerror(errno);

  uint64_t entries = CountEntries(tree_);
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--yara", rules_ + "/test.yar"});
  ASSERT_EQ(r.exit_code, 1) << r.err;

  std::map<std::string, std::string> expected = {
      {pa, "hash"}, {pb, "hash"}, {pc, "hash"}, {ph, "hash"},
      {pn, "filename"}, {py, "yara"}, {p3w, "filename"}, {p3m, "filename"}};
  for (const auto& [path, kind] : expected) {
    const nlohmann::json* f = r.FindingFor(path);
    ASSERT_NE(f, nullptr) << "not found: " << path << "\n" << r.err;
    EXPECT_TRUE(HasReason(*f, kind)) << f->dump();
  }
  EXPECT_TRUE(HasReason(*r.FindingFor(pa), "hash", HexDigest("MD5", a)));
  EXPECT_TRUE(HasReason(*r.FindingFor(pb), "hash", HexDigest("SHA1", b)));
  EXPECT_TRUE(HasReason(*r.FindingFor(pc), "hash", HexDigest("SHA256", c)));
  EXPECT_EQ((*r.FindingFor(pb))["reasons"][0]["score"], 90);
  EXPECT_EQ((*r.FindingFor(pb))["reasons"][0]["description"],
            "Planted SHA-1 sample; with a semicolon");
  EXPECT_EQ((*r.FindingFor(pa))["hashes"]["md5"], HexDigest("MD5", a));
  EXPECT_EQ((*r.FindingFor(pa))["level"], "alert");
  EXPECT_EQ((*r.FindingFor(py))["level"], "alert");
  EXPECT_EQ((*r.FindingFor(pn))["level"], "alert");
  for (const std::string& p : {p3w, p3m}) {
    const auto& reasons = (*r.FindingFor(p))["reasons"];
    EXPECT_EQ(reasons[0]["source"], "builtin:3cx");
  }
  EXPECT_EQ(r.FindingFor(pn_fp), nullptr) << "the false-positive regex spares it";

  // Nothing else at warning or above.
  for (const auto& f : r.Of("finding")) {
    if (f["level"] == "notice") continue;
    EXPECT_TRUE(expected.count(f["path"])) << "unexpected: " << f.dump();
  }
  // The hostile name reaches JSON intact and never reaches the console raw.
  EXPECT_EQ(r.out.find("\x1b]0;owned"), std::string::npos);
  EXPECT_EQ(r.out.find('\x07'), std::string::npos);

  ExpectSummaryAddsUp(r);
  const nlohmann::json& s = *r.Summary();
  EXPECT_EQ(s["files"], entries);
  EXPECT_EQ(s["skipped"]["fifo"], 1);
  EXPECT_EQ(s["skipped"]["device"], 1);
  EXPECT_GE(s["skipped"]["symlink"].get<int>(), 3);
  EXPECT_GE(s["bytes"].get<uint64_t>(), a.size() + b.size() + c.size());
}

TEST_F(ScanE2E, RepeatableOptionsTakeOneValueEach) {
  std::string bad = RandomBytes(100);
  std::string p = dir_.Write("tree/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", bad) + ";planted\n");
  // The path after --iocs is a root to scan, not a second indicator path.
  RunResult r = RunTrawl({"scan", "--iocs", iocs_, tree_});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(p), nullptr);
  EXPECT_EQ((*r.Summary())["paths"], nlohmann::json::array({tree_}));
}

TEST_F(ScanE2E, EveryReportHoldsTheSameFindings) {
  // A log with many hits (aggregated on the console) and a hostile file name.
  std::string log;
  for (int i = 0; i < 50; ++i) log += "2023-03-30T10:00:00Z GET http://akamaicontainer.com/x\n";
  dir_.Write("tree/var/log/proxy.log", log);
  std::string bad = RandomBytes(64);
  std::string hostile = dir_.Write("tree/<img src=x onerror=alert(1)>.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", bad) + ";planted\n");
  std::string csv = dir_.path() + "/out.csv", html = dir_.path() + "/out.html";
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--csv", csv, "--html", html});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  size_t findings = r.Of("finding").size();
  EXPECT_EQ(findings, 51u) << "50 log hits and one file\n" << r.err;
  std::ifstream in(csv);
  size_t rows = 0;
  for (std::string line; std::getline(in, line);) rows += line.rfind("\"finding\",", 0) == 0;
  EXPECT_EQ(rows, findings) << "CSV rows: every hit, no console aggregates";
  std::ifstream hin(html);
  std::string page((std::istreambuf_iterator<char>(hin)), std::istreambuf_iterator<char>());
  EXPECT_EQ(page.find("<img src=x"), std::string::npos) << "the hostile name is escaped";
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST_F(ScanE2E, CleanTreeExitsZero) {
  for (int i = 0; i < 20; ++i) dir_.Write("tree/f" + std::to_string(i), RandomBytes(4096));
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", "not in the tree") + ";nothing\n");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.Of("finding").empty());
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ((*r.Summary())["files"], 20);
  ExpectSummaryAddsUp(r);
}

TEST_F(ScanE2E, FollowNeverLeavesTheRootAndSurvivesLoops) {
  std::string secret = RandomBytes(100);
  dir_.Write("outside/secret.bin", secret);
  dir_.Write("tree/in.bin", RandomBytes(10));
  fs::create_directory_symlink(dir_.path() + "/outside", tree_ + "/out");
  fs::create_directory_symlink(tree_, tree_ + "/loop");
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", secret) + ";outside the root\n");
  std::string inside = RandomBytes(100);
  dir_.Write("tree/real/inside.bin", inside);
  fs::create_symlink(tree_ + "/real/inside.bin", tree_ + "/link-to-inside");
  dir_.Write("iocs/y-hash-iocs.txt", HexDigest("MD5", inside) + ";inside the root, via a link\n");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--follow"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.FindingFor(tree_ + "/out/secret.bin"), nullptr);
  EXPECT_NE(r.FindingFor(tree_ + "/link-to-inside"), nullptr) << "a followed link is read";
  EXPECT_NE(r.FindingFor(tree_ + "/real/inside.bin"), nullptr);
  ExpectSummaryAddsUp(r);
}

TEST_F(ScanE2E, ExcludedFoldersArePruned) {
  std::string bad = RandomBytes(100);
  dir_.Write("tree/skipme/bad.bin", bad);
  std::string kept = dir_.Write("tree/keep/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA1", bad) + ";planted\n");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--exclude", "*/skipme"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.Of("finding").size(), 1u);
  EXPECT_EQ(r.Of("finding")[0]["path"], kept);
}

TEST_F(ScanE2E, UnreadableFileIsAnErrorRecordAndTheScanGoesOn) {
  std::string bad = RandomBytes(100);
  std::string locked = dir_.Write("tree/locked/secret.bin", RandomBytes(10));
  std::string found = dir_.Write("tree/open/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA256", bad) + ";planted\n");
  ASSERT_EQ(chmod(locked.c_str(), 0), 0);
  ASSERT_EQ(chmod((tree_ + "/locked").c_str(), 0), 0);
  // Root reads everything: run as nobody so permissions bite.
  std::system(("chmod 755 " + ShellQuote(dir_.path())).c_str());
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_},
                         "setpriv --reuid=nobody --regid=nogroup --clear-groups");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(found), nullptr);
  ASSERT_GE(r.Of("error").size(), 1u) << r.err;
  EXPECT_NE(r.Of("error")[0]["path"].get<std::string>().find("locked"), std::string::npos);
  ExpectSummaryAddsUp(r);
}

TEST_F(ScanE2E, FileGrowingWhileReadFinishes) {
  std::string grow = dir_.Write("tree/growing.log", RandomBytes(1 << 20));
  dir_.Write("tree/other.bin", RandomBytes(10));
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", "none") + ";none\n");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::ofstream out(grow, std::ios::app | std::ios::binary);
    std::string chunk = RandomBytes(64 << 10);
    while (!stop) out.write(chunk.data(), chunk.size()).flush();
  });
  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--max-file-size", "4G"});
  stop = true;
  writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ((*r.Summary())["files"], 2);
  // Read to the size seen at open, not chased: far less than the file became.
  EXPECT_LT((*r.Summary())["bytes"].get<uint64_t>(), fs::file_size(grow));
}

TEST_F(ScanE2E, UnreadableIndicatorsStopTheScanBeforeItStarts) {
  dir_.Write("tree/x", "x");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", dir_.path() + "/missing-hash-iocs.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing-hash-iocs.txt"), std::string::npos) << r.err;
  EXPECT_TRUE(r.json.empty()) << "no scan ran";
}

TEST_F(ScanE2E, BrokenRuleFileIsReportedAndTheRestRun) {
  std::string marker = "TRAWL-E2E-" + HexDigest("MD5", RandomBytes(16));
  std::string hit = dir_.Write("tree/hit.txt", marker);
  dir_.Write("rules/good.yar", "rule good { meta: score = 90 strings: $a = \"" + marker +
                                   "\" condition: $a }\n");
  dir_.Write("rules/bad.yar", "rule bad {\n  strings: $a = \"x\"\n  condition: $b }\n");
  RunResult r = RunTrawl({"scan", tree_, "--no-builtin", "--yara", rules_});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(hit), nullptr);
  EXPECT_NE(r.err.find("bad.yar:3"), std::string::npos) << r.err;
}

// --yara-cache: the first scan compiles and writes the entry, the second
// loads it, with the same findings; a cache folder inside the scan root is
// only read, never written (forensically sound).
TEST_F(ScanE2E, YaraCacheIsWrittenThenLoadedAndNeverWrittenOnTheHost) {
  std::string marker = "TRAWL-E2E-" + HexDigest("MD5", RandomBytes(16));
  std::string small = dir_.Write("tree/hit.txt", marker);
  std::string large = dir_.Write("tree/big.bin", std::string(2u << 20, 'z') + marker);  // mapped
  dir_.Write("rules/r.yar", "rule cached { meta: score = 90 strings: $a = \"" + marker +
                                "\" condition: $a }\n");
  const std::string cache = dir_.path() + "/cache";
  std::string entry;
  for (const char* want : {"written", "hit"}) {
    RunResult r = RunTrawl({"scan", tree_, "--no-builtin", "--yara", rules_, "--yara-cache", cache});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ASSERT_NE(r.Summary(), nullptr) << r.err;
    EXPECT_EQ((*r.Summary())["yara_cache"], want) << r.err;
    if (entry.empty()) entry = (*r.Summary())["yara_cache_entry"];
    EXPECT_EQ((*r.Summary())["yara_cache_entry"], entry);
    EXPECT_NE(r.FindingFor(small), nullptr) << want;
    EXPECT_NE(r.FindingFor(large), nullptr) << want;
  }
  // Inside the scan root: a miss is compiled and nothing is written there.
  const std::string inside = tree_ + "/cache";
  RunResult r = RunTrawl({"scan", tree_, "--no-builtin", "--yara", rules_, "--yara-cache", inside});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_EQ((*r.Summary())["yara_cache"], "not written");
  EXPECT_NE(std::string((*r.Summary())["yara_cache_note"]).find("inside the scan root"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(inside));
  EXPECT_NE(r.FindingFor(small), nullptr);
}

TEST_F(ScanE2E, BuiltinPackAloneRuns) {
  dir_.Write("tree/x", "hello");
  RunResult r = RunTrawl({"scan", tree_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ((*r.Summary())["indicator_sets"][0]["name"], "builtin:3cx");
  EXPECT_NE(r.err.find("builtin:3cx"), std::string::npos);
}

TEST_F(ScanE2E, WholeSignatureBaseLoadsAndRuns) {
  std::string sb = std::string(TRAWL_SHARED_DATA) + "/signature-base";
  dir_.Write("tree/readme.txt", "nothing to see");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", sb});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  uint64_t rules = 0, filename = 0, c2 = 0;
  for (const auto& set : (*r.Summary())["indicator_sets"]) {
    rules += set["loaded"].value("yara rules", 0);
    filename += set["loaded"].value("filename", 0);
    c2 += set["loaded"].value("domain", 0) + set["loaded"].value("ipv4", 0);
  }
  EXPECT_GT(rules, 5000u);
  EXPECT_GT(filename, 3500u);
  EXPECT_GT(c2, 1500u);
  EXPECT_NE(r.err.find("yara:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace trawl::e2e

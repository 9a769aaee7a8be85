// End to end: the README's promises about the command line that no other test
// checks: --max-file-size and the too_large skip, the score flags,
// --yara-timeout, -q, NO_COLOR, --json - (console to stderr), --json-format
// ecs, exit 2 when nothing is scannable, and changed_while_read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> ParseLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(std::move(j));
  }
  return out;
}

class CliE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string tree_ = dir_.path() + "/tree";
  std::string iocs_ = dir_.path() + "/iocs";
};

TEST_F(CliE2E, MaxFileSizeSkipsContentChecksAsTooLargeButNotNames) {
  std::string big = RandomBytes(3000), small = RandomBytes(500);
  std::string pbig = dir_.Write("tree/big.bin", big);
  std::string psmall = dir_.Write("tree/small.bin", small);
  std::string pnamed = dir_.Write("tree/evil_named_qz.bin", RandomBytes(4000));
  dir_.Write("iocs/x-hash-iocs.txt",
             HexDigest("MD5", big) + ";big planted\n" + HexDigest("MD5", small) + ";small\n");
  dir_.Write("iocs/x-filename-iocs.txt", "evil_named_[a-z]+\\.bin;90\n");

  RunResult r = RunTrawl({"scan", tree_, "--iocs", iocs_, "--max-file-size", "1K"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.FindingFor(pbig), nullptr) << "3000 bytes > 1K: not hashed";
  EXPECT_NE(r.FindingFor(psmall), nullptr);
  const nlohmann::json* named = r.FindingFor(pnamed);
  ASSERT_NE(named, nullptr) << "name checks apply to every file";
  EXPECT_EQ((*named)["reasons"][0]["kind"], "filename");
  EXPECT_FALSE(named->contains("hashes"));
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ((*r.Summary())["skipped"]["too_large"], 2);  // big.bin and the named file
  EXPECT_EQ((*r.Summary())["files"], 3);
  EXPECT_EQ((*r.Summary())["bytes"], small.size());

  // The default (100M) reads all three.
  RunResult all = RunTrawl({"scan", tree_, "--iocs", iocs_});
  EXPECT_NE(all.FindingFor(pbig), nullptr);
  EXPECT_FALSE((*all.Summary())["skipped"].contains("too_large"));
}

// Issue 11 part 1: reading a file's content for hashes and YARA is under
// --file-timeout like every other reader. A file whose read runs past it gets
// no digest (a digest of part of it would be wrong), a `file_timeout` skip and
// an error record naming it; its name checks stand and the scan goes on.
TEST_F(CliE2E, FileTimeoutStopsHashingAndSaysSo) {
  std::string small = RandomBytes(500);
  std::string psmall = dir_.Write("tree/small.bin", small);
  std::string phuge = dir_.Write("tree/evil_named_qz.bin", "");
  ASSERT_EQ(truncate(phuge.c_str(), 3ll << 30), 0);  // 3 GiB, sparse: seconds to read
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", small) + ";small planted\n");
  dir_.Write("iocs/x-filename-iocs.txt", "evil_named_[a-z]+\\.bin;90\n");

  RunResult r = RunTrawl({"scan", tree_, "--no-builtin", "--iocs", iocs_, "--max-file-size", "4G",
                          "--file-timeout", "0.05"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(psmall), nullptr) << "the scan goes on past the slow file";
  const nlohmann::json* named = r.FindingFor(phuge);
  ASSERT_NE(named, nullptr) << "name checks stand";
  EXPECT_EQ((*named)["reasons"][0]["kind"], "filename");
  EXPECT_FALSE(named->contains("hashes")) << "no digest of part of a file";
  EXPECT_EQ(named->value("content_checked", true), false);
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ((*r.Summary())["skipped"]["file_timeout"], 1);
  bool said = false;
  for (const nlohmann::json& e : r.Of("error"))
    said |= e.value("path", "") == phuge &&
            e.value("message", "").find("--file-timeout") != std::string::npos;
  EXPECT_TRUE(said) << "an error record names the file and the limit";
}

TEST_F(CliE2E, ScoreFlagsMoveTheLevelsAndTheExitCode) {
  std::string p70 = dir_.Write("tree/seventy_qz.bin", "x");
  std::string p78 = dir_.Write("tree/seventyeight_qz.bin", "y");
  dir_.Write("iocs/x-filename-iocs.txt", "seventy_[a-z]+\\.bin;70\nseventyeight_[a-z]+\\.bin;78\n");
  auto level = [](const RunResult& r, const std::string& p) -> std::string {
    const nlohmann::json* f = r.FindingFor(p);
    return f ? (*f)["level"].get<std::string>() : "none";
  };
  std::vector<std::string> base = {"scan", tree_, "--no-builtin", "--iocs", iocs_};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return RunTrawl(args);
  };

  RunResult def = with({});  // 80 / 60 / 40
  EXPECT_EQ(def.exit_code, 1) << def.err;
  EXPECT_EQ(level(def, p70), "warning");
  EXPECT_EQ(level(def, p78), "warning");

  RunResult alert = with({"--alert-score", "75"});
  EXPECT_EQ(level(alert, p78), "alert") << "78 >= 75 with a sub-score above 75";
  EXPECT_EQ(level(alert, p70), "warning") << "an alert needs a sub-score above 75";
  EXPECT_EQ((*alert.Summary())["findings"]["alert"], 1);

  RunResult warn = with({"--warning-score", "79"});
  EXPECT_EQ(warn.exit_code, 0) << "notices only: exit 0\n" << warn.err;
  EXPECT_EQ(level(warn, p70), "notice");
  EXPECT_EQ(level(warn, p78), "notice");

  RunResult notice = with({"--warning-score", "90", "--notice-score", "75"});
  EXPECT_EQ(notice.exit_code, 0) << notice.err;
  EXPECT_EQ(level(notice, p70), "none") << "below the notice score: not reported";
  EXPECT_EQ(level(notice, p78), "notice");
}

TEST_F(CliE2E, YaraTimeoutIsAnErrorRecordAndTheScanGoesOn) {
  // A condition that would run for hours on 200 kB: every byte against every byte.
  dir_.Write("rules/slow.yar",
             "rule slow_loop { condition: for all i in (0..filesize) : "
             "(for all j in (0..filesize) : (uint8(i) == uint8(j))) }\n");
  std::string slow = dir_.Write("tree/slow.bin", std::string(200000, '\0'));
  std::string other = RandomBytes(100);
  std::string pother = dir_.Write("tree/other.bin", other);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA256", other) + ";planted\n");
  RunResult r =
      RunTrawl({"scan", tree_, "--no-builtin", "--iocs", iocs_, "--yara",
                dir_.path() + "/rules/slow.yar", "--yara-timeout", "1", "--threads", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(pother), nullptr) << "the other file is still checked";
  std::vector<nlohmann::json> errors = r.Of("error");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_EQ(errors[0]["path"], slow);
  EXPECT_NE(errors[0]["message"].get<std::string>().find("yara timeout after 1s"),
            std::string::npos)
      << errors[0].dump();
  EXPECT_EQ((*r.Summary())["errors"], 1);
}

TEST_F(CliE2E, QuietPrintsOnlyFindingsAndTheSummary) {
  std::string bad = RandomBytes(100);
  std::string pbad = dir_.Write("tree/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", bad) + ";planted\n");
  std::string missing = tree_ + "/missing";  // an error record
  RunResult loud = RunTrawlRaw({"scan", tree_, missing, "--iocs", iocs_});
  RunResult quiet = RunTrawlRaw({"scan", tree_, missing, "--iocs", iocs_, "-q"});
  EXPECT_EQ(loud.exit_code, 1) << loud.err;
  EXPECT_EQ(quiet.exit_code, 1) << quiet.err;
  // Loud: load lines and the error on the console.
  std::string loud_all = loud.out + loud.err;
  EXPECT_NE(loud_all.find("indicators: "), std::string::npos) << loud_all;
  EXPECT_NE(loud_all.find("missing"), std::string::npos) << loud_all;
  // Quiet: the finding and the summary, nothing else.
  std::string quiet_all = quiet.out + quiet.err;
  EXPECT_NE(quiet.out.find(pbad), std::string::npos) << quiet_all;
  EXPECT_NE(quiet.out.find("Summary:"), std::string::npos) << quiet_all;
  EXPECT_EQ(quiet_all.find("indicators: "), std::string::npos) << quiet_all;
  EXPECT_EQ(quiet_all.find("ERROR"), std::string::npos) << quiet_all;
  EXPECT_EQ(quiet.err, "") << "nothing on stderr";
  // The error is still a JSON record under -q.
  RunResult quiet_json = RunTrawl({"scan", tree_, missing, "--iocs", iocs_, "-q"});
  EXPECT_EQ(quiet_json.Of("error").size(), 1u) << quiet_json.err;
}

TEST_F(CliE2E, ColourOnATerminalUnlessNoColorOrNoColorFlag) {
  std::string bad = RandomBytes(100);
  dir_.Write("tree/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", bad) + ";planted\n");
  std::vector<std::string> args = {"scan", tree_, "--iocs", iocs_};
  RunResult tty = RunTrawlRaw(args, "", /*tty=*/true);
  EXPECT_EQ(tty.exit_code, 1) << tty.out;
  ASSERT_NE(tty.out.find("[ALERT]"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b["), std::string::npos) << "colour on a terminal";

  RunResult no_color = RunTrawlRaw(args, "NO_COLOR=1", /*tty=*/true);
  ASSERT_NE(no_color.out.find("[ALERT]"), std::string::npos) << no_color.out;
  EXPECT_EQ(no_color.out.find("\x1b["), std::string::npos) << "NO_COLOR set";

  std::vector<std::string> flag_args = args;
  flag_args.push_back("--no-color");
  RunResult flag = RunTrawlRaw(flag_args, "", /*tty=*/true);
  ASSERT_NE(flag.out.find("[ALERT]"), std::string::npos) << flag.out;
  EXPECT_EQ(flag.out.find("\x1b["), std::string::npos) << "--no-color";

  RunResult pipe = RunTrawlRaw(args);
  EXPECT_EQ(pipe.out.find("\x1b["), std::string::npos) << "not a terminal";
}

TEST_F(CliE2E, JsonToStdoutMovesTheConsoleToStderr) {
  std::string bad = RandomBytes(100);
  std::string pbad = dir_.Write("tree/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", bad) + ";planted\n");
  RunResult r = RunTrawlRaw({"scan", tree_, "--iocs", iocs_, "--json", "-"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<nlohmann::json> lines = ParseLines(r.out);  // stdout: JSON Lines only
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines.back()["type"], "summary");
  EXPECT_EQ(lines.front()["type"], "finding");
  EXPECT_EQ(lines.front()["path"], pbad);
  EXPECT_NE(r.err.find("[ALERT]"), std::string::npos) << "console on stderr\n" << r.err;
  EXPECT_NE(r.err.find("Summary:"), std::string::npos) << r.err;
}

TEST_F(CliE2E, EcsFormatEndToEnd) {
  std::string bad = RandomBytes(100);
  std::string pbad = dir_.Write("tree/docs/bad.bin", bad);
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA256", bad) + ";planted ecs\n");
  std::string missing = tree_ + "/missing";
  RunResult r = RunTrawl({"scan", tree_, missing, "--iocs", iocs_, "--json-format", "ecs"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.json.size(), 3u) << "finding, error, summary";
  const nlohmann::json* finding = nullptr;
  const nlohmann::json* error = nullptr;
  const nlohmann::json* metric = nullptr;
  for (const nlohmann::json& d : r.json) {
    EXPECT_TRUE(d.contains("@timestamp")) << d.dump();
    EXPECT_EQ(d["observer"]["product"], "trawl");
    const std::string kind = d["event"]["kind"];
    if (kind == "alert") finding = &d;
    if (kind == "event") error = &d;
    if (kind == "metric") metric = &d;
  }
  ASSERT_NE(finding, nullptr);
  ASSERT_NE(error, nullptr);
  ASSERT_NE(metric, nullptr);
  EXPECT_EQ(&r.json.back(), metric) << "the summary stays last";
  EXPECT_EQ((*finding)["file"]["path"], pbad);
  EXPECT_EQ((*finding)["file"]["name"], "bad.bin");
  EXPECT_EQ((*finding)["file"]["hash"]["sha256"], HexDigest("SHA256", bad));
  EXPECT_EQ((*finding)["log"]["level"], "alert");
  EXPECT_EQ((*finding)["event"]["risk_score"], 100);
  EXPECT_EQ((*finding)["threat"]["indicator"]["description"], "planted ecs");
  EXPECT_NE((*error)["error"]["message"].get<std::string>().find("No such file"), std::string::npos)
      << error->dump();
  EXPECT_EQ((*metric)["trawl"]["summary"]["findings"]["alert"], 1);
}

TEST_F(CliE2E, NothingScannableExitsTwo) {
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("MD5", "x") + ";planted\n");
  RunResult r =
      RunTrawl({"scan", tree_ + "/missing", dir_.path() + "/also-missing", "--iocs", iocs_});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no root could be opened"), std::string::npos) << r.err;
  // One root that opens is a scan: exit 0 with an error record for the other.
  dir_.Write("tree/ok.bin", "fine");
  RunResult one = RunTrawl({"scan", tree_, dir_.path() + "/also-missing", "--iocs", iocs_});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.Of("error").size(), 1u);
}

TEST_F(CliE2E, FileChangedWhileReadIsMarked) {
  // A name indicator makes the growing file a finding; a hash indicator makes
  // trawl read it. A writer appends all the time, so the size and mtime seen
  // after the read differ from those seen at open.
  std::string grow = dir_.Write("tree/growing_qz.log", RandomBytes(8 << 20));
  std::string still = dir_.Write("tree/still_qz.log", RandomBytes(1000));
  dir_.Write("iocs/x-filename-iocs.txt", "(growing|still)_qz\\.log;90\n");
  dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA256", "none") + ";none\n");
  std::atomic<bool> stop{false};
  std::atomic<bool> started{false};
  std::thread writer([&] {
    std::ofstream out(grow, std::ios::app | std::ios::binary);
    std::string chunk = RandomBytes(4096);
    while (!stop) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())).flush();
      started = true;
    }
  });
  while (!started) std::this_thread::yield();
  // The writer may outrun a slow (sanitizer) build's start-up: a cap far above
  // what it can append keeps the file read, never skipped as too_large.
  RunResult r = RunTrawl({"scan", tree_, "--no-builtin", "--iocs", iocs_, "--modules", "file",
                          "--max-file-size", "64G"});
  stop = true;
  writer.join();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json* g = r.FindingFor(grow);
  ASSERT_NE(g, nullptr) << r.err;
  EXPECT_EQ(g->value("changed_while_read", false), true) << g->dump();
  const nlohmann::json* s = r.FindingFor(still);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->contains("changed_while_read")) << s->dump();
}

}  // namespace
}  // namespace trawl::e2e

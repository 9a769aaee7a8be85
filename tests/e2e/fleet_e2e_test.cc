// End to end (issue 17): `trawl scan --shard I/N` covers a planted tree
// exactly once across N runs; `trawl report merge` over real scan reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

// Every (path, line, indicator) a run reported, with multiplicity.
std::multiset<std::string> Hits(const RunResult& r) {
  std::multiset<std::string> out;
  for (const auto& f : r.Of("finding"))
    for (const auto& reason : f["reasons"])
      out.insert(f.value("path", "") + "|" + std::to_string(f.value("line", 0)) + "|" +
                 reason.value("indicator", ""));
  return out;
}

struct Planted {
  TempDir dir;
  std::string tree = dir.path() + "/tree";
  std::string feed;
  Planted() {
    std::string evil = "fleet-evil-" + RandomBytes(48);
    std::string hashes;
    for (int i = 0; i < 40; ++i) {
      std::string body = evil + std::to_string(i);
      dir.Write("tree/d" + std::to_string(i % 7) + "/bad" + std::to_string(i) + ".bin", body);
      dir.Write("tree/d" + std::to_string(i % 5) + "/ok" + std::to_string(i) + ".txt",
                "harmless " + std::to_string(i) + "\n");
      hashes += HexDigest("SHA256", body) + "\n";
      dir.Write("tree/logs/app" + std::to_string(i) + ".log",
                "2023-03-2" + std::to_string(i % 9) + "T10:00:00Z host app: beacon to c2-" +
                    std::to_string(i % 3) + ".fleet-test.example\n");
    }
    feed = dir.Write("feed/iocs.txt", hashes +
                                          "c2-0.fleet-test.example\nc2-1.fleet-test.example\n"
                                          "c2-2.fleet-test.example\n");
  }
};

TEST(FleetE2e, ShardsCoverTheTreeExactlyOnce) {
  Planted p;
  RunResult whole =
      RunTrawl({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs", "-q"});
  ASSERT_EQ(whole.exit_code, 1) << whole.err;
  std::multiset<std::string> want = Hits(whole);
  ASSERT_EQ(want.size(), 80u);  // 40 hashes, 40 log lines
  ASSERT_NE(whole.Summary(), nullptr);
  EXPECT_FALSE(whole.Summary()->contains("shard"));

  for (int n : {1, 3, 4}) {
    std::multiset<std::string> got;
    std::uint64_t files = 0;
    int shards_with_hits = 0;
    for (int i = 1; i <= n; ++i) {
      std::string shard = std::to_string(i) + "/" + std::to_string(n);
      RunResult r = RunTrawl(
          {"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs", "-q", "--shard", shard});
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
      ASSERT_NE(r.Summary(), nullptr) << shard;
      EXPECT_EQ(r.Summary()->value("shard", ""), shard);
      files += r.Summary()->value("files", 0);
      auto h = Hits(r);
      shards_with_hits += !h.empty();
      got.insert(h.begin(), h.end());
      // Deterministic: the same shard twice is the same share.
      if (i == 2) {
        RunResult again = RunTrawl({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs",
                                    "-q", "--shard", shard});
        EXPECT_EQ(Hits(again), h);
      }
    }
    EXPECT_EQ(got, want) << "n=" << n;  // union == unsharded, nothing twice
    EXPECT_EQ(files, whole.Summary()->value("files", 0u)) << "n=" << n;
    if (n > 1) {
      EXPECT_GT(shards_with_hits, 1) << "the share is spread, not all in one shard";
    }
  }
}

TEST(FleetE2e, LiveSweepsRunOnlyInShardOne) {
  Planted p;
  // The process sweep is named; shard 2 leaves it (and network) to shard 1.
  RunResult r = RunTrawl({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs", "-q",
                          "--modules", "file,process", "--shard", "2/2"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_NE(r.Summary()->value("modules_not_run", "").find("process"), std::string::npos);
  RunResult one = RunTrawl({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs", "-q",
                            "--modules", "file,process", "--shard", "1/2"});
  ASSERT_NE(one.Summary(), nullptr) << one.err;
  EXPECT_NE(one.Summary()->value("modules_run", "").find("process"), std::string::npos);
}

TEST(FleetE2e, BadShardValuesAreRefusedWithExitTwo) {
  Planted p;
  for (const char* bad : {"0/0", "3/2", "junk", "0/3", "1/0", "-1/2", "1/2/3", ""}) {
    RunResult r = RunTrawlRaw({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--shard", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(r.out.find("fleet-evil"), std::string::npos);
  }
  RunResult r = RunTrawlRaw({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--shard", "3/2"});
  EXPECT_NE(r.err.find("larger than N"), std::string::npos) << r.err;
}

TEST(FleetE2e, ReportMergeOfShardsAndHosts) {
  Planted p;
  TempDir out;
  std::vector<std::string> inputs;
  for (int i = 1; i <= 3; ++i) {
    std::string json = out.path() + "/shard" + std::to_string(i) + ".jsonl";
    std::string html = out.path() + "/shard" + std::to_string(i) + ".html";
    RunResult r = RunTrawlRaw({"scan", p.tree, "--iocs", p.feed, "--no-builtin", "--no-packs", "-q",
                               "--no-color", "--shard", std::to_string(i) + "/3", "--json", json,
                               "--html", html});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    inputs.push_back(json);
  }
  // A clean host and a host whose report was cut.
  p.dir.Write("cleanhost/etc/motd", "welcome\n");
  RunResult clean = RunTrawlRaw({"scan", p.dir.path() + "/cleanhost", "--no-builtin", "--no-packs",
                                 "--iocs", p.feed, "-q", "--json", out.path() + "/clean.jsonl"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  inputs.push_back(out.path() + "/clean.jsonl");
  std::ofstream(out.path() + "/cut.jsonl") << "{\"type\":\"finding\",\"level\":\"not";
  inputs.push_back(out.path() + "/cut.jsonl");

  std::vector<std::string> args = {"report", "merge"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  for (const std::string& a :
       std::vector<std::string>{"--html", out.path() + "/fleet.html", "--json",
                                out.path() + "/fleet.jsonl", "--csv", out.path() + "/fleet.csv"})
    args.push_back(a);
  RunResult m = RunTrawlRaw(args);
  EXPECT_EQ(m.exit_code, 1) << m.err;
  EXPECT_NE(m.err.find("cut.jsonl:1: not JSON"), std::string::npos) << m.err;
  std::map<std::string, int> verdicts;
  std::set<std::string> indicators;
  std::size_t hash_hosts = 0;
  std::istringstream lines(testsupport::ReadFile(out.path() + "/fleet.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "host") {
      verdicts[j["verdict"].get<std::string>()]++;
      if (j.contains("shard")) {
        EXPECT_TRUE(j.contains("report")) << line;  // shardN.html linked
      }
    }
    if (j["type"] == "indicator") {
      indicators.insert(j["indicator"].get<std::string>());
      if (j["kind"] == "hash") hash_hosts += j["hosts"].size();
    }
  }
  EXPECT_EQ(verdicts["clean"], 1);
  EXPECT_EQ(verdicts["failed"], 1);
  EXPECT_EQ(verdicts["compromised"] + verdicts["suspicious"], 3);
  EXPECT_EQ(indicators.size(), 43u);  // 40 hashes and 3 domains
  EXPECT_EQ(hash_hosts, 40u);         // each hash on exactly one shard
  std::string html = testsupport::ReadFile(out.path() + "/fleet.html");
  EXPECT_NE(html.find("href=\"./shard1.html\""), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);  // the C2 timeline across hosts
  EXPECT_NE(testsupport::ReadFile(out.path() + "/shard1.html").find("<svg"), std::string::npos)
      << "the single-host report draws the same chart";

  // No output asked for, or an input list with no file: exit 2.
  EXPECT_EQ(RunTrawlRaw({"report", "merge", inputs[0]}).exit_code, 2);
  EXPECT_EQ(RunTrawlRaw({"report", "merge", "--html", out.path() + "/x.html"}).exit_code, 2);
}

}  // namespace
}  // namespace trawl::e2e

// End to end: the log sweep finds contact with network indicators in logs,
// plain and compressed, with line, time and excerpt, and floods nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

class LogE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string tree_ = dir_.path() + "/tree";
  std::string feed_ = dir_.path() + "/feed.txt";

  void SetUp() override {
    // A plain feed with defanged entries, as feeds publish them.
    dir_.Write("feed.txt",
               "# test C2 feed\n"
               "c2-test-domain[.]example\n"
               "hxxps://files.test-host.example/payload/\n"
               "198.51.100.23\n"
               "203.0.113.0/24\n"
               "2001:db8::bad:1\n");
  }
};

TEST_F(LogE2E, FindsEveryPlantedContactAndNoDecoy) {
  std::string syslog =
      "Mar 30 10:00:01 host dnsmasq[7]: query[A] akamaicontainer.com from 10.0.0.5\n"        // 1 builtin
      "Mar 30 10:00:02 host dnsmasq[7]: query[A] notakamaicontainer.com from 10.0.0.5\n"     // decoy
      "Mar 30 10:00:03 host dnsmasq[7]: query[A] akamaicontainer.community from 10.0.0.5\n"  // decoy
      "Mar 30 10:00:04 host dnsmasq[7]: query[A] akamaicontainer.com.example.net x\n"        // decoy
      "Mar 30 10:00:05 host app: beacon to cdn.c2-test-domain.example ok\n"                  // 5 subdomain
      "Mar 30 10:00:06 host app: connect 198.51.100.23:443\n"                                // 6 ip
      "Mar 30 10:00:07 host app: connect 198.51.100.234:443\n"                               // decoy
      "Mar 30 10:00:08 host app: peer 203.0.113.77 port 80\n"                                // 8 cidr
      "Mar 30 10:00:09 host app: fetched https://files.test-host.example/payload/x.bin\n"    // 9 url
      "Mar 30 10:00:10 host app: fetched https://files.test-host.example/other/x.bin\n"      // decoy path
      "Mar 30 10:00:11 host app: seen c2-test-domain[.]example in mail\n"                    // 11 defanged
      "Mar 30 10:00:12 host app: v6 peer [2001:0db8:0000::0bad:0001]:443\n";                 // 12 ipv6
  std::string lp = dir_.Write("tree/var/log/syslog", syslog);
  // Rotated and compressed copies: every compression trawl streams.
  std::map<std::string, std::string> tools = {
      {"syslog.2.gz", "gzip -c"}, {"syslog.3.bz2", "bzip2 -c"}, {"syslog.4.xz", "xz -c"},
      {"syslog.5.zst", "zstd -q -c"}};
  for (const auto& [name, tool] : tools) {
    std::string cmd = tool + " " + ShellQuote(lp) + " > " + ShellQuote(tree_ + "/var/log/" + name);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_});
  ASSERT_EQ(r.exit_code, 1) << r.err;

  std::set<uint64_t> want = {1, 5, 6, 8, 9, 11, 12};
  std::map<std::string, std::set<uint64_t>> lines_by_file;
  for (const auto& f : r.Of("finding")) {
    ASSERT_EQ(f["module"], "log") << f.dump();
    lines_by_file[f["path"]].insert(f["line"].get<uint64_t>());
    EXPECT_TRUE(f.contains("time")) << f.dump();
    EXPECT_TRUE(f.contains("excerpt"));
  }
  ASSERT_EQ(lines_by_file.size(), 5u) << "the plain log and four compressed ones";
  for (const auto& [path, lines] : lines_by_file) EXPECT_EQ(lines, want) << path;

  // The time of contact is read from the line.
  for (const auto& f : r.Of("finding")) {
    if (f["path"] == lp && f["line"] == 6) {
      EXPECT_NE(f["time"].get<std::string>().find("-03-30T10:00:06"), std::string::npos);
    }
  }

  // The summary's timeline has first and last contact per indicator.
  const nlohmann::json& s = *r.Summary();
  bool saw = false;
  for (const auto& t : s["timeline"])
    if (t["indicator"] == "akamaicontainer.com") {
      saw = true;
      EXPECT_EQ(t["hits"], 5);
      EXPECT_EQ(t["files"], 5);
      EXPECT_NE(t["first_seen"].get<std::string>().find("-03-30T10:00:01"), std::string::npos);
    }
  EXPECT_TRUE(saw) << s.dump();
  EXPECT_EQ(s["logs"], 5);
  EXPECT_EQ(s["findings"]["alert"].get<uint64_t>() + s["findings"]["warning"].get<uint64_t>() +
                s["findings"]["notice"].get<uint64_t>(),
            r.Of("finding").size());
}

TEST_F(LogE2E, AMillionHitsFloodNeitherConsoleNorJson) {
  std::string line = "2023-03-30T10:00:00Z GET http://akamaicontainer.com/x\n";
  std::string big;
  big.reserve(line.size() * 20000);
  for (int i = 0; i < 20000; ++i) big += line;
  dir_.Write("tree/proxy/access.log", big);
  RunResult r = RunTrawl({"scan", tree_, "--max-hits-per-file", "100"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.Of("finding").size(), 100u);
  const nlohmann::json& s = *r.Summary();
  EXPECT_EQ(s["log_hits"], 20000);
  EXPECT_EQ(s["log_hits_beyond_cap"], 19900);
  // The console shows one aggregate with the count, not 20,000 lines.
  size_t alerts = 0;
  for (size_t pos = 0; (pos = r.out.find("[ALERT]", pos)) != std::string::npos; ++pos) ++alerts;
  EXPECT_EQ(alerts, 1u) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("hits: 20000"), std::string::npos);
}

TEST_F(LogE2E, ModulesSelectTheSweeps) {
  std::string content = "2023-03-30T10:00:00Z query msstorageazure.com\n";
  dir_.Write("tree/var/log/dns.log", content);
  dir_.Write("iocs/h-hash-iocs.txt", HexDigest("SHA256", content) + ";planted log file hash\n");
  RunResult both = RunTrawl({"scan", tree_, "--iocs", dir_.path() + "/iocs"});
  RunResult files = RunTrawl({"scan", tree_, "--iocs", dir_.path() + "/iocs", "--modules", "file"});
  RunResult logs = RunTrawl({"scan", tree_, "--iocs", dir_.path() + "/iocs", "--modules", "log"});
  auto modules = [](const RunResult& r) {
    std::set<std::string> m;
    for (const auto& f : r.Of("finding")) m.insert(f["module"]);
    return m;
  };
  EXPECT_EQ(modules(both), (std::set<std::string>{"file", "log"})) << both.err;
  EXPECT_EQ(modules(files), std::set<std::string>{"file"});
  EXPECT_EQ(modules(logs), std::set<std::string>{"log"});
  RunResult bad = RunTrawl({"scan", tree_, "--modules", "nosuch"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(LogE2E, ExtraLogGlobsAndBrokenCompressedLogs) {
  dir_.Write("tree/app/output.txt", "2023-03-30T10:00:00Z contacted 198.51.100.23\n");
  // A gzip log cut short: the hit before the cut is kept, the cut is an error
  // record. Big enough (megabytes of varied lines) that the cut lies far past
  // the first contact: libarchive loses at most the piece it was decoding.
  std::string body;
  for (int i = 0; i < 100000; ++i)
    body += "2023-03-30T10:00:00Z line " + std::to_string(i * 7919 % 100003) + " " +
            HexDigest("MD5", std::to_string(i)).substr(0, 8) + "\n";
  body = "2023-03-30T09:59:59Z first 198.51.100.23\n" + body;
  std::string plain = dir_.Write("tmp/messages", body);
  std::string gz = tree_ + "/var/log/messages.1.gz";
  fs::create_directories(tree_ + "/var/log");
  ASSERT_EQ(std::system(("gzip -c " + ShellQuote(plain) + " > " + ShellQuote(gz)).c_str()), 0);
  ASSERT_EQ(truncate(gz.c_str(), fs::file_size(gz) / 2), 0);
  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_, "--log", "*.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::set<std::string> paths;
  for (const auto& f : r.Of("finding")) paths.insert(f["path"]);
  EXPECT_TRUE(paths.count(tree_ + "/app/output.txt")) << "--log adds files";
  EXPECT_TRUE(paths.count(gz)) << "hits before the truncation are kept";
  bool reported = false;
  for (const auto& e : r.Of("error")) reported |= e["path"] == gz;
  EXPECT_TRUE(reported) << r.err;
}

TEST_F(LogE2E, ImageLogsAreReportedWithTheImagesOwnPaths) {
  dir_.Write("tree/var/log/syslog",
             "Mar 30 10:00:01 host dnsmasq[7]: query[A] msstorageazure.com from 10.0.0.5\n");
  RunResult r = RunTrawl({"scan", "--root", tree_, "--modules", "log"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.Of("finding").size(), 1u);
  EXPECT_EQ(r.Of("finding")[0]["path"], "/var/log/syslog");
}

}  // namespace
}  // namespace trawl::e2e

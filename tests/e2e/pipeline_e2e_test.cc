// End to end: regressions of issue 10 (one pipeline): errors that never
// abort, the default paths of an image scan, name-AND-hash indicators in the
// process sweep, and module names from the sweep registry. Synthetic only.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "harness.h"
#include "trawl/evtx/evtx.h"
#include "trawl/testsupport/deep_dir.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

// A pack whose manifest says `"version": 5` (a number) used to throw out of
// nlohmann's value() and abort every scan (exit 134).
TEST(PipelineE2e, RegressionPackManifestWithNumericVersionDoesNotAbort) {
  TempDir dir;
  std::string target = dir.Write("tree/evil.bin", "pack-version-regression\n");
  std::string sha256 = HexDigest("SHA256", "pack-version-regression\n");
  dir.Write("packs/p/manifest.json", R"({"name": "p", "version": 5})");
  dir.Write("packs/p/content/iocs/hash-iocs.txt", sha256 + ";numeric version pack\n");
  fs::create_directories(dir.path() + "/trawl");
  fs::rename(dir.path() + "/packs", dir.path() + "/trawl/packs");
  RunResult r = RunTrawl({"scan", "--no-builtin", "--modules", "file", dir.path() + "/tree"},
                         "XDG_DATA_HOME=" + ShellQuote(dir.path()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(target), nullptr) << r.out;
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  bool seen = false;
  for (const auto& set : (*s)["indicator_sets"])
    if (set.value("name", "") == "pack:p") {
      seen = true;
      EXPECT_EQ(set.value("version", ""), "5");
    }
  EXPECT_TRUE(seen) << s->dump();
}

// An --iocs root whose yara/ is a symlink loop used to throw from
// std::filesystem::is_directory and abort the scan.
TEST(PipelineE2e, RegressionIocsRootWithYaraSymlinkLoopDoesNotAbort) {
  TempDir dir;
  std::string target = dir.Write("tree/x.bin", "loop-regression\n");
  dir.Write("root/iocs/hash-iocs.txt", HexDigest("SHA256", "loop-regression\n") + ";loop\n");
  fs::create_symlink("yara", dir.path() + "/root/yara");  // yara -> yara: ELOOP
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs", dir.path() + "/root",
                          "--modules", "file", dir.path() + "/tree"});
  EXPECT_NE(r.exit_code, 134) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor(target), nullptr) << r.out;
}

// --max-file-size -1 used to wrap around to 2^64-1; CLI11's size validator refuses it.
TEST(PipelineE2e, RegressionNegativeMaxFileSizeIsRefused) {
  TempDir dir;
  dir.Write("iocs/c2-iocs.txt", "example.invalid\n");
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs", dir.path() + "/iocs",
                          "--max-file-size", "-1", dir.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("max-file-size"), std::string::npos) << r.err;
  // A size with a unit still works.
  RunResult ok = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs", dir.path() + "/iocs",
                           "--modules", "file", "--max-file-size", "1M", dir.path() + "/iocs"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// --root IMG --map IMG2:C never scanned IMG2: main.cc took "IMG2" for a
// folder inside "IMG" by its string prefix. PathMap::DefaultPaths decides
// by path components.
TEST(PipelineE2e, RegressionRootAndMapWithSharedPrefixScansBoth) {
  TempDir dir;
  dir.Write("iocs/filename-iocs.txt", "regression-marker\\.txt$;80\n");
  dir.Write("img/etc/regression-marker.txt", "a\n");
  dir.Write("img2/Users/regression-marker.txt", "b\n");
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs",
                          dir.path() + "/iocs/filename-iocs.txt", "--modules", "file", "--root",
                          dir.path() + "/img", "--map", dir.path() + "/img2:C"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.FindingFor("/etc/regression-marker.txt"), nullptr) << r.out;
  EXPECT_NE(r.FindingFor("C:\\Users\\regression-marker.txt"), nullptr) << r.out;
}

// The process sweep used FindHash, which skips name-AND-hash indicators: a
// STIX/CSV `file:name = N AND hash = H` matched the file on disk but never
// the running process. It now goes through the content stage's one rule.
TEST(PipelineE2e, RegressionProcessSweepHonoursNameAndHashIndicators) {
  TempDir dir;
  std::string exe = dir.path() + "/bin/renamed-tool";
  fs::create_directories(dir.path() + "/bin");
  fs::copy_file("/bin/sleep", exe);
  fs::permissions(exe, fs::perms::owner_all);
  std::string sha256 = HexDigest("SHA256", ReadFile(exe));
  // Bound to the running copy's name, and one bound to another name.
  dir.Write("iocs/bound.csv", "value,type,score,description,fp_regex,and_filename\n" + sha256 +
                                  ",sha256,90,renamed tool,,renamed-tool\n");
  dir.Write("other/bound.csv", "value,type,score,description,fp_regex,and_filename\n" + sha256 +
                                   ",sha256,90,other name,,not-this-name\n");
  pid_t child = fork();
  if (child == 0) {
    execl(exe.c_str(), exe.c_str(), "300", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(child) + "/exe", ec).string() == exe) break;
    usleep(10000);
  }
  RunResult hit = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs",
                            dir.path() + "/iocs/bound.csv", "--modules", "process"});
  RunResult miss = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs",
                             dir.path() + "/other/bound.csv", "--modules", "process"});
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  const nlohmann::json* found = nullptr;
  for (const auto& j : hit.json)
    if (j.value("type", "") == "finding" && j.value("module", "") == "process" &&
        j.value("pid", 0) == child)
      found = &j;
  ASSERT_NE(found, nullptr) << hit.out << hit.err;
  EXPECT_EQ((*found)["reasons"][0]["kind"], "hash");
  EXPECT_EQ((*found)["reasons"][0]["indicator"], sha256);
  for (const auto& j : miss.json)
    EXPECT_FALSE(j.value("type", "") == "finding" && j.value("pid", 0) == child) << j.dump();
}

// --modules is checked against the sweep registry; the help lists it.
TEST(PipelineE2e, ModulesComeFromTheRegistry) {
  RunResult bad = RunTrawl({"scan", "--modules", "file,nosuch", "/nonexistent"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown module 'nosuch'"), std::string::npos) << bad.err;
  RunResult help = RunTrawl({"scan", "--help"});
  EXPECT_NE(help.out.find("file,log,evtx,journal,browser,inventory,process,network"),
            std::string::npos)
      << help.out;
}

}  // namespace
}  // namespace trawl::e2e

namespace trawl::e2e {
namespace {

// Load problems reached stderr only; they are JSON Lines `type: "problem"`
// records and a section of the HTML report too.
TEST(PipelineE2e, LoadProblemsReachTheJsonAndHtmlSinks) {
  TempDir dir;
  std::string iocs = dir.Write("iocs/c2-iocs.txt", "example.invalid\nnot a domain at all!\n");
  dir.Write("tree/a.txt", "nothing\n");
  std::string html = dir.path() + "/report.html";
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs", iocs, "--modules", "file",
                          "--html", html, dir.path() + "/tree"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> problems = r.Of("problem");
  ASSERT_EQ(problems.size(), 1u) << r.out;
  EXPECT_EQ(problems[0]["set"], iocs);
  EXPECT_EQ(problems[0]["where"], iocs + ":2");
  EXPECT_FALSE(problems[0]["message"].get<std::string>().empty());
  std::string doc = ReadFile(html);
  EXPECT_NE(doc.find("Load problems (1)"), std::string::npos);
  EXPECT_NE(doc.find(iocs + ":2"), std::string::npos);
}

}  // namespace
}  // namespace trawl::e2e

namespace trawl::e2e {
namespace {

// "ran / not requested" comes from the registry: every registered module is
// in exactly one of the two lists.
TEST(PipelineE2e, SummarySaysWhichModulesRan) {
  TempDir dir;
  std::string iocs = dir.Write("iocs/c2-iocs.txt", "example.invalid\n");
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--iocs", iocs, "--modules",
                          "file,evtx", dir.path() + "/iocs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["modules_run"], "file,evtx");
  EXPECT_EQ((*s)["modules_not_run"], "log,journal,browser,inventory,process,network,sigma");
}

}  // namespace
}  // namespace trawl::e2e

namespace trawl::e2e {
namespace {

// Regression (issue 10): the file sweep opened every file by its full path,
// so a file deeper than PATH_MAX was an error record ("File name too long")
// and its hash was never checked. It is now opened relative to the directory
// the walk holds open.
TEST(PipelineE2e, RegressionFileBeyondPathMaxIsCheckedThroughTheWalkedDirectory) {
  TempDir dir;
  const std::string content = "deep-file-beyond-path-max\n";
  std::string iocs =
      dir.Write("iocs/hash-iocs.txt", HexDigest("SHA256", content) + ";deep planted file\n");
  ASSERT_EQ(::mkdir((dir.path() + "/tree").c_str(), 0700), 0);
  testsupport::DeepDir deep(dir.path() + "/tree", 25);  // 25 x 201 bytes: past PATH_MAX (4096)
  std::string path = deep.Write("payload.bin", content);
  ASSERT_GT(path.size(), static_cast<std::size_t>(PATH_MAX));

  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--modules", "file", "--iocs", iocs,
                          dir.path() + "/tree"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json* hit = r.FindingFor(path);
  ASSERT_NE(hit, nullptr) << r.out;
  EXPECT_EQ((*hit)["module"], "file");
  EXPECT_TRUE(r.Of("error").empty()) << r.out;
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

// Regression (issue 10): the log sweep, the journal reader and the browser
// sweep opened their files by full path, so a log, a journal or a History
// deeper than PATH_MAX was an error record ("File name too long") and its
// contacts were never seen; the walk opened directories by full path once past
// its descriptor budget, too. All three are now opened relative to the
// directory the walk holds, and the walk reaches them at any depth.
TEST(PipelineE2e, RegressionLogJournalAndHistoryBeyondPathMaxAreRead) {
  TempDir dir;
  std::string feed = dir.Write("feed.txt", "c2-deep.example\n");
  // The journal and the History are made at short paths, then copied down.
  std::string exp =
      dir.Write("journal.export",
                "__REALTIME_TIMESTAMP=1680170401123456\n__MONOTONIC_TIMESTAMP=1000\n"
                "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=updater.service\n"
                "MESSAGE=beacon to cdn.c2-deep.example ok\n\n");
  std::string journal = dir.path() + "/made.journal";
  ASSERT_EQ(std::system(("/lib/systemd/systemd-journal-remote --output=" + ShellQuote(journal) +
                         " - < " + ShellQuote(exp) + " 2>/dev/null")
                            .c_str()),
            0);
  std::string history = dir.path() + "/made-History";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(history.c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, DbCloser> db(raw);
    ASSERT_EQ(sqlite3_exec(db.get(),
                           "CREATE TABLE urls(id INTEGER PRIMARY KEY,url LONGVARCHAR,title "
                           "LONGVARCHAR,last_visit_time INTEGER NOT NULL);"
                           "CREATE TABLE visits(id INTEGER PRIMARY KEY,url INTEGER NOT NULL,"
                           "visit_time INTEGER NOT NULL);"
                           "INSERT INTO urls VALUES(1,'https://gate.c2-deep.example/x','',0);"
                           "INSERT INTO visits VALUES(7,1,13325000000000000);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  ASSERT_EQ(::mkdir((dir.path() + "/tree").c_str(), 0700), 0);
  // Side branches at every level, so the walk's descriptor budget is spent.
  testsupport::DeepDir deep(dir.path() + "/tree", 25, std::string(200, 'd'), [](int fd, int) {
    for (const char* side : {"s1/f", "s2/f", "s3/f"}) testsupport::WriteAt(fd, side, "x");
  });
  std::string log =
      deep.Write("var/log/app.log", "2023-03-30T10:00:00Z query cdn.c2-deep.example\n");
  std::string jpath = deep.Write("var/log/journal/0123456789abcdef0123456789abcdef/system.journal",
                                 ReadFile(journal));
  std::string hpath = deep.Write("home/u/.config/google-chrome/Default/History", ReadFile(history));
  ASSERT_GT(deep.path().size(), static_cast<std::size_t>(PATH_MAX));

  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--modules", "log,journal,browser",
                          "--iocs", feed, dir.path() + "/tree"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.Of("error").empty()) << r.out;
  const nlohmann::json* l = r.FindingFor(log);
  ASSERT_NE(l, nullptr) << r.out;
  EXPECT_EQ((*l)["module"], "log");
  const nlohmann::json* j = r.FindingFor(jpath);
  ASSERT_NE(j, nullptr) << r.out;
  EXPECT_EQ((*j)["module"], "journal");
  EXPECT_EQ((*j)["unit"], "updater.service");
  const nlohmann::json* h = r.FindingFor(hpath);
  ASSERT_NE(h, nullptr) << r.out;
  EXPECT_EQ((*h)["module"], "browser");
  EXPECT_EQ((*h)["visit"], 7);
}

// One read of an event log for the evtx and Sigma sweeps (issue 10): the
// network destination of the sample's first Sysmon event 3, as an indicator
// (module evtx) and as a Sigma rule (module sigma).
class EvtxOnePass : public ::testing::Test {
 protected:
  const std::string sample_ =
      std::string(TRAWL_SHARED_DATA) +
      "/evtx/mdecrevoisier__ID3-7-10_Suspicious_DLL_loaded_CME_Mimikatz.evtx";
  TempDir dir_;
  std::string ip_, feed_, rules_;

  void SetUp() override {
    auto st = evtx::ReadFile(sample_, [&](const evtx::Record& r) {
      for (const evtx::Field& f : r.fields)
        if (ip_.empty() && r.event_id == 3 && f.name == "DestinationIp") ip_ = f.value;
    });
    ASSERT_TRUE(st.ok());
    ASSERT_FALSE(ip_.empty());
    feed_ = dir_.Write("feed.txt", ip_ + "\n");
    rules_ =
        dir_.Write("rules/conn.yml",
                   "title: One Pass Connection\nid: 77777777-7777-7777-7777-777777777777\n"
                   "level: high\nlogsource:\n  product: windows\n  category: network_connection\n"
                   "detection:\n  s:\n    DestinationIp: '" +
                       ip_ + "'\n  condition: s\n");
  }

  RunResult Scan(const std::string& modules, const std::string& root) {
    return RunTrawl({"scan", "--no-builtin", "--no-packs", "--modules", modules, "--iocs", feed_,
                     "--sigma", rules_, root});
  }

  static std::uint32_t Crc32(const std::string& s, std::size_t off, std::size_t n) {
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = off; i < off + n; ++i) {
      c ^= static_cast<unsigned char>(s[i]);
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
  }
  static void PutLe(std::string& s, std::size_t off, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
};

// Regression (issue 10): with both modules, each .evtx was read twice (once
// per sweep) and a damaged chunk gave two error records. One read now feeds
// both: the damaged chunk is one error record, and both findings appear.
TEST_F(EvtxOnePass, RegressionDamagedChunkIsOneErrorAndBothModulesFindTheirHits) {
  std::string bytes = ReadFile(sample_);
  ASSERT_EQ(bytes.size(), 4096u + 65536u);  // the file header and one chunk
  // A second chunk: a copy of the first whose header checksum is wrong.
  std::string bad = bytes.substr(4096);
  bad[124] = static_cast<char>(bad[124] ^ 0x5a);
  bytes += bad;
  PutLe(bytes, 16, 1, 8);  // last chunk number
  PutLe(bytes, 42, 2, 2);  // chunk count
  PutLe(bytes, 124, Crc32(bytes, 0, 120), 4);
  std::string log = dir_.Write("tree/Logs/Sysmon.evtx", bytes);

  RunResult r = Scan("evtx,sigma", dir_.path() + "/tree");
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  std::vector<std::string> errors;
  for (const auto& e : r.Of("error"))
    if (e.value("path", "") == log) errors.push_back(e.dump());
  ASSERT_EQ(errors.size(), 1u) << r.out;
  EXPECT_NE(errors[0].find("\"module\":\"evtx\""), std::string::npos) << errors[0];
  int evtx_hits = 0, sigma_hits = 0;
  for (const auto& f : r.Of("finding")) {
    if (f.value("path", "") != log) continue;
    evtx_hits += f.value("module", "") == "evtx";
    sigma_hits +=
        f.value("module", "") == "sigma" && f.value("rule_title", "") == "One Pass Connection";
  }
  EXPECT_GT(evtx_hits, 0) << r.out;
  EXPECT_GT(sigma_hits, 0) << r.out;
  EXPECT_EQ(r.Summary()->value("evtx_files", -1), 1);
  EXPECT_EQ(r.Summary()->value("sigma_files", -1), 1);
  // Sigma never evaluates the records of a chunk that failed its checks.
  std::int64_t good_records = 0;
  ASSERT_TRUE(evtx::ReadFile(sample_, [&](const evtx::Record&) { ++good_records; }).ok());
  EXPECT_EQ(r.Summary()->value("sigma_events", -1), good_records);

  // Sigma alone reads the file too, and reports the chunk once.
  RunResult s = Scan("sigma", dir_.path() + "/tree");
  ASSERT_NE(s.Summary(), nullptr) << s.err;
  errors.clear();
  for (const auto& e : s.Of("error"))
    if (e.value("path", "") == log) errors.push_back(e.dump());
  ASSERT_EQ(errors.size(), 1u) << s.out;
  EXPECT_NE(errors[0].find("\"module\":\"sigma\""), std::string::npos) << errors[0];
}

// Regression (issue 10): the EVTX reader opened the log by its full path, so
// an event log deeper than PATH_MAX was an error record for both sweeps. It
// is opened through the reader stage relative to the walked directory.
TEST_F(EvtxOnePass, RegressionEventLogBeyondPathMaxIsRead) {
  const std::string bytes = ReadFile(sample_);
  ASSERT_EQ(::mkdir((dir_.path() + "/tree").c_str(), 0700), 0);
  int cur = ::open((dir_.path() + "/tree").c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  ASSERT_GE(cur, 0);
  std::string path = dir_.path() + "/tree";
  const std::string comp(200, 'e');
  for (int i = 0; i < 25; ++i) {  // 25 x 201 bytes: past PATH_MAX (4096)
    ASSERT_EQ(::mkdirat(cur, comp.c_str(), 0700), 0);
    int next = ::openat(cur, comp.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    ::close(cur);
    ASSERT_GE(next, 0);
    cur = next;
    path += "/" + comp;
  }
  int f = ::openat(cur, "Sysmon.evtx", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ::close(cur);
  ASSERT_GE(f, 0);
  ASSERT_EQ(::write(f, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(f);
  path += "/Sysmon.evtx";
  ASSERT_GT(path.size(), static_cast<std::size_t>(PATH_MAX));

  RunResult r = Scan("evtx,sigma", dir_.path() + "/tree");
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_TRUE(r.Of("error").empty()) << r.out;
  int evtx_hits = 0, sigma_hits = 0;
  for (const auto& fd : r.Of("finding")) {
    if (fd.value("path", "") != path) continue;
    evtx_hits += fd.value("module", "") == "evtx";
    sigma_hits += fd.value("module", "") == "sigma";
  }
  EXPECT_GT(evtx_hits, 0) << r.out;
  EXPECT_GT(sigma_hits, 0) << r.out;
  EXPECT_EQ(std::system(("rm -rf " + ShellQuote(dir_.path() + "/tree")).c_str()), 0);
}

// The same for Sigma's JSON events (an --events export): read from the walked
// entry, opened relative to its directory, at any path length.
TEST_F(EvtxOnePass, RegressionJsonEventsBeyondPathMaxAreRead) {
  ASSERT_EQ(::mkdir((dir_.path() + "/tree").c_str(), 0700), 0);
  testsupport::DeepDir deep(dir_.path() + "/tree", 25, std::string(200, 'j'));
  const std::string path = deep.Write(
      "export.json",
      "{\"Event\":{\"System\":{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
      "\"EventID\":3,\"Computer\":\"host1\"},\"EventData\":{\"DestinationIp\":\"" +
          ip_ + "\"}}}\n");
  ASSERT_GT(path.size(), static_cast<std::size_t>(PATH_MAX));
  RunResult r = RunTrawl({"scan", "--no-builtin", "--no-packs", "--modules", "sigma", "--sigma",
                          rules_, "--events", "*.json", dir_.path() + "/tree"});
  ASSERT_NE(r.Summary(), nullptr) << r.err;
  EXPECT_TRUE(r.Of("error").empty()) << r.out;
  int hits = 0;
  for (const auto& fd : r.Of("finding"))
    hits += fd.value("path", "") == path && fd.value("module", "") == "sigma";
  EXPECT_GT(hits, 0) << r.out;
}

}  // namespace
}  // namespace trawl::e2e

// End to end: the artifact sweeps (modules evtx, journal, browser) find
// contact with network indicators in a Windows event log, a systemd journal
// file, a Chrome History and a Firefox places.sqlite (visit only in the WAL),
// each with its module's fields, and feed the contact timeline.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "trawl/evtx/evtx.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kSample = std::string(TRAWL_SHARED_DATA) +
                            "/evtx/mdecrevoisier__ID3-7-10_Suspicious_DLL_loaded_CME_Mimikatz.evtx";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Db OpenDb(const std::string& path) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  return Db(raw);
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

constexpr long long kWebKit = 11644473600LL * 1000000;

class ArtifactsE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string tree_ = dir_.path() + "/tree";
  std::string feed_ = dir_.path() + "/feed.txt";
  std::string evtx_ =
      tree_ + "/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx";
  std::string renamed_ = tree_ + "/evidence/export.bin";
  std::string journal_ = tree_ + "/var/log/journal/0123456789abcdef0123456789abcdef/system.journal";
  std::string chrome_ =
      tree_ + "/Users/alice/AppData/Local/Google/Chrome/User Data/Default/History";
  std::string firefox_ = tree_ + "/home/bob/.mozilla/firefox/ab12.default-release/places.sqlite";
  std::string ip_;                                         // picked from the sample
  std::set<std::pair<long long, std::string>> evtx_want_;  // (record, field) holding ip_
  Db firefox_db_;  // kept open: its WAL must survive until the scan

  void SetUp() override {
    // The network connection destination of the sample's first Sysmon event 3,
    // and every field that holds it.
    auto st = evtx::ReadFile(kSample, [&](const evtx::Record& r) {
      for (const evtx::Field& f : r.fields)
        if (ip_.empty() && r.event_id == 3 && f.name == "DestinationIp") ip_ = f.value;
    });
    ASSERT_TRUE(st.ok());
    ASSERT_FALSE(ip_.empty());
    st = evtx::ReadFile(kSample, [&](const evtx::Record& r) {
      for (const evtx::Field& f : r.fields)
        if (f.value == ip_) evtx_want_.insert({static_cast<long long>(r.id), f.name});
    });
    ASSERT_GE(evtx_want_.size(), 2u);
    fs::create_directories(fs::path(evtx_).parent_path());
    fs::copy_file(kSample, evtx_);
    fs::create_directories(fs::path(renamed_).parent_path());
    fs::copy_file(kSample, renamed_);

    dir_.Write("feed.txt", ip_ + "\nc2-e2e[.]example\nhxxps://files.e2e-host.example/payload/\n");

    // The journal: a planted contact at a known time, and a decoy.
    std::string exp =
        "__REALTIME_TIMESTAMP=1680170401123456\n__MONOTONIC_TIMESTAMP=1000\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=updater.service\n"
        "MESSAGE=beacon to cdn.c2-e2e.example ok\n\n"
        "__REALTIME_TIMESTAMP=1680170402000000\n__MONOTONIC_TIMESTAMP=2000\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=decoy.service\n"
        "MESSAGE=notc2-e2e.example is fine\n\n";
    std::string src = dir_.Write("journal.export", exp);
    fs::create_directories(fs::path(journal_).parent_path());
    std::string cmd = "/lib/systemd/systemd-journal-remote --output=" + ShellQuote(journal_) +
                      " - < " + ShellQuote(src) + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);

    // Chrome: two visits of a C2 URL, a decoy.
    fs::create_directories(fs::path(chrome_).parent_path());
    {
      Db db = OpenDb(chrome_);
      Exec(db.get(),
           "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title "
           "LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT "
           "NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);"
           "CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,"
           "visit_time INTEGER NOT NULL,from_visit INTEGER,transition INTEGER DEFAULT 0 NOT NULL,"
           "segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL);");
      Exec(db.get(),
           "INSERT INTO urls(id,url,title,last_visit_time) VALUES"
           "(1,'https://files.e2e-host.example/payload/stage2.bin','',0),"
           "(2,'https://files.e2e-host.example/other','',0);"
           "INSERT INTO visits(id,url,visit_time) VALUES(7,1," +
               std::to_string(1680170401000000LL + kWebKit) + "),(8,1," +
               std::to_string(1680170403000000LL + kWebKit) + "),(9,2," +
               std::to_string(1680170404000000LL + kWebKit) + ");");
    }

    // Firefox in WAL mode; the C2 visit only in the WAL.
    fs::create_directories(fs::path(firefox_).parent_path());
    firefox_db_ = OpenDb(firefox_);
    Exec(firefox_db_.get(),
         "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
         "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,"
         " rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,"
         " typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,"
         " last_visit_date INTEGER , guid TEXT);"
         "CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER,"
         " place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER);"
         "PRAGMA wal_checkpoint(TRUNCATE);"
         "INSERT INTO moz_places(id,url,title,last_visit_date) VALUES"
         "(5,'http://c2-e2e.example/gate','Gate',1680170405000000);"
         "INSERT INTO moz_historyvisits(id,place_id,visit_date,visit_type) VALUES"
         "(42,5,1680170405000000,1);");
    struct stat wal {};
    ASSERT_EQ(stat((firefox_ + "-wal").c_str(), &wal), 0);
    ASSERT_GT(wal.st_size, 0);
  }
};

TEST_F(ArtifactsE2E, EachArtifactFoundWithItsModuleAndFields) {
  std::string firefox_before = ReadFile(firefox_), wal_before = ReadFile(firefox_ + "-wal");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_});
  ASSERT_EQ(r.exit_code, 1) << r.err;

  std::set<std::pair<long long, std::string>> evtx_got;
  std::size_t renamed_hits = 0;
  bool journal_seen = false, chrome7 = false, chrome8 = false, firefox42 = false;
  for (const auto& f : r.Of("finding")) {
    std::string path = f["path"];
    if (path == evtx_) {
      ASSERT_EQ(f["module"], "evtx") << f.dump();
      evtx_got.insert({f["record"].get<long long>(), f["field"].get<std::string>()});
      EXPECT_EQ(f["value"], ip_);
      EXPECT_EQ(f["channel"], "Microsoft-Windows-Sysmon/Operational");
      EXPECT_EQ(f["event_id"], 3);
      EXPECT_EQ(f["provider"], "Microsoft-Windows-Sysmon");
      EXPECT_TRUE(f["computer"].is_string());
      EXPECT_EQ(f["time"].get<std::string>().substr(0, 11), "2021-11-30T");
      EXPECT_EQ(f["recovered"], false);
      EXPECT_EQ(f["reasons"][0]["indicator"], ip_);
    } else if (path == renamed_) {
      EXPECT_EQ(f["module"], "evtx");  // found by its magic
      renamed_hits++;
    } else if (path == journal_) {
      ASSERT_EQ(f["module"], "journal") << f.dump();
      EXPECT_FALSE(journal_seen) << "the decoy does not match";
      journal_seen = true;
      EXPECT_EQ(f["time"], "2023-03-30T10:00:01.123456Z");
      EXPECT_EQ(f["field"], "MESSAGE");
      EXPECT_EQ(f["unit"], "updater.service");
      EXPECT_EQ(f["value"], "beacon to cdn.c2-e2e.example ok");
      EXPECT_EQ(f["cursor"].get<std::string>().substr(0, 2), "s=");
    } else if (path == chrome_) {
      ASSERT_EQ(f["module"], "browser") << f.dump();
      EXPECT_EQ(f["url"], "https://files.e2e-host.example/payload/stage2.bin");
      EXPECT_EQ(f["browser"], "chrome");
      EXPECT_EQ(f["profile"], "Default");
      EXPECT_EQ(f["user"], "alice");
      if (f["visit"] == 7) {
        chrome7 = true;
        EXPECT_EQ(f["time"], "2023-03-30T10:00:01Z");
      } else {
        ASSERT_EQ(f["visit"], 8) << f.dump();  // visit 9 is the decoy path
        chrome8 = true;
        EXPECT_EQ(f["time"], "2023-03-30T10:00:03Z");
      }
    } else if (path == firefox_) {
      ASSERT_EQ(f["module"], "browser") << f.dump();
      EXPECT_EQ(f["browser"], "firefox");
      EXPECT_EQ(f["profile"], "ab12.default-release");
      EXPECT_EQ(f["user"], "bob");
      EXPECT_EQ(f["visit"], 42);
      EXPECT_EQ(f["time"], "2023-03-30T10:00:05Z");
      EXPECT_EQ(f["url"], "http://c2-e2e.example/gate");
      firefox42 = true;
    }
  }
  EXPECT_EQ(evtx_got, evtx_want_);
  EXPECT_EQ(renamed_hits, evtx_want_.size());
  EXPECT_TRUE(journal_seen);
  EXPECT_TRUE(chrome7 && chrome8);
  EXPECT_TRUE(firefox42) << "the visit only in the WAL";
  EXPECT_TRUE(r.Of("error").empty()) << r.Of("error")[0].dump();
  // The evidence is as it was, and SQLite made nothing beside it.
  EXPECT_EQ(ReadFile(firefox_), firefox_before);
  EXPECT_EQ(ReadFile(firefox_ + "-wal"), wal_before);
  EXPECT_FALSE(fs::exists(firefox_ + "-shm"));
  EXPECT_FALSE(fs::exists(chrome_ + "-journal"));

  const nlohmann::json& s = *r.Summary();
  EXPECT_EQ(s["evtx_files"], 2);
  EXPECT_EQ(s["journal_files"], 1);
  EXPECT_EQ(s["journal_entries"], 2);
  EXPECT_EQ(s["browser_databases"], 2);
  EXPECT_EQ(s["browser_urls"], 3);
  // Timeline: the domain seen in the journal and in Firefox, first and last.
  bool saw = false;
  for (const auto& t : s["timeline"])
    if (t["indicator"] == "c2-e2e.example") {
      saw = true;
      EXPECT_EQ(t["hits"], 2);
      EXPECT_EQ(t["files"], 2);
      EXPECT_EQ(t["first_seen"], "2023-03-30T10:00:01.123Z");
      EXPECT_EQ(t["last_seen"], "2023-03-30T10:00:05Z");
    }
  EXPECT_TRUE(saw) << s.dump();
}

TEST_F(ArtifactsE2E, ModulesSelectTheSweeps) {
  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_, "--modules", "journal"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  ASSERT_FALSE(r.Of("finding").empty());
  for (const auto& f : r.Of("finding")) EXPECT_EQ(f["module"], "journal") << f.dump();
  const nlohmann::json& s = *r.Summary();
  EXPECT_EQ(s["journal_files"], 1);
  EXPECT_FALSE(s.contains("evtx_files"));

  r = RunTrawl({"scan", tree_, "--iocs", feed_, "--modules", "browser,evtx"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::set<std::string> modules;
  for (const auto& f : r.Of("finding")) modules.insert(f["module"]);
  EXPECT_EQ(modules, (std::set<std::string>{"browser", "evtx"}));
}

TEST_F(ArtifactsE2E, BrokenArtifactsAreErrorsAndTheScanGoesOn) {
  std::string bad_evtx = dir_.Write("tree/Logs/Broken.evtx", std::string(70000, 'x'));
  std::string bad_hist =
      dir_.Write("tree/home/eve/.config/google-chrome/Default/History", std::string(8192, 'h'));
  std::string bad_journal = dir_.Write("tree/var/log/journal/x/user-1000.journal", "junk");
  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::map<std::string, std::string> error_module;
  for (const auto& e : r.Of("error")) error_module[e["path"]] = e["module"];
  EXPECT_EQ(error_module[bad_evtx], "evtx");
  EXPECT_EQ(error_module[bad_hist], "browser");
  EXPECT_EQ(error_module[bad_journal], "journal");
  bool journal = false;
  for (const auto& f : r.Of("finding")) journal |= f["path"] == journal_;
  EXPECT_TRUE(journal) << "the good files are still read";
}

}  // namespace
}  // namespace trawl::e2e

namespace trawl::e2e {
namespace {

TEST_F(ArtifactsE2E, PrivateCopiesInsideTheScannedTreeAreNotSwept) {
  // TMPDIR inside the scanned tree: the sweep's private directory is pruned
  // from the walk, so its copies are never swept as files or reported.
  std::string tmp = tree_ + "/tmp";
  fs::create_directories(tmp);
  RunResult r = RunTrawl({"scan", tree_, "--iocs", feed_}, "TMPDIR=" + ShellQuote(tmp));
  ASSERT_EQ(r.exit_code, 1) << r.err;
  for (const auto& j : r.json)
    if (j.contains("path")) {
      EXPECT_EQ(j["path"].get<std::string>().find(tmp), std::string::npos);
    }
  const nlohmann::json& s = *r.Summary();
  EXPECT_EQ(s["browser_databases"], 2);
  EXPECT_EQ(s["skipped"]["excluded"], 1) << s.dump();
  EXPECT_TRUE(fs::is_empty(tmp)) << "nothing left behind";
}

}  // namespace
}  // namespace trawl::e2e

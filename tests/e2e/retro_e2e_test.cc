// End to end: the host inventory and retro-hunt (issue 16). A tree the test
// builds is inventoried, then feeds with planted hashes, names, domains, IPs
// and URLs are checked against the inventory: every planted one is found,
// nothing else. Synthetic only.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <map>
#include <regex>
#include <set>
#include <tuple>
#include <sstream>

#include "harness.h"
#include "trawl/testsupport/loopback.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

// What a retro run found: (path, indicator) per reason.
std::set<std::pair<std::string, std::string>> Found(const RunResult& r) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : r.Of("finding")) {
    EXPECT_EQ(f.value("module", ""), "retro");
    for (const auto& reason : f["reasons"])
      out.insert({f.value("path", ""), reason.value("indicator", "")});
  }
  return out;
}

struct Host {
  std::string root, db;
};

// A small host: binaries, a text log, a hosts file.
Host MakeHost(const TempDir& dir, const std::string& name, const std::string& evil,
              const std::string& domain) {
  Host h{dir.path() + "/" + name, dir.path() + "/" + name + ".db"};
  dir.Write(name + "/opt/app/bin/payload.dll", evil);
  dir.Write(name + "/opt/app/bin/benign.dll", "benign bytes of " + name + "\n");
  dir.Write(name + "/home/u/notes.txt", "nothing to see\n");
  dir.Write(name + "/var/log/syslog", "Mar 30 10:00:01 " + name + " app[1]: resolved cdn." +
                                          domain +
                                          " to 203.0.113.10\n"
                                          "Mar 30 10:05:00 " +
                                          name +
                                          " app[1]: GET https://files.example.net/drop/x.zip\n"
                                          "Mar 30 11:00:00 " +
                                          name + " app[1]: talked to innocent.example.org\n");
  dir.Write(name + "/etc/hosts", "127.0.0.1 localhost\n198.51.100.20 update.example.com\n");
  return h;
}

RunResult Inventory(const Host& h, const std::vector<std::string>& more = {}) {
  std::vector<std::string> args = {"scan", "--no-builtin", "--no-packs", "-q",
                                   h.root, "--inventory",  h.db};
  // Any indicator set will do for the scan; the inventory does not depend on it.
  args.insert(args.end(), more.begin(), more.end());
  return RunTrawl(args);
}

TEST(RetroE2e, InventoryThenRetroFindsEveryPlantedIndicatorAndNothingElse) {
  TempDir dir;
  std::string evil = "retro-evil-" + RandomBytes(64);
  Host h = MakeHost(dir, "host1", evil, "evil-c2.test");
  std::string scan_feed = dir.Write("scanfeed/c2-iocs.txt", "unrelated-domain.invalid\n");
  RunResult scan = Inventory(h, {"--iocs", scan_feed});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  ASSERT_TRUE(fs::exists(h.db));
  ASSERT_NE(scan.Summary(), nullptr);
  EXPECT_EQ(scan.Summary()->value("digests_read", -1), 5);  // every regular file hashed

  // The feed arrives later: a SHA-256, an MD5, a name, a domain, a CIDR, a URL, and a keyword.
  std::string notes_md5 = HexDigest("MD5", "nothing to see\n");
  std::string feed = dir.Write("feed/iocs.txt", HexDigest("SHA256", evil) + "\n" + notes_md5 +
                                                    "\nevil-c2[.]test\n203.0.113.0/24\n"
                                                    "hxxps://files.example.net/drop\n"
                                                    "198.51.100.20\n"
                                                    "never-seen.example\n");
  std::string names = dir.Write("feed/filename-iocs.txt", "benign\\.dll$;70\n");
  std::string kw = dir.Write("feed/keyword-iocs.txt", "SecretMutex\n");
  RunResult r = RunTrawl(
      {"retro", h.db, "--no-builtin", "--no-packs", "--iocs", feed, "--iocs", names, "--iocs", kw});
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  std::string shown = h.root;
  std::set<std::pair<std::string, std::string>> want = {
      {shown + "/opt/app/bin/payload.dll", HexDigest("SHA256", evil)},
      {shown + "/home/u/notes.txt", notes_md5},
      {shown + "/opt/app/bin/benign.dll", "benign\\.dll$"},
      {shown + "/var/log/syslog:1", "evil-c2.test"},
      {shown + "/var/log/syslog:1", "203.0.113.0/24"},
      {shown + "/var/log/syslog:2", "https://files.example.net/drop"},
      {shown + "/etc/hosts:2", "198.51.100.20"},
  };
  EXPECT_EQ(Found(r), want) << r.out;
  // Origin facts: host from the inventory, the module that saw it, when.
  for (const auto& f : r.Of("finding")) {
    EXPECT_FALSE(f.value("host", "").empty());
    EXPECT_EQ(f.value("inventory", ""), h.db);
    std::string by = f.value("seen_by", "");
    EXPECT_TRUE(by == "file" || by == "log" || by == "network") << by;
    if (by == "log") {
      EXPECT_EQ(f.value("first_seen", "").substr(5, 5), "03-30");
    }
    if (by == "file") {
      EXPECT_FALSE(f.value("seen", "").empty());
    }
  }
  // The keyword cannot be answered by an inventory: said, not dropped.
  bool said = false;
  for (const auto& p : r.Of("problem"))
    said |= p.value("message", "").find("1 keyword indicator(s) cannot be checked") !=
            std::string::npos;
  EXPECT_TRUE(said) << r.out;
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ(r.Summary()->value("not_checkable", ""), "1 keyword");
}

// Sigma rules need events, which an inventory does not hold: retro loads
// them (a broken path stops it before it starts, as it stops a scan) and says
// how many it could not check, built-in ones included.
TEST(RetroE2e, SigmaRulesAreCountedAsNotCheckable) {
  TempDir dir;
  Host h = MakeHost(dir, "host1", "sigma-retro-" + RandomBytes(16), "evil-c2.test");
  std::string feed = dir.Write("feed/c2-iocs.txt", "unrelated-domain.invalid\n");
  ASSERT_EQ(Inventory(h, {"--iocs", feed}).exit_code, 0);
  const std::string rule = std::string(TRAWL_SOURCE_DIR) +
                           "/packs/sigma/rules/dns_query_win_malware_3cx_compromise.yml";
  RunResult r = RunTrawl({"retro", h.db, "--no-builtin", "--no-packs", "--iocs", feed, "--sigma",
                          rule});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  ASSERT_NE(r.Summary(), nullptr);
  EXPECT_EQ(r.Summary()->value("not_checkable", ""), "1 sigma rule");
  bool said = false;
  for (const auto& p : r.Of("problem"))
    said |= p.value("message", "").find("1 sigma rule indicator(s) cannot be checked") !=
            std::string::npos;
  EXPECT_TRUE(said) << r.out;

  RunResult builtin = RunTrawl({"retro", h.db, "--no-packs", "--iocs", feed});
  ASSERT_NE(builtin.Summary(), nullptr) << builtin.err;
  EXPECT_NE(builtin.Summary()->value("not_checkable", "").find("sigma rule"), std::string::npos);

  RunResult bad = RunTrawl({"retro", h.db, "--no-builtin", "--no-packs", "--iocs", feed,
                            "--sigma", dir.path() + "/no-such-rules"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no-such-rules"), std::string::npos) << bad.err;
}

// Regression (issue 16): an inventory of a --map volume holds C:\... paths,
// and retro matched Windows-written name indicators on them case-sensitively,
// so a name the scan itself would have found (caseless on the volume) was
// missed the next day.
TEST(RetroE2e, WindowsPathsFromAMapScanMatchNamesCaselessly) {
  TempDir dir;
  dir.Write("vol/users/BOB/appdata/roaming/EVIL.DAT", "x");
  dir.Write("vol/users/BOB/notes.txt", "y");
  std::string db = dir.path() + "/win.db";
  std::string unrelated = dir.Write("feed0/c2-iocs.txt", "unrelated-domain.invalid\n");
  RunResult scan = RunTrawl({"scan", "--no-builtin", "--no-packs", "-q", "--iocs", unrelated,
                             "--map", dir.path() + "/vol:C", "--modules", "file", "--inventory",
                             db});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  std::string names = dir.Write(
      "feed/filename-iocs.txt",
      "# Windows-written\n\\\\Users\\\\Bob\\\\AppData\\\\Roaming\\\\evil\\.dat$;80\n");
  RunResult r = RunTrawl({"retro", db, "--no-builtin", "--no-packs", "--iocs", names});
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  std::set<std::pair<std::string, std::string>> want = {
      {"C:\\users\\BOB\\appdata\\roaming\\EVIL.DAT",
       "\\\\Users\\\\Bob\\\\AppData\\\\Roaming\\\\evil\\.dat$"}};
  EXPECT_EQ(Found(r), want) << r.out;
}

// The contact index's rows, exactly: from the log sweep's own pass (logs,
// compressed ones too) and the hosts file, whether or not the scan loaded a
// network indicator (without one the log sweep runs for the index alone).
std::set<std::string> ContactRows(const std::string& db_path) {
  std::set<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT kind || ' ' || value || ' ' || count || ' ' || (first_ms IS NOT NULL) "
                     "|| ' ' || (last_ms IS NOT NULL) || ' ' || module || ' ' || example "
                     "FROM contacts",
                     -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(RetroE2e, ContactIndexRowsFromTheLogSweepsOwnPass) {
  TempDir dir;
  Host h = MakeHost(dir, "host1", "x", "evil-c2.test");
  std::string rotated = h.root + "/var/log/syslog.2";
  dir.Write("host1/var/log/syslog.2",
            "Mar 29 09:00:00 host1 app[1]: resolved cdn.evil-c2.test again\n"
            "Mar 29 09:00:01 host1 app[1]: and old.example.com\n");
  ASSERT_EQ(std::system(("gzip " + ShellQuote(rotated)).c_str()), 0);
  std::string r = h.root;
  std::set<std::string> want = {
      "domain cdn.evil-c2.test 2 1 1 log " + r + "/var/log/syslog:1",
      "domain files.example.net 1 1 1 log " + r + "/var/log/syslog:2",
      "domain innocent.example.org 1 1 1 log " + r + "/var/log/syslog:3",
      "domain old.example.com 1 1 1 log " + r + "/var/log/syslog.2.gz:2",
      "domain update.example.com 1 0 0 network " + r + "/etc/hosts:2",
      "ipv4 127.0.0.1 1 0 0 network " + r + "/etc/hosts:1",
      "ipv4 198.51.100.20 1 0 0 network " + r + "/etc/hosts:2",
      "ipv4 203.0.113.10 1 1 1 log " + r + "/var/log/syslog:1",
      "url https://files.example.net/drop/x.zip 1 1 1 log " + r + "/var/log/syslog:2",
  };
  std::string net_feed = dir.Write("scanfeed/c2-iocs.txt", "unrelated-domain.invalid\n");
  std::string hash_feed = dir.Write("scanfeed2/hash-iocs.txt", std::string(64, 'a') + ";x\n");
  for (const std::string& feed : {net_feed, hash_feed}) {
    SCOPED_TRACE(feed);
    std::filesystem::remove(h.db);
    RunResult scan = Inventory(h, {"--iocs", feed});
    ASSERT_EQ(scan.exit_code, 0) << scan.err;
    std::set<std::string> got = ContactRows(h.db);
    // cdn.evil-c2.test is in both logs: which one's line is the example depends on
    // the order the walk reached them.
    std::set<std::string> got_norm;
    for (std::string row : got) {
      if (row.rfind("domain cdn.evil-c2.test 2 1 1 log ", 0) == 0 &&
          row.find("/var/log/syslog.2.gz:1") != std::string::npos)
        row = "domain cdn.evil-c2.test 2 1 1 log " + r + "/var/log/syslog:1";
      got_norm.insert(row);
    }
    EXPECT_EQ(got_norm, want);
  }
}

// Issue 16: the contact index holds what EVTX records, journal entries,
// browser histories and live connections name, not only text logs: a value
// named only in one source is found by retro with that source's module, its
// own time and an example FILE:LOCATOR (record id, entry, row; a connection's
// endpoints).
TEST(RetroE2e, ContactIndexCoversEvtxJournalBrowserAndConnections) {
  TempDir dir;
  const std::string root = dir.path() + "/host";
  const std::string db = dir.path() + "/host.db";
  // EVTX: a real Sysmon log (network connection events: DestinationIp
  // 10.23.123.11; Computer fs03vuln.offsec.lan), named only there.
  const std::string evtx = root + "/Windows/System32/winevt/Logs/Sysmon.evtx";
  fs::create_directories(fs::path(evtx).parent_path());
  fs::copy_file(std::string(TRAWL_SHARED_DATA) +
                    "/evtx/mdecrevoisier__ID3-7-10_Suspicious_DLL_loaded_CME_Mimikatz.evtx",
                evtx);
  // A journal (systemd-journal-remote writes a real one) naming its own host.
  const std::string journal =
      root + "/var/log/journal/0123456789abcdef0123456789abcdef/system.journal";
  fs::create_directories(fs::path(journal).parent_path());
  std::string exp = dir.Write(
      "journal.export",
      "__REALTIME_TIMESTAMP=1680170401123456\n__MONOTONIC_TIMESTAMP=1000\n"
      "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=a.service\n"
      "MESSAGE=hello\n\n"
      "__REALTIME_TIMESTAMP=1680170402000000\n__MONOTONIC_TIMESTAMP=2000\n"
      "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=updater.service\n"
      "MESSAGE=beacon to cdn.journal-only.example ok\n\n");
  ASSERT_EQ(std::system(("/lib/systemd/systemd-journal-remote --output=" + ShellQuote(journal) +
                         " - < " + ShellQuote(exp) + " 2>/dev/null")
                            .c_str()),
            0);
  // A Chrome History naming its own host, last visited 2023-03-30T10:00:05Z.
  const std::string chrome = root + "/Users/alice/AppData/Local/Google/Chrome/User Data/Default/History";
  fs::create_directories(fs::path(chrome).parent_path());
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(chrome.c_str(), &h), SQLITE_OK);
    const long long visit = 1680170405000000LL + 11644473600LL * 1000000;
    std::string sql =
        "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title "
        "LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT "
        "NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);"
        "CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,"
        "visit_time INTEGER NOT NULL,from_visit INTEGER,transition INTEGER DEFAULT 0 NOT NULL,"
        "segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL);"
        "INSERT INTO urls(id,url,title,last_visit_time) VALUES(1,'https://example.org/',''," +
        std::to_string(visit) + "),(7,'https://dl.browser-only.example/setup.exe',''," +
        std::to_string(visit) + ");";
    ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }
  // A live connection of this test process to 127.0.0.3 (the network sweep
  // reads the socket table of the namespace; --modules network runs it
  // without walking /).
  auto conn = std::make_unique<testsupport::LoopbackConnection>("127.0.0.3");
  ASSERT_TRUE(conn->ok());

  // No network indicator at scan time: the contact index does not depend on one.
  std::string scan_feed = dir.Write("scanfeed/hash-iocs.txt", std::string(64, 'a') + ";x\n");
  RunResult scan = RunTrawl({"scan", "--no-builtin", "--no-packs", "-q", root, "--modules",
                             "file,evtx,journal,browser,network", "--inventory", db, "--iocs",
                             scan_feed});
  conn.reset();
  ASSERT_EQ(scan.exit_code, 0) << scan.err << scan.out;

  std::string feed = dir.Write("feed/c2-iocs.txt",
                               "offsec[.]lan\n10.23.123.11\njournal-only.example\n"
                               "browser-only.example\n127.0.0.3\nnever-seen.example\n");
  RunResult r = RunTrawl({"retro", db, "--no-builtin", "--no-packs", "--iocs", feed});
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  std::map<std::string, std::string> by;     // indicator -> seen_by
  std::map<std::string, std::string> where;  // indicator -> path (the example)
  std::map<std::string, std::string> first;  // indicator -> first_seen
  for (const auto& f : r.Of("finding"))
    for (const auto& reason : f["reasons"]) {
      std::string ind = reason.value("indicator", "");
      EXPECT_EQ(by.count(ind), 0u) << "reported twice: " << ind << "\n" << r.out;
      by[ind] = f.value("seen_by", "");
      where[ind] = f.value("path", "");
      first[ind] = f.value("first_seen", "");
    }
  std::map<std::string, std::string> want = {{"offsec.lan", "evtx"},
                                             {"10.23.123.11", "evtx"},
                                             {"journal-only.example", "journal"},
                                             {"browser-only.example", "browser"},
                                             {"127.0.0.3", "network"}};
  EXPECT_EQ(by, want) << r.out;
  // Examples: FILE:RECORD, FILE:ENTRY (1-based), FILE:ROW, the connection.
  auto record_of = [&](const std::string& ind, const std::string& file) -> long long {
    const std::string& p = where[ind];
    if (p.rfind(file + ":", 0) != 0) return -1;
    return std::atoll(p.c_str() + file.size() + 1);
  };
  EXPECT_GT(record_of("offsec.lan", evtx), 0) << where["offsec.lan"];
  EXPECT_GT(record_of("10.23.123.11", evtx), 0) << where["10.23.123.11"];
  EXPECT_EQ(record_of("journal-only.example", journal), 2) << where["journal-only.example"];
  EXPECT_EQ(record_of("browser-only.example", chrome), 7) << where["browser-only.example"];
  // The connection as findings name it (another run's TIME_WAIT socket to
  // 127.0.0.3 may be the one seen first: any port).
  EXPECT_TRUE(std::regex_match(where["127.0.0.3"],
                               std::regex(R"(tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.3:[0-9]+)")))
      << where["127.0.0.3"];
  // Each source's own time: the event's, the entry's, the visit's.
  EXPECT_EQ(first["journal-only.example"], "2023-03-30T10:00:02Z");
  EXPECT_EQ(first["browser-only.example"], "2023-03-30T10:00:05Z");
  EXPECT_FALSE(first["offsec.lan"].empty());
  EXPECT_EQ(first["offsec.lan"].substr(0, 2), "20");
}

// Issue 15: archive members are rows of the inventory's file table (path =
// the file on disk, member = the chain), so retro finds a hash and a name
// inside an archive, nested too; an inventory of schema version 1 (no member
// column) is still read.
TEST(RetroE2e, ArchiveMembersAreInTheInventoryAndRetroFindsThemWithTheirChain) {
  TempDir dir;
  const std::string root = dir.path() + "/share";
  std::string evil = "retro-member-" + RandomBytes(64);
  dir.Write("src/payload.dll", evil);
  dir.Write("src/readme.txt", "read me\n");
  dir.Write("share/plain.txt", "plain file\n");
  const std::string db = dir.path() + "/share.db";
  auto sh = [&](const std::string& cmd) {
    ASSERT_EQ(std::system(("cd " + ShellQuote(dir.path()) + " && " + cmd).c_str()), 0) << cmd;
  };
  // share/setup.zip holds inner.zip, which holds bin/payload.dll.
  sh("mkdir -p src/bin && mv src/payload.dll src/bin/ && cd src && zip -q inner.zip "
     "bin/payload.dll readme.txt && zip -q ../share/setup.zip inner.zip");
  std::string scan_feed = dir.Write("scanfeed/c2-iocs.txt", "unrelated-domain.invalid\n");
  RunResult scan = RunTrawl(
      {"scan", "--no-builtin", "--no-packs", "-q", root, "--inventory", db, "--iocs", scan_feed});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  ASSERT_NE(scan.Summary(), nullptr);
  EXPECT_EQ(scan.Summary()->value("inventory_members", -1), 3);  // inner.zip, payload.dll, readme.txt

  std::string feed = dir.Write("feed/hash-iocs.txt", HexDigest("SHA256", evil) + ";planted\n");
  std::string names = dir.Write("feed/filename-iocs.txt", "readme\\.txt$;70\n");
  auto check = [&](const std::string& inv, bool with_members) {
    RunResult r = RunTrawl({"retro", inv, "--no-builtin", "--no-packs", "--iocs", feed, "--iocs", names});
    std::set<std::tuple<std::string, std::string, std::string>> got;  // path, member, indicator
    for (const auto& f : r.Of("finding"))
      for (const auto& reason : f["reasons"])
        got.insert({f.value("path", ""), f.value("member", ""), reason.value("indicator", "")});
    std::set<std::tuple<std::string, std::string, std::string>> want;
    if (with_members) {
      want = {{root + "/setup.zip", "setup.zip!inner.zip!bin/payload.dll", HexDigest("SHA256", evil)},
              {root + "/setup.zip", "setup.zip!inner.zip!readme.txt", "readme\\.txt$"}};
      EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
    } else {
      EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    }
    EXPECT_EQ(got, want) << r.out;
  };
  check(db, true);
  RunResult stats = RunTrawlRaw({"inventory", "stats", "--json", db});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["meta"].value("schema_version", ""), "3");
  EXPECT_EQ(j["counts"].value("members", -1), 3);
  EXPECT_EQ(j["counts"].value("files", -1), 2);  // walked entries: setup.zip, plain.txt

  // The same inventory as schema 1 wrote it (no member column, no member
  // rows): still read, nothing found inside, no error.
  const std::string old = dir.path() + "/old.db";
  fs::copy_file(db, old);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(old.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "DELETE FROM files WHERE member IS NOT NULL; ALTER TABLE files DROP "
                           "COLUMN member; UPDATE meta SET value = '1' WHERE key = "
                           "'schema_version';",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  check(old, false);
  RunResult diff = RunTrawlRaw({"inventory", "diff", old, db});
  EXPECT_EQ(diff.exit_code, 0) << diff.out << diff.err;
  EXPECT_NE(diff.out.find("0 added, 0 changed"), std::string::npos) << diff.out;
}

TEST(RetroE2e, TwoHostsEachFindingNamesItsInventory) {
  TempDir dir;
  std::string evil1 = "host-one-" + RandomBytes(40), evil2 = "host-two-" + RandomBytes(40);
  Host a = MakeHost(dir, "alpha", evil1, "alpha-c2.test");
  Host b = MakeHost(dir, "beta", evil2, "beta-c2.test");
  std::string scan_feed = dir.Write("scanfeed/c2-iocs.txt", "unrelated-domain.invalid\n");
  ASSERT_EQ(Inventory(a, {"--iocs", scan_feed}).exit_code, 0);
  ASSERT_EQ(Inventory(b, {"--iocs", scan_feed}).exit_code, 0);
  std::string feed = dir.Write("feed/iocs.txt", HexDigest("SHA256", evil2) + "\nalpha-c2.test\n");
  RunResult r = RunTrawl({"retro", a.db, b.db, "--no-builtin", "--no-packs", "--iocs", feed});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& f : r.Of("finding")) got.insert({f.value("inventory", ""), f.value("path", "")});
  std::set<std::pair<std::string, std::string>> want = {
      {a.db, a.root + "/var/log/syslog:1"}, {b.db, b.root + "/opt/app/bin/payload.dll"}};
  EXPECT_EQ(got, want) << r.out;
  EXPECT_EQ(r.Summary()->value("inventories", -1), 2);
}

TEST(RetroE2e, InventoryInsideAScanRootIsRefusedUnlessForced) {
  TempDir dir;
  Host h = MakeHost(dir, "host", "x", "c2.test");
  std::string inside = h.root + "/var/tmp/inv.db";
  fs::create_directories(h.root + "/var/tmp");
  std::string feed = dir.Write("feed/c2-iocs.txt", "c2.test\n");
  RunResult r = RunTrawl(
      {"scan", "--no-builtin", "--no-packs", "-q", h.root, "--iocs", feed, "--inventory", inside});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("inside the scan root"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(inside));
  RunResult forced = RunTrawl({"scan", "--no-builtin", "--no-packs", "-q", h.root, "--iocs", feed,
                               "--inventory", inside, "--force"});
  EXPECT_EQ(forced.exit_code, 1) << forced.err;  // the log names c2.test
  ASSERT_TRUE(fs::exists(inside));
  // The inventory being written is not walked into itself.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(inside.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM files WHERE path LIKE '%inv.db%'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(RetroE2e, SinceReusesUnchangedDigestsAndRereadsAChangedFile) {
  TempDir dir;
  std::string root = dir.path() + "/tree";
  for (int i = 0; i < 6; ++i) dir.Write("tree/f" + std::to_string(i) + ".bin", RandomBytes(3000));
  std::string feed = dir.Write("feed/hash-iocs.txt", std::string(64, 'a') + ";placeholder\n");
  auto scan = [&](const std::string& db, const std::string& since) {
    std::vector<std::string> args = {"scan",   "--no-builtin", "--no-packs",  "-q", root,
                                     "--iocs", feed,           "--inventory", db};
    if (!since.empty()) args.insert(args.end(), {"--since", since});
    return RunTrawl(args);
  };
  RunResult first = scan(dir.path() + "/1.db", "");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.Summary()->value("digests_read", -1), 6);
  EXPECT_EQ(first.Summary()->value("bytes", -1), 18000);

  // Unchanged: no file content is read at all.
  RunResult again = scan(dir.path() + "/2.db", dir.path() + "/1.db");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.Summary()->value("digests_read", -1), 0);
  EXPECT_EQ(again.Summary()->value("digests_reused", -1), 6);
  EXPECT_EQ(again.Summary()->value("bytes", -1), 0);

  // One file changes: it alone is read again, and its new digest is what retro checks.
  std::string changed = "changed content\n";
  dir.Write("tree/f3.bin", changed);
  RunResult third = scan(dir.path() + "/3.db", dir.path() + "/2.db");
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(third.Summary()->value("digests_read", -1), 1);
  EXPECT_EQ(third.Summary()->value("digests_reused", -1), 5);
  EXPECT_EQ(third.Summary()->value("bytes", -1), static_cast<int>(changed.size()));
  std::string feed2 = dir.Write("feed2/hash-iocs.txt", HexDigest("SHA1", changed) + ";new\n");
  RunResult r =
      RunTrawl({"retro", dir.path() + "/3.db", "--no-builtin", "--no-packs", "--iocs", feed2});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.Of("finding").size(), 1u) << r.out;
  EXPECT_EQ(r.Of("finding")[0].value("path", ""), root + "/f3.bin");

  // diff: the changed file, nothing else.
  RunResult diff = RunTrawlRaw({"inventory", "diff", dir.path() + "/2.db", dir.path() + "/3.db"});
  std::string out = diff.out;
  EXPECT_EQ(diff.exit_code, 0) << out << diff.err;
  EXPECT_NE(out.find("changed         " + root + "/f3.bin  size mtime sha256"), std::string::npos)
      << out;
  EXPECT_NE(out.find("0 added, 1 changed"), std::string::npos) << out;
  RunResult stats = RunTrawlRaw({"inventory", "stats", "--json", dir.path() + "/3.db"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["counts"].value("files_hashed", -1), 6);
  EXPECT_EQ(j["meta"].value("digests_reused", ""), "5");
  EXPECT_EQ(j["meta"].value("schema_version", ""), "3");
}

// Schema 3: an unchanged archive's member rows are reused from --since
// (nothing unpacked, nothing read), and the findings and the rows are those
// of a full scan; a changed archive is unpacked again; a schema 2 OLD.db
// (no files.members) still works, by unpacking.
TEST(RetroE2e, SinceReusesAnUnchangedArchivesMembersWithTheSameFindings) {
  TempDir dir;
  const std::string root = dir.path() + "/share";
  std::string evil = "since-member-" + RandomBytes(64);
  dir.Write("src/bin/payload.dll", evil);
  dir.Write("src/readme.txt", "read me\n");
  dir.Write("share/plain.txt", "plain file\n");
  auto sh = [&](const std::string& cmd) {
    ASSERT_EQ(std::system(("cd " + ShellQuote(dir.path()) + " && " + cmd).c_str()), 0) << cmd;
  };
  sh("cd src && zip -q inner.zip bin/payload.dll readme.txt && zip -q ../share/setup.zip "
     "inner.zip && gzip -c readme.txt > ../share/notes.gz");
  std::string feed = dir.Write("feed/hash-iocs.txt", HexDigest("SHA256", evil) + ";planted\n");
  std::string names = dir.Write("feed/filename-iocs.txt", "readme\\.txt$;70\n");
  auto scan = [&](const std::string& db, const std::string& since) {
    std::vector<std::string> args = {"scan", "--no-builtin", "--no-packs", "-q",   root, "--iocs",
                                     feed,   "--iocs",       names,        "--inventory", db};
    if (!since.empty()) args.insert(args.end(), {"--since", since});
    return RunTrawl(args);
  };
  using Got = std::set<std::tuple<std::string, std::string, std::string>>;
  auto findings = [](const RunResult& r) {
    Got got;  // path, member, indicator
    for (const auto& f : r.Of("finding"))
      for (const auto& reason : f["reasons"])
        got.insert({f.value("path", ""), f.value("member", ""), reason.value("indicator", "")});
    return got;
  };
  // The file table without the digest column ("read" / "reused").
  auto rows = [](const std::string& db) {
    std::multiset<std::string> out;
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h,
                       "SELECT path || '|' || type || '|' || IFNULL(size,'') || '|' || "
                       "IFNULL(inode,'') || '|' || IFNULL(md5,'') || '|' || IFNULL(sha1,'') || "
                       "'|' || IFNULL(sha256,'') || '|' || IFNULL(member,'') || '|' || "
                       "IFNULL(members,'') FROM files",
                       -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW)
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
  };
  const std::string d1 = dir.path() + "/1.db", d2 = dir.path() + "/2.db", d3 = dir.path() + "/3.db";
  RunResult first = scan(d1, "");
  ASSERT_EQ(first.exit_code, 1) << first.err;
  const Got want = {
      {root + "/setup.zip", "setup.zip!inner.zip!bin/payload.dll", HexDigest("SHA256", evil)},
      {root + "/setup.zip", "setup.zip!inner.zip!readme.txt", "readme\\.txt$"}};
  EXPECT_EQ(findings(first), want) << first.out;
  EXPECT_EQ(first.Summary()->value("members_reused", -1), 0);
  EXPECT_GT(first.Summary()->value("archive_bytes", -1), 0);

  RunResult again = scan(d2, d1);
  ASSERT_EQ(again.exit_code, 1) << again.err;
  EXPECT_EQ(findings(again), want) << again.out;
  EXPECT_EQ(again.Summary()->value("bytes", -1), 0);          // no file read
  EXPECT_EQ(again.Summary()->value("archive_bytes", -1), 0);  // nothing unpacked
  EXPECT_EQ(again.Summary()->value("members_reused", -1), 4);  // 3 in setup.zip, 1 in notes.gz
  EXPECT_EQ(again.Summary()->value("digests_reused", -1), 3);
  EXPECT_EQ(rows(d2), rows(d1));
  // And again from the reused rows: they are complete as well.
  RunResult third = scan(d3, d2);
  EXPECT_EQ(findings(third), want) << third.out;
  EXPECT_EQ(third.Summary()->value("members_reused", -1), 4);
  EXPECT_EQ(rows(d3), rows(d1));

  // A changed archive is unpacked and hashed again; the others are not.
  std::string evil2 = "since-member-2-" + RandomBytes(64);
  dir.Write("src/bin/payload.dll", evil2);
  sh("rm share/setup.zip src/inner.zip && cd src && zip -q inner.zip bin/payload.dll readme.txt "
     "&& zip -q ../share/setup.zip inner.zip");
  RunResult changed = scan(dir.path() + "/4.db", d3);
  EXPECT_EQ(changed.exit_code, 1) << changed.err;
  EXPECT_EQ(changed.Summary()->value("members_reused", -1), 1);  // notes.gz only
  EXPECT_GT(changed.Summary()->value("archive_bytes", -1), 0);
  Got want2 = {{root + "/setup.zip", "setup.zip!inner.zip!readme.txt", "readme\\.txt$"}};
  EXPECT_EQ(findings(changed), want2) << changed.out;

  // A schema 2 OLD.db (no members column): digests reused, members unpacked.
  const std::string old = dir.path() + "/old.db";
  fs::copy_file(d1, old);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(old.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "ALTER TABLE files DROP COLUMN members; UPDATE meta SET value = '2' "
                           "WHERE key = 'schema_version';",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  RunResult from2 = scan(dir.path() + "/5.db", old);
  EXPECT_EQ(from2.exit_code, 1) << from2.err;
  EXPECT_EQ(from2.Summary()->value("members_reused", -1), 0);
  EXPECT_EQ(from2.Summary()->value("digests_reused", -1), 2);  // plain.txt, notes.gz
}

TEST(RetroE2e, CorruptOrForeignFileIsAClearErrorAndOthersAreStillChecked) {
  TempDir dir;
  std::string evil = "corrupt-test-" + RandomBytes(32);
  Host h = MakeHost(dir, "good", evil, "c2.test");
  std::string scan_feed = dir.Write("scanfeed/c2-iocs.txt", "unrelated-domain.invalid\n");
  ASSERT_EQ(Inventory(h, {"--iocs", scan_feed}).exit_code, 0);
  std::string garbage = dir.Write("garbage.db", std::string(4096, 'Z'));
  std::string foreign = dir.path() + "/places.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE moz_places(url TEXT)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string feed = dir.Write("feed/iocs.txt", HexDigest("SHA256", evil) + "\n");
  RunResult r =
      RunTrawl({"retro", garbage, h.db, foreign, "--no-builtin", "--no-packs", "--iocs", feed});
  EXPECT_EQ(r.exit_code, 2);  // not everything could be checked
  std::map<std::string, std::string> errors;
  for (const auto& e : r.Of("error")) errors[e.value("path", "")] = e.value("message", "");
  EXPECT_NE(errors[garbage].find("file is not a database"), std::string::npos) << r.out;
  EXPECT_NE(errors[foreign].find("not a trawl inventory"), std::string::npos) << r.out;
  ASSERT_EQ(r.Of("finding").size(), 1u) << r.out;  // the good inventory still answered
  EXPECT_EQ(r.Summary()->value("inventories_failed", -1), 2);
  RunResult stats = RunTrawlRaw({"inventory", "stats", garbage});
  EXPECT_EQ(stats.exit_code, 2);
  EXPECT_NE(stats.err.find(garbage), std::string::npos) << stats.err;
}

}  // namespace
}  // namespace trawl::e2e

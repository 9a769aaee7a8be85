// The browser history sweep over Chrome History and Firefox places.sqlite
// databases made here with the browsers' schemas (the tables and columns the
// sweep reads, as the browsers declare them), with planted visits.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "test_util.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::artifacts {
namespace {

using testsupport::ReadFile;

namespace fs = std::filesystem;

// Chrome's History tables (as of Chrome 120; unused columns kept for realism).
const char kChromeSchema[] =
    "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);"
    "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,"
    "visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,"
    "last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);"
    "CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,"
    "visit_time INTEGER NOT NULL,from_visit INTEGER,transition INTEGER DEFAULT 0 NOT NULL,"
    "segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL,"
    "incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER,"
    "originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,"
    "originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,"
    "consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL);"
    "CREATE INDEX visits_url_index ON visits (url);"
    "CREATE INDEX visits_time_index ON visits (visit_time);"
    "CREATE INDEX urls_url_index ON urls (url);"
    "INSERT INTO meta VALUES('version','63');";

// Firefox's places.sqlite tables (as of Firefox 115).
const char kFirefoxSchema[] =
    "CREATE TABLE moz_origins (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL,"
    " frecency INTEGER NOT NULL, recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER,"
    " recalc_alt_frecency INTEGER NOT NULL DEFAULT 0, UNIQUE (prefix, host));"
    "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,"
    " rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,"
    " typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,"
    " last_visit_date INTEGER , guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL,"
    " url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT, preview_image_url TEXT,"
    " site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id),"
    " recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER,"
    " recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER,"
    " place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER,"
    " source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER);"
    "CREATE INDEX moz_historyvisits_placedateindex ON moz_historyvisits (place_id, visit_date);";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Db Open(const std::string& path) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK) << path;
  return Db(raw);
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "") << "\n"
      << sql;
}

std::set<std::string> Listing(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Unix microseconds of the planted visits.
constexpr std::int64_t kT1 = 1680170401123456;  // 2023-03-30T10:00:01.123456Z
constexpr std::int64_t kT2 = 1680256800000000;  // 2023-03-31T10:00:00Z
constexpr std::int64_t kT3 = 1680170400000000;
constexpr std::int64_t kT4 = 1679000000500000;  // 2023-03-16T20:53:20.500Z
constexpr std::int64_t kT5 = 1680300000001000;  // 2023-03-31T22:00:00.001Z
constexpr std::int64_t kWebKit = 11644473600LL * 1000000;

std::unique_ptr<testing::Matcher> Feed() {
  return testing::MakeMatcher({{ioc::Kind::kDomain, "c2-test.example"},
                               {ioc::Kind::kIpv4, "198.51.100.7"},
                               {ioc::Kind::kUrl, "https://files.test-host.example/payload/"}});
}

// Hits as (url, time text, visit id or -1).
std::set<std::tuple<std::string, std::string, std::int64_t>> Keys(const SweepResult& r) {
  std::set<std::tuple<std::string, std::string, std::int64_t>> out;
  for (const Hit& h : r.hits)
    out.insert({testing::StrField(h, "url"), h.time_text, testing::IntField(h, "visit")});
  return out;
}

class ChromeHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    profile_ = dir_.path() + "/home/u/.config/google-chrome/Default";
    fs::create_directories(profile_);
    path_ = profile_ + "/History";
    Db db = Open(path_);
    Exec(db.get(), "PRAGMA synchronous=OFF");  // test speed only
    Exec(db.get(), kChromeSchema);
    auto url = [&](int id, const std::string& u, const std::string& title, std::int64_t last) {
      Exec(db.get(), "INSERT INTO urls(id,url,title,visit_count,last_visit_time) VALUES(" +
                         std::to_string(id) + ",'" + u + "','" + title + "',1," +
                         std::to_string(last + kWebKit) + ")");
    };
    auto visit = [&](int id, int url_id, std::int64_t t) {
      Exec(db.get(), "INSERT INTO visits(id,url,visit_time,transition) VALUES(" +
                         std::to_string(id) + "," + std::to_string(url_id) + "," +
                         std::to_string(t + kWebKit) + ",805306368)");
    };
    url(1, "https://cdn.c2-test.example/gate.php?x=1", "Gate", kT2);
    url(2, "https://www.example.org/", "Decoy", kT3);
    url(3, "http://198.51.100.7/payload.bin", "", kT4);  // visits expired
    url(4, "https://notc2-test.example/", "Decoy", kT3);
    url(5, "https://files.test-host.example/payload/x.bin", "", kT5);
    url(6, "https://files.test-host.example/other/x.bin", "", kT5);
    visit(10, 1, kT1);
    visit(11, 1, kT2);
    visit(12, 2, kT3);
    visit(13, 4, kT3);
    visit(14, 5, kT5);
    visit(15, 6, kT5);
  }
  testing::TempDir dir_;
  std::string profile_, path_;
};

// Regression (issue 10): the browser sweep copied the database named by the
// full path, whatever the name held by then; a History swapped in after the
// walk is now an error record and is not copied or read.
TEST_F(ChromeHistory, SwappedAfterTheWalkIsReportedNotRead) {
  auto m = Feed();
  testing::ExpectSwappedFileReportedNotRead(*m, profile_, "History", "browser");
}

TEST_F(ChromeHistory, EveryVisitOfAMatchingUrl) {
  auto m = Feed();
  Target t = BrowserTargetOf(path_);
  ASSERT_EQ(t.type, Type::kChromiumHistory);
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(path_, t);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->type, Type::kChromiumHistory);
  EXPECT_EQ(res->items, 6u);
  EXPECT_TRUE(res->errors.empty()) << res->errors.front();
  std::set<std::tuple<std::string, std::string, std::int64_t>> want = {
      {"https://cdn.c2-test.example/gate.php?x=1", "2023-03-30T10:00:01.123456Z", 10},
      {"https://cdn.c2-test.example/gate.php?x=1", "2023-03-31T10:00:00Z", 11},
      {"http://198.51.100.7/payload.bin", "2023-03-16T20:53:20.500Z", -1},
      {"https://files.test-host.example/payload/x.bin", "2023-03-31T22:00:00.001Z", 14},
  };
  EXPECT_EQ(Keys(*res), want);
  for (const Hit& h : res->hits) {
    EXPECT_EQ(testing::StrField(h, "browser"), "chrome");
    EXPECT_EQ(testing::StrField(h, "profile"), "Default");
    EXPECT_EQ(testing::StrField(h, "user"), "u");
    if (testing::IntField(h, "visit") == 10) {
      EXPECT_EQ(testing::StrField(h, "title"), "Gate");
    }
  }
  std::vector<Finding> fs = ToFindings(path_, *res);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs[0].module, "browser");
  EXPECT_EQ(fs[0].extra[0].first, "url");
  EXPECT_EQ(fs[0].extra[1].first, "time");
}

// Regression (issue 11): the rows read per database are bounded; a history
// past the cap is read up to it, with an error record and the cap flagged.
TEST_F(ChromeHistory, RowsPastTheCapAreNotReadAndSaidSo) {
  auto m = Feed();
  Options o;
  o.max_rows = 2;
  Sweeper sweeper(*m->net, o);
  auto res = sweeper.Scan(path_, BrowserTargetOf(path_));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->items, 2u);
  EXPECT_TRUE(res->rows_capped);
  ASSERT_EQ(res->errors.size(), 1u);
  EXPECT_NE(res->errors[0].find("stopped after 2 rows of urls"), std::string::npos) << res->errors[0];
  Sweeper whole(*m->net, {});
  auto all = whole.Scan(path_, BrowserTargetOf(path_));
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->rows_capped);
  EXPECT_EQ(all->items, 6u);
}

// Issue 11: --file-timeout ends a browser database's table read and says so.
TEST_F(ChromeHistory, FileTimeoutEndsTheTableReadAndSaysSo) {
  auto m = Feed();
  Options o;
  o.max_seconds = 1e-9;
  Sweeper sweeper(*m->net, o);
  auto res = sweeper.Scan(path_, BrowserTargetOf(path_));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_TRUE(res->timed_out);
  EXPECT_EQ(res->items, 0u);
  ASSERT_EQ(res->errors.size(), 1u);
  EXPECT_NE(res->errors[0].find("--file-timeout"), std::string::npos) << res->errors[0];
}

TEST_F(ChromeHistory, EvidenceUntouchedAndCopiesRemoved) {
  auto m = Feed();
  std::string before = ReadFile(path_);
  std::set<std::string> listing = Listing(profile_);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  struct utimbuf old {};
  old.actime = st.st_mtime - 100000;
  old.modtime = st.st_mtime;
  ASSERT_EQ(utime(path_.c_str(), &old), 0);
  std::string temp = dir_.path() + "/scratch";
  fs::create_directories(temp);
  Options opts;
  opts.temp_dir = temp;
  auto sweeper = std::make_unique<Sweeper>(*m->net, opts);
  const std::string root = sweeper->private_root();
  ASSERT_EQ(root.substr(0, temp.size() + 1), temp + "/");
  struct stat rst {};
  ASSERT_EQ(stat(root.c_str(), &rst), 0);
  EXPECT_EQ(rst.st_mode & 0777, 0700u);
  auto res = sweeper->Scan(path_, BrowserTargetOf(path_));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->hits.size(), 4u);
  EXPECT_TRUE(Listing(root).empty()) << "each database's copy is removed after its scan";
  sweeper.reset();
  EXPECT_TRUE(Listing(temp).empty()) << "the private root goes with the sweeper";
  struct stat after {};
  ASSERT_EQ(stat(path_.c_str(), &after), 0);
  EXPECT_EQ(after.st_atime, old.actime) << "read with O_NOATIME";
  EXPECT_EQ(ReadFile(path_), before);
  EXPECT_EQ(Listing(profile_), listing) << "no -shm, -journal or lock file beside the evidence";
}

TEST_F(ChromeHistory, RefusesSymlinksAndOversizedCopies) {
  auto m = Feed();
  std::string other = dir_.path() + "/home/v/.config/chromium/Default";
  fs::create_directories(other);
  fs::create_symlink(path_, other + "/History");
  Sweeper sweeper(*m->net, {});
  auto linked = sweeper.Scan(other + "/History", BrowserTargetOf(other + "/History"));
  EXPECT_FALSE(linked.ok());
  Options small;
  small.max_copy_bytes = 1024;
  Sweeper capped(*m->net, small);
  auto big = capped.Scan(path_, BrowserTargetOf(path_));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("copy limit"), std::string::npos);
}

// Regression (issue 11): a History over 4 GiB was skipped, and a sparse one
// under that was copied as gigabytes of real bytes. The copy now follows the
// data extents: a 6 GiB sparse tail costs nothing and the cap counts data.
TEST_F(ChromeHistory, SparseHugeDatabaseIsCopiedByItsDataOnly) {
  auto m = Feed();
  std::string sparse = dir_.path() + "/home/w/.config/google-chrome/Default/History";
  fs::create_directories(fs::path(sparse).parent_path());
  fs::copy_file(path_, sparse);
  ASSERT_EQ(truncate(sparse.c_str(), 6ll << 30), 0);  // SQLite ignores bytes past its pages
  std::string temp = dir_.path() + "/scratch";
  fs::create_directories(temp);
  Options opts;
  opts.temp_dir = temp;
  opts.max_copy_bytes = 64u << 20;  // far below the apparent size
  Sweeper sweeper(*m->net, opts);
  auto res = sweeper.Scan(sparse, BrowserTargetOf(sparse));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->hits.size(), 4u);
}

TEST_F(ChromeHistory, HotJournalIsRolledBackInTheCopy) {
  // A browser in the middle of a transaction whose changes already spilled
  // into the database file: the -journal holds the committed pages. The sweep
  // must read the committed state, and leave the evidence as it was.
  Db db = Open(path_);
  Exec(db.get(), "PRAGMA cache_size=10; BEGIN;");
  std::string filler(3000, 'f');
  for (int i = 100; i < 400; ++i)
    Exec(db.get(), "INSERT INTO urls(id,url,title,last_visit_time) VALUES(" + std::to_string(i) +
                       ",'https://other.example/" + std::to_string(i) + "','" + filler + "',1)");
  Exec(db.get(), "DELETE FROM visits; DELETE FROM urls WHERE id < 100;");
  struct stat jst {};
  ASSERT_EQ(stat((path_ + "-journal").c_str(), &jst), 0);
  ASSERT_GT(jst.st_size, 0);
  std::string db_before = ReadFile(path_), journal_before = ReadFile(path_ + "-journal");
  ASSERT_GT(db_before.size(), 300000u) << "the uncommitted pages spilled into the file";

  auto m = Feed();
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(path_, BrowserTargetOf(path_));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->items, 6u) << "the committed URLs, not the uncommitted ones";
  EXPECT_EQ(res->hits.size(), 4u);
  EXPECT_EQ(ReadFile(path_), db_before);
  EXPECT_EQ(ReadFile(path_ + "-journal"), journal_before);
  Exec(db.get(), "ROLLBACK");
}

TEST(FirefoxPlaces, WalOnlyVisitIsRead) {
  testing::TempDir dir;
  std::string profile = dir.path() + "/home/u/.mozilla/firefox/ab12.default-release";
  fs::create_directories(profile);
  std::string path = profile + "/places.sqlite";
  // Exclusive locking before WAL: no -shm file (the wal-index lives in this
  // process), and the WAL stays while the connection is open, as with a
  // running Firefox.
  Db db = Open(path);
  Exec(db.get(),
       "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;");
  Exec(db.get(), kFirefoxSchema);
  Exec(db.get(),
       "INSERT INTO moz_places(id,url,title,last_visit_date) VALUES"
       "(1,'https://cdn.c2-test.example/gate.php','Gate'," +
           std::to_string(kT2) +
           "),"
           "(2,'https://www.example.org/','Decoy'," +
           std::to_string(kT3) +
           ");"
           "INSERT INTO moz_historyvisits(id,place_id,visit_date,visit_type) VALUES"
           "(100,1," +
           std::to_string(kT1) + ",1),(101,2," + std::to_string(kT3) + ",1);");
  Exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE);");  // the above into the main file
  Exec(db.get(),
       "INSERT INTO moz_historyvisits(id,place_id,visit_date,visit_type) VALUES(102,1," +
           std::to_string(kT2) +
           ",1);"
           "INSERT INTO moz_places(id,url,title,last_visit_date) VALUES"
           "(3,'http://198.51.100.7/x','IP'," +
           std::to_string(kT5) +
           ");"
           "INSERT INTO moz_historyvisits(id,place_id,visit_date,visit_type) VALUES(103,3," +
           std::to_string(kT5) + ",1);");
  struct stat wal {};
  ASSERT_EQ(stat((path + "-wal").c_str(), &wal), 0) << "the WAL must exist for this test";
  ASSERT_GT(wal.st_size, 0);
  ASSERT_NE(stat((path + "-shm").c_str(), &wal), 0);

  // Oracle: the main file alone does not hold visits 102 and 103.
  {
    std::string alone = dir.path() + "/alone.sqlite";
    fs::copy_file(path, alone);
    Db a = Open(alone);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(a.get(), "SELECT count(*) FROM moz_historyvisits", -1, &s, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(s, 0), 2);
    sqlite3_finalize(s);
  }

  std::string db_before = ReadFile(path), wal_before = ReadFile(path + "-wal");
  std::set<std::string> listing = Listing(profile);
  auto m = Feed();
  Target t = BrowserTargetOf(path);
  ASSERT_EQ(t.type, Type::kFirefoxPlaces);
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(path, t);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_TRUE(res->errors.empty());
  EXPECT_EQ(res->items, 3u);
  std::set<std::tuple<std::string, std::string, std::int64_t>> want = {
      {"https://cdn.c2-test.example/gate.php", "2023-03-30T10:00:01.123456Z", 100},
      {"https://cdn.c2-test.example/gate.php", "2023-03-31T10:00:00Z", 102},
      {"http://198.51.100.7/x", "2023-03-31T22:00:00.001Z", 103},
  };
  EXPECT_EQ(Keys(*res), want);
  for (const Hit& h : res->hits) {
    EXPECT_EQ(testing::StrField(h, "browser"), "firefox");
    EXPECT_EQ(testing::StrField(h, "profile"), "ab12.default-release");
  }
  EXPECT_EQ(ReadFile(path), db_before);
  EXPECT_EQ(ReadFile(path + "-wal"), wal_before);
  EXPECT_EQ(Listing(profile), listing);
}

TEST(BrowserErrors, CorruptAndForeignDatabasesAreErrors) {
  testing::TempDir dir;
  auto m = Feed();
  Sweeper sweeper(*m->net, {});
  const std::string p = "home/u/.config/google-chrome/";
  auto scan = [&](const std::string& rel) {
    std::string full = dir.path() + "/" + rel;
    return sweeper.Scan(full, BrowserTargetOf(full));
  };
  dir.Write(p + "A/History", std::string(8192, 'x'));
  auto junk = scan(p + "A/History");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("History"), std::string::npos);

  // SQLite, but not a history.
  fs::create_directories(dir.path() + "/" + p + "B");
  {
    Db db = Open(dir.path() + "/" + p + "B/History");
    Exec(db.get(), "CREATE TABLE other(x);");
  }
  auto other = scan(p + "B/History");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("no table 'urls'"), std::string::npos);

  fs::create_directories(dir.path() + "/" + p + "C");
  {  // A lookalike: urls as a view.
    Db db = Open(dir.path() + "/" + p + "C/History");
    Exec(db.get(),
         "CREATE TABLE t(id,url,title,last_visit_time); CREATE VIEW urls AS SELECT * FROM t;"
         "CREATE TABLE visits(id,url,visit_time);");
  }
  auto view = scan(p + "C/History");
  ASSERT_FALSE(view.ok());
  EXPECT_NE(view.status().message().find("not a table"), std::string::npos);

  // A real history with many rows, damaged in the middle and cut short:
  // an error or partial results with errors, never a crash.
  fs::create_directories(dir.path() + "/" + p + "D");
  std::string big = dir.path() + "/" + p + "D/History";
  {
    Db db = Open(big);
    Exec(db.get(), kChromeSchema);
    Exec(db.get(), "DROP INDEX urls_url_index");  // table pages only: damage hits rows
    Exec(db.get(), "BEGIN");
    for (int i = 1; i <= 3000; ++i)
      Exec(db.get(), "INSERT INTO urls(id,url,title,last_visit_time) VALUES(" + std::to_string(i) +
                         ",'https://h" + std::to_string(i) + ".c2-test.example/" +
                         std::string(100, 'p') + "','t',13300000000000000)");
    Exec(db.get(), "COMMIT");
  }
  std::string bytes = ReadFile(big);
  ASSERT_GT(bytes.size(), 200000u);
  std::string damaged = bytes;
  for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 20000; ++i) damaged[i] = '\xff';
  for (const std::string& variant : {damaged, bytes.substr(0, bytes.size() / 2)}) {
    std::ofstream(big, std::ios::binary | std::ios::trunc) << variant;
    auto r = sweeper.Scan(big, BrowserTargetOf(big));
    if (r.ok()) {
      EXPECT_LT(r->items, 3000u);
      EXPECT_FALSE(r->errors.empty());
    }
  }
}

}  // namespace
}  // namespace trawl::artifacts

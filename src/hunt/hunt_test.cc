#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "trawl/hunt/inventory_db.h"
#include "trawl/hunt/recorder.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::hunt {
namespace {

std::string Temp(const char* name) {
  static testsupport::TempDir dir("hunt-test");
  return dir.path() + "/" + name;
}

// Merged in memory, and (budget 1 byte) spilled to contacts_raw and merged
// in SQL: the same rows either way.
class InventoryMerge : public ::testing::TestWithParam<std::size_t> {};

TEST_P(InventoryMerge, RoundTripAndContactsMerge) {
  std::string path = Temp("rt.db");
  {
    auto w = Writer::Create(path, 2, GetParam());
    ASSERT_TRUE(w.ok()) << w.status().message();
    for (int i = 0; i < 5; ++i) {
      FileRow r;
      r.path = "/x/" + std::to_string(i);
      r.type = "regular";
      r.size = i;
      r.hashes = {{"md5", "m"}, {"sha1", "s"}, {"sha256", "t"}};
      r.digest = "read";
      (*w)->AddFile(r);
    }
    sweep::Context::HostSighting a{"evil.com", "domain", 2, 1000, 2000, "/var/log/a:1"};
    sweep::Context::HostSighting b{"evil.com", "domain", 3, 500, 1500, "/var/log/b:9"};
    sweep::Context::HostSighting c{"10.0.0.1",   "ipv4",       1,
                                   std::nullopt, std::nullopt, "/etc/hosts:2"};
    (*w)->AddContacts("log", {a});
    (*w)->AddContacts("log", {b});
    (*w)->AddContacts("network", {c});
    ASSERT_TRUE((*w)->Finish({}, {{"host", "h1"}}).ok());
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->Meta("host"), "h1");
  EXPECT_EQ((*r)->Meta("complete"), "1");
  int files = 0;
  ASSERT_TRUE((*r)->ForEachFile([&](const FileRow& f) {
                    files++;
                    EXPECT_EQ(f.hashes.size(), 3u);
                    return true;
                  })
                  .ok());
  EXPECT_EQ(files, 5);
  int contacts = 0;
  ASSERT_TRUE((*r)->ForEachContact([&](const ContactRow& c) {
                    contacts++;
                    if (c.kind == "ipv4") {
                      EXPECT_EQ(c.value, "10.0.0.1");
                      EXPECT_EQ(c.count, 1u);
                      EXPECT_FALSE(c.first_ms);
                      EXPECT_FALSE(c.last_ms);
                      EXPECT_EQ(c.module, "network");
                      EXPECT_EQ(c.example, "/etc/hosts:2");
                      return true;
                    }
                    EXPECT_EQ(c.value, "evil.com");
                    EXPECT_EQ(c.count, 5u);
                    EXPECT_EQ(*c.first_ms, 500);
                    EXPECT_EQ(*c.last_ms, 2000);
                    EXPECT_TRUE(c.example == "/var/log/a:1" || c.example == "/var/log/b:9") << c.example;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(contacts, 2);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(InMemoryAndSpilled, InventoryMerge,
                         ::testing::Values(Writer::kMergeBudget, std::size_t{1}));

TEST(Inventory, ForeignAndCorruptFilesAreClearErrors) {
  std::string garbage = Temp("garbage.db");
  FILE* f = std::fopen(garbage.c_str(), "w");
  std::fputs("this is not sqlite at all, just text that is long enough to look like a header..", f);
  std::fclose(f);
  auto g = Reader::Open(garbage);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("trawl inventory: file is not a database"), std::string::npos)
      << g.status().message();

  std::string foreign = Temp("foreign.db");
  std::remove(foreign.c_str());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE places(url TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto fr = Reader::Open(foreign);
  ASSERT_FALSE(fr.ok());
  EXPECT_NE(fr.status().message().find("not a trawl inventory"), std::string::npos)
      << fr.status().message();
  // Another trawl schema version is refused by number.
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                   "INSERT INTO meta VALUES('format','trawl-inventory'),('schema_version','99')",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto v = Reader::Open(foreign);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("schema version 99"), std::string::npos)
      << v.status().message();
  std::remove(garbage.c_str());
  std::remove(foreign.c_str());
  auto missing = Reader::Open(Temp("does-not-exist.db"));
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace trawl::hunt

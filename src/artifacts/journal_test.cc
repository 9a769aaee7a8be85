// The journal sweep over a real journal file written by systemd-journal-remote
// from journal export format, with planted contacts and decoys.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <utime.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "test_util.h"
#include "trawl/artifacts/artifacts.h"

namespace trawl::artifacts {
namespace {

const char kJournalRemote[] = "/lib/systemd/systemd-journal-remote";

// One entry of journal export format; `binary` fields use the length-prefixed form.
std::string Entry(const std::map<std::string, std::string>& text,
                  const std::map<std::string, std::string>& binary = {}) {
  std::string out;
  for (const auto& [k, v] : text) out += k + "=" + v + "\n";
  for (const auto& [k, v] : binary) {
    out += k + "\n";
    std::uint64_t n = v.size();
    for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    out += v + "\n";
  }
  return out + "\n";
}

// Writes `export_text` as a journal file with systemd-journal-remote.
std::string WriteJournal(const testing::TempDir& dir, const std::string& name,
                         const std::string& export_text) {
  std::string src = dir.Write(name + ".export", export_text);
  std::string out = dir.path() + "/" + name + ".journal";
  std::string cmd =
      std::string(kJournalRemote) + " --output=" + out + " - < " + src + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return out;
}

const char kBoot[] = "0123456789abcdef0123456789abcdef";

class JournalSweep : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text;
    text += Entry({{"__REALTIME_TIMESTAMP", "1680170401123456"},
                   {"__MONOTONIC_TIMESTAMP", "1000"},
                   {"_BOOT_ID", kBoot},
                   {"MESSAGE", "beacon to cdn.c2-test.example ok"},
                   {"_SYSTEMD_UNIT", "updater.service"},
                   {"SYSLOG_IDENTIFIER", "updater"}});
    text += Entry({{"__REALTIME_TIMESTAMP", "1680170401500000"},
                   {"__MONOTONIC_TIMESTAMP", "1500"},
                   {"_BOOT_ID", kBoot},
                   {"MESSAGE", "decoys: notc2-test.example c2-test.example.net 198.51.100.77"},
                   {"_SYSTEMD_UNIT", "decoy.service"}});
    text += Entry({{"__REALTIME_TIMESTAMP", "1680170402000000"},
                   {"__MONOTONIC_TIMESTAMP", "2000"},
                   {"_BOOT_ID", kBoot},
                   {"MESSAGE", "connection established"},
                   {"DEST_IP", "198.51.100.7"},
                   {"SYSLOG_IDENTIFIER", "app"}});
    text += Entry({{"__REALTIME_TIMESTAMP", "1680170403000000"},
                   {"__MONOTONIC_TIMESTAMP", "3000"},
                   {"_BOOT_ID", kBoot},
                   {"MESSAGE", "binary payload"},
                   {"_COMM", "blobby"}},
                  {{"BLOB", std::string("x\x01 c2-test.example\n y")}});
    path_ = WriteJournal(dir_, "system", text);
    m_ = testing::MakeMatcher(
        {{ioc::Kind::kDomain, "c2-test.example"}, {ioc::Kind::kIpv4, "198.51.100.7"}});
  }
  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<testing::Matcher> m_;
};

// Regression (issue 10): the journal sweep opened the file by its full path
// and read whatever the name held by then; a journal swapped in after the
// walk is now an error record and is not read.
TEST_F(JournalSweep, SwappedAfterTheWalkIsReportedNotRead) {
  std::string dir = path_.substr(0, path_.rfind('/'));
  testing::ExpectSwappedFileReportedNotRead(*m_, dir, path_.substr(dir.size() + 1), "journal");
}

TEST_F(JournalSweep, FindsPlantedContactsWithTimeUnitFieldAndCursor) {
  Sweeper sweeper(*m_->net, {});
  auto res = sweeper.Scan(path_, {Type::kJournal});
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->type, Type::kJournal);
  EXPECT_EQ(res->items, 4u);
  EXPECT_TRUE(res->errors.empty());
  ASSERT_EQ(res->hits.size(), 3u);

  const Hit& a = res->hits[0];
  EXPECT_EQ(a.indicator->value, "c2-test.example");
  EXPECT_EQ(a.time_text, "2023-03-30T10:00:01.123456Z");
  EXPECT_EQ(*a.time_unix_us, 1680170401123456);
  EXPECT_EQ(testing::StrField(a, "unit"), "updater.service");
  EXPECT_EQ(testing::StrField(a, "field"), "MESSAGE");
  EXPECT_EQ(testing::StrField(a, "value"), "beacon to cdn.c2-test.example ok");
  EXPECT_EQ(testing::StrField(a, "matched"), "cdn.c2-test.example");

  const Hit& b = res->hits[1];
  EXPECT_EQ(b.indicator->value, "198.51.100.7");
  EXPECT_EQ(b.time_text, "2023-03-30T10:00:02Z");
  EXPECT_EQ(testing::StrField(b, "unit"), "app");  // no unit: the syslog identifier
  EXPECT_EQ(testing::StrField(b, "field"), "DEST_IP");

  const Hit& c = res->hits[2];
  EXPECT_EQ(testing::StrField(c, "field"), "BLOB");
  EXPECT_EQ(testing::StrField(c, "unit"), "blobby");                        // last resort: _COMM
  EXPECT_EQ(testing::StrField(c, "value"), "x\\x01 c2-test.example\\n y");  // escaped

  // Each cursor leads back to its entry.
  sd_journal* j = nullptr;
  const char* paths[] = {path_.c_str(), nullptr};
  ASSERT_EQ(sd_journal_open_files(&j, paths, 0), 0);
  for (const Hit& h : res->hits) {
    std::string cursor = testing::StrField(h, "cursor");
    ASSERT_EQ(cursor.substr(0, 2), "s=");
    ASSERT_EQ(sd_journal_seek_cursor(j, cursor.c_str()), 0);
    ASSERT_GT(sd_journal_next(j), 0);
    EXPECT_GT(sd_journal_test_cursor(j, cursor.c_str()), 0);
    std::uint64_t usec = 0;
    ASSERT_EQ(sd_journal_get_realtime_usec(j, &usec), 0);
    EXPECT_EQ(static_cast<std::int64_t>(usec), *h.time_unix_us);
  }
  sd_journal_close(j);

  // Timeline: first and last contact per indicator.
  const logs::Tally& t = res->tally.at(a.indicator);
  EXPECT_EQ(t.hits, 2u);
  EXPECT_EQ(*t.first_ms, 1680170401123);
  EXPECT_EQ(*t.last_ms, 1680170403000);
  for (const Finding& f : ToFindings(path_, *res)) EXPECT_EQ(f.module, "journal");
}

TEST_F(JournalSweep, EvidenceUntouched) {
  std::ifstream in(path_, std::ios::binary);
  std::string before((std::istreambuf_iterator<char>(in)), {});
  // An access time older than the mtime: any plain read would update it (relatime).
  struct utimbuf old {};
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  old.actime = st.st_mtime - 100000;
  old.modtime = st.st_mtime;
  ASSERT_EQ(utime(path_.c_str(), &old), 0);
  Sweeper sweeper(*m_->net, {});
  ASSERT_TRUE(sweeper.Scan(path_, {Type::kJournal}).ok());
  struct stat after {};
  ASSERT_EQ(stat(path_.c_str(), &after), 0);
  EXPECT_EQ(after.st_atime, old.actime) << "read with O_NOATIME";
  EXPECT_EQ(after.st_mtime, st.st_mtime);
  std::ifstream in2(path_, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in2)), {}), before);
}

TEST_F(JournalSweep, CorruptOrForeignFilesAreErrorsNotCrashes) {
  Sweeper sweeper(*m_->net, {});
  std::string junk = dir_.Write("junk.journal", std::string(100000, '\x5a'));
  std::string empty = dir_.Write("empty.journal", "");
  EXPECT_FALSE(sweeper.Scan(junk, {Type::kJournal}).ok());
  EXPECT_FALSE(sweeper.Scan(empty, {Type::kJournal}).ok());
  EXPECT_FALSE(sweeper.Scan(dir_.path() + "/missing.journal", {Type::kJournal}).ok());
  // A real journal cut short and one with bytes flipped all over: whatever
  // sd-journal can read is read, problems are errors, nothing crashes.
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  for (std::size_t cut : {std::size_t{300}, bytes.size() / 2, std::size_t{4096}}) {
    std::string p = dir_.Write("cut" + std::to_string(cut) + ".journal", bytes.substr(0, cut));
    auto r = sweeper.Scan(p, {Type::kJournal});
    if (r.ok()) {
      EXPECT_LE(r->items, 4u);
    }
  }
  std::string flipped = bytes;
  for (std::size_t i = 256; i < flipped.size(); i += 97)
    flipped[i] = static_cast<char>(flipped[i] ^ 0x41);
  auto r = sweeper.Scan(dir_.Write("flipped.journal", flipped), {Type::kJournal});
  if (r.ok()) {
    EXPECT_LE(r->items, 4u);
  }
}

TEST_F(JournalSweep, SymlinkIsNotFollowed) {
  std::string link = dir_.path() + "/link.journal";
  ASSERT_EQ(symlink(path_.c_str(), link.c_str()), 0);
  Sweeper sweeper(*m_->net, {});
  EXPECT_FALSE(sweeper.Scan(link, {Type::kJournal}).ok());
}

}  // namespace
}  // namespace trawl::artifacts

namespace trawl::artifacts {
namespace {

// Regression (issue 11): a journal truncated while sd-journal had it mapped
// raised SIGBUS and ended the scan (3 of 300 runs). A writer thread now cuts
// and restores the file while the sweep reads it again and again: every scan
// returns (entries read, or an error record), none crashes.
TEST(JournalTruncation, TruncatingWriterNeverCrashesTheSweep) {
  testing::TempDir dir;
  std::string text;
  std::string filler(400, 'f');
  for (int i = 0; i < 6000; ++i)
    text += Entry({{"__REALTIME_TIMESTAMP", std::to_string(1680170401000000 + i)},
                   {"__MONOTONIC_TIMESTAMP", std::to_string(1000 + i)},
                   {"_BOOT_ID", kBoot},
                   {"MESSAGE", "entry " + std::to_string(i) + " " + filler +
                                   (i % 100 == 0 ? " beacon c2-test.example" : "")}});
  std::string built = WriteJournal(dir, "big", text);
  std::ifstream in(built, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 1u << 20);
  const std::string path = dir.Write("victim.journal", bytes);
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "c2-test.example"}});
  Sweeper sweeper(*m->net, {});
  {  // whole, it reads whole
    auto r = sweeper.Scan(path, {Type::kJournal});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->items, 6000u);
  }

  std::atomic<bool> done{false};
  std::thread writer([&] {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    for (unsigned round = 0; !done; ++round) {
      // Cut to a random point (a page or so into the entries), then restore.
      off_t cut = static_cast<off_t>(4096 + (round * 7919u) % (bytes.size() / 2));
      ASSERT_EQ(::ftruncate(fd, cut), 0);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0),
                static_cast<ssize_t>(bytes.size()));
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    ::close(fd);
  });
  int ok = 0, errors = 0, sigbus = 0;
  for (int i = 0; i < 60; ++i) {
    auto r = sweeper.Scan(path, {Type::kJournal});
    if (!r.ok()) {
      ++errors;
      continue;
    }
    ++ok;
    EXPECT_LE(r->items, 6000u);
    for (const std::string& e : r->errors) sigbus += e.find("SIGBUS") != std::string::npos;
  }
  done = true;
  writer.join();
  EXPECT_EQ(ok + errors, 60);  // reached: no scan crashed the process
  std::printf("truncation runs: %d read, %d refused, %d cut short by SIGBUS\n", ok, errors,
              sigbus);
}

}  // namespace
}  // namespace trawl::artifacts

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "trawl/artifacts/artifacts.h"

namespace trawl::artifacts {
namespace {

TEST(Names, EvtxAndJournal) {
  EXPECT_TRUE(IsEvtxName("/mnt/img/Windows/System32/winevt/Logs/Security.evtx"));
  EXPECT_TRUE(IsEvtxName("x/SYSMON.EVTX"));
  EXPECT_TRUE(IsEvtxName("a.Evtx"));
  EXPECT_FALSE(IsEvtxName("a.evtx.bak"));
  EXPECT_FALSE(IsEvtxName("evtx"));
  EXPECT_TRUE(IsJournalName("/var/log/journal/0123/system.journal"));
  EXPECT_TRUE(IsJournalName("/var/log/journal/0123/system@0005f-0001.journal~"));
  EXPECT_TRUE(IsJournalName("user-1000@abc.journal"));
  EXPECT_FALSE(IsJournalName("/var/log/journal/0123"));
  EXPECT_FALSE(IsJournalName("/x/.journal"));  // a bare suffix is no journal file
  EXPECT_FALSE(IsJournalName("system.journal.gz"));
  EXPECT_FALSE(IsJournalName("system.JOURNAL"));
}

TEST(BrowserTargetOf, Layouts) {
  struct Case {
    const char* path;
    Type type;
    const char* browser;
    const char* profile;
    const char* user;
  } cases[] = {
      // Windows (mounted image; any case).
      {"/mnt/c/Users/alice/AppData/Local/Google/Chrome/User Data/Default/History",
       Type::kChromiumHistory, "chrome", "Default", "alice"},
      {"/mnt/c/users/bob/appdata/local/google/chrome/user data/Profile 2/history",
       Type::kChromiumHistory, "chrome", "Profile 2", "bob"},
      {"/mnt/c/Users/alice/AppData/Local/Microsoft/Edge/User Data/Default/History",
       Type::kChromiumHistory, "edge", "Default", "alice"},
      {"/mnt/c/Users/alice/AppData/Local/BraveSoftware/Brave-Browser/User Data/Default/History",
       Type::kChromiumHistory, "brave", "Default", "alice"},
      {"/mnt/c/Users/alice/AppData/Local/Chromium/User Data/Default/History",
       Type::kChromiumHistory, "chromium", "Default", "alice"},
      {"/mnt/c/Users/alice/AppData/Local/Vivaldi/User Data/Default/History", Type::kChromiumHistory,
       "chromium-based", "Default", "alice"},
      {"/mnt/c/Users/alice/AppData/Roaming/Mozilla/Firefox/Profiles/ab12cd.default-release/"
       "places.sqlite",
       Type::kFirefoxPlaces, "firefox", "ab12cd.default-release", "alice"},
      // macOS.
      {"/Users/carol/Library/Application Support/Google/Chrome/Default/History",
       Type::kChromiumHistory, "chrome", "Default", "carol"},
      {"/Users/carol/Library/Application Support/Microsoft Edge/Profile 1/History",
       Type::kChromiumHistory, "edge", "Profile 1", "carol"},
      {"/Users/carol/Library/Application Support/BraveSoftware/Brave-Browser/Default/History",
       Type::kChromiumHistory, "brave", "Default", "carol"},
      {"/Users/carol/Library/Application Support/Chromium/Default/History", Type::kChromiumHistory,
       "chromium", "Default", "carol"},
      {"/Users/carol/Library/Application Support/Firefox/Profiles/x.default/places.sqlite",
       Type::kFirefoxPlaces, "firefox", "x.default", "carol"},
      // Linux, snap and flatpak.
      {"/home/dave/.config/google-chrome/Default/History", Type::kChromiumHistory, "chrome",
       "Default", "dave"},
      {"/home/dave/.config/chromium/Profile 3/History", Type::kChromiumHistory, "chromium",
       "Profile 3", "dave"},
      {"/home/dave/.config/BraveSoftware/Brave-Browser/Default/History", Type::kChromiumHistory,
       "brave", "Default", "dave"},
      {"/home/dave/.config/microsoft-edge/Default/History", Type::kChromiumHistory, "edge",
       "Default", "dave"},
      {"/home/dave/snap/chromium/common/chromium/Default/History", Type::kChromiumHistory,
       "chromium", "Default", "dave"},
      {"/home/dave/.var/app/com.google.Chrome/config/google-chrome/Default/History",
       Type::kChromiumHistory, "chrome", "Default", "dave"},
      {"/home/dave/.mozilla/firefox/k3j2.default-esr/places.sqlite", Type::kFirefoxPlaces,
       "firefox", "k3j2.default-esr", "dave"},
      {"/root/.mozilla/firefox/q.default/places.sqlite", Type::kFirefoxPlaces, "firefox",
       "q.default", "root"},
      {"home/erin/.thunderbird/p.default/places.sqlite", Type::kFirefoxPlaces, "thunderbird",
       "p.default", "erin"},
      {"/srv/backup/places.sqlite", Type::kFirefoxPlaces, "firefox-based", "backup", ""},
      // Not histories.
      {"/home/dave/.config/google-chrome/Default/History-journal", Type::kNone, "", "", ""},
      {"/home/dave/docs/History", Type::kNone, "", "", ""},
      {"/home/dave/.config/google-chrome/Default/Favicons", Type::kNone, "", "", ""},
      {"History", Type::kNone, "", "", ""},
      {"/tmp/trawl-history-abc/copy", Type::kNone, "", "", ""},
  };
  for (const Case& c : cases) {
    Target t = BrowserTargetOf(c.path);
    EXPECT_EQ(t.type, c.type) << c.path;
    if (c.type == Type::kNone) continue;
    EXPECT_EQ(t.browser, c.browser) << c.path;
    EXPECT_EQ(t.profile, c.profile) << c.path;
    EXPECT_EQ(t.user, c.user) << c.path;
  }
}

TEST(HasEvtxMagic, ReadsEightBytesOnly) {
  testing::TempDir dir;
  std::string evtx_like = dir.Write("a.bin", std::string("ElfFile\0", 8) + std::string(5000, 'x'));
  std::string other = dir.Write("b.bin", std::string(5000, 'E'));
  std::string shorter = dir.Write("c.bin", "ElfFi");
  EXPECT_TRUE(HasEvtxMagic(evtx_like));
  EXPECT_FALSE(HasEvtxMagic(other));
  EXPECT_FALSE(HasEvtxMagic(shorter));
  EXPECT_FALSE(HasEvtxMagic(dir.path() + "/missing"));
  // A symlink is never followed.
  std::filesystem::create_symlink(evtx_like, dir.path() + "/link");
  EXPECT_FALSE(HasEvtxMagic(dir.path() + "/link"));
}

TEST(SweeperDetect, NamesLayoutsMagicAndSwitches) {
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "evil.example"}});
  testing::TempDir dir;
  std::string header = std::string("ElfFile\0", 8) + std::string(8192, '\0');
  std::string renamed = dir.Write("evidence/export.bin", header);
  std::string small = dir.Write("evidence/small.bin", std::string("ElfFile\0", 8));
  std::string named = dir.Write("evidence/Security.evtx", "not really");
  std::string journal = dir.Write("var/log/journal/x/system.journal", "x");
  std::string hist = dir.Write("home/u/.config/google-chrome/Default/History", "x");
  auto st = [](const std::string& p) {
    struct stat s {};
    EXPECT_EQ(lstat(p.c_str(), &s), 0);
    return s;
  };
  Sweeper all(*m->net, {});
  EXPECT_EQ(all.Detect(renamed, st(renamed), renamed).type, Type::kEvtx);
  EXPECT_EQ(all.Detect(small, st(small), small).type, Type::kNone);  // no room for a record
  EXPECT_EQ(all.Detect(named, st(named), named).type, Type::kEvtx);  // by name, content not read
  EXPECT_EQ(all.Detect(journal, st(journal), journal).type, Type::kJournal);
  Target h = all.Detect(hist, st(hist), hist);
  EXPECT_EQ(h.type, Type::kChromiumHistory);
  EXPECT_EQ(h.browser, "chrome");
  EXPECT_EQ(h.user, "u");

  Options only_browser;
  only_browser.evtx = only_browser.journal = false;
  Sweeper b(*m->net, only_browser);
  EXPECT_EQ(b.Detect(renamed, st(renamed), renamed).type, Type::kNone);
  EXPECT_EQ(b.Detect(named, st(named), named).type, Type::kNone);
  EXPECT_EQ(b.Detect(journal, st(journal), journal).type, Type::kNone);
  EXPECT_EQ(b.Detect(hist, st(hist), hist).type, Type::kChromiumHistory);

  // Not a regular file: never.
  struct stat d = st(dir.path());
  EXPECT_EQ(all.Detect(dir.path() + "/x.evtx", d, dir.path()).type, Type::kNone);
}

}  // namespace
}  // namespace trawl::artifacts

// Mounted images: paths as the scanned system names them; Windows names caseless.
#include "trawl/live/image.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "trawl/ioc/loader.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::live {
namespace {

using Tmp = testsupport::TempDir;

TEST(PathMap, ShownAndRealPaths) {
  Tmp t;
  std::filesystem::create_directories(t.path() + "/img/etc");
  std::filesystem::create_directories(t.path() + "/img/mnt/c/Windows/System32/DRIVERS/etc");
  std::ofstream(t.path() + "/img/etc/hosts") << "1.2.3.4 x\n";
  std::ofstream(t.path() + "/img/mnt/c/Windows/System32/DRIVERS/etc/HOSTS") << "1.2.3.4 x\n";
  PathMap m;
  EXPECT_FALSE(m.image());
  EXPECT_EQ(m.Shown("/a/b"), "/a/b");
  ASSERT_TRUE(m.SetRoot(t.path() + "/img/").ok());
  ASSERT_TRUE(m.AddMap(t.path() + "/img/mnt/c:c").ok());
  EXPECT_TRUE(m.image());
  bool win = true;
  EXPECT_EQ(m.Shown(t.path() + "/img/var/log/syslog", &win), "/var/log/syslog");
  EXPECT_FALSE(win);
  EXPECT_EQ(m.Shown(t.path() + "/img", &win), "/");
  EXPECT_EQ(m.Shown(t.path() + "/image/x", &win), t.path() + "/image/x");  // a sibling, not inside
  EXPECT_EQ(m.Shown(t.path() + "/img/mnt/c/Users/Bob/AppData/x.dll", &win),
            "C:\\Users\\Bob\\AppData\\x.dll");
  EXPECT_TRUE(win);
  EXPECT_EQ(m.Shown(t.path() + "/img/mnt/c", &win), "C:\\");
  EXPECT_EQ(m.Real("/var/log"), t.path() + "/img/var/log");
  EXPECT_EQ(m.DefaultPaths(), std::vector<std::string>{t.path() + "/img"});
  auto hosts = m.HostsFiles();
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].second, "/etc/hosts");
  EXPECT_EQ(hosts[1].second, "C:\\Windows\\System32\\DRIVERS\\etc\\HOSTS");

  PathMap bad;
  EXPECT_FALSE(bad.SetRoot(t.path() + "/missing").ok());
  EXPECT_FALSE(bad.AddMap(t.path() + "/img").ok());     // no letter
  EXPECT_FALSE(bad.AddMap(t.path() + "/img:CD").ok());  // two letters
  EXPECT_FALSE(bad.AddMap(t.path() + "/img:1").ok());   // not a letter
  EXPECT_FALSE(bad.AddMap(t.path() + "/nope:C").ok());  // not a folder
}

TEST(WindowsNames, BackslashPatternsMatchCaselessly) {
  ioc::IndicatorSet set;
  ioc::LoadText(
      "\\\\AppData\\\\Local\\\\Programs\\\\3CXDesktopApp\\\\app\\\\ffmpeg\\.dll$;70\n"
      "/tmp/evil$;90\n"
      "\\\\Temp\\\\x\\.exe;80;\\\\Temp\\\\x\\.exe\\.ok\n",
      ioc::Format::kSigBaseFilename, "filename-iocs.txt", set);
  ASSERT_EQ(set.CountOf(ioc::Kind::kFilename), 3u);
  auto w = WindowsNames::Build(set);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ((*w)->size(), 2u);  // only the Windows-written ones
  auto s = (*w)->MakeScratch();
  struct Row {
    const char* path;
    size_t hits;
  };
  const Row rows[] = {
      {"C:\\Users\\bob\\appdata\\local\\programs\\3cxdesktopapp\\APP\\FFMPEG.DLL", 1},
      {"C:\\Users\\bob\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\ffmpeg.dll", 1},
      {"C:\\Users\\bob\\AppData\\Local\\Programs\\Other\\app\\ffmpeg.dll", 0},
      {"C:\\TEMP\\X.EXE", 1},
      {"C:\\temp\\x.exe.OK", 0},  // the false-positive regex is caseless too
      {"/tmp/evil", 0},
  };
  for (const Row& r : rows) {
    std::vector<const ioc::Indicator*> hits;
    (*w)->Match(r.path, *s, hits);
    EXPECT_EQ(hits.size(), r.hits) << r.path;
    for (const ioc::Indicator* h : hits) EXPECT_EQ(h->source.find("filename-iocs.txt:"), 0u);
  }
}

}  // namespace
}  // namespace trawl::live
